"""Opening counters and fairs, and consigning stock to them: shipped by the producer, received by the
operator.

Consigning takes the units off the batch's online stock at once (one conditional UPDATE, like a checkout)
and records a shipping event on the lot's chain; the operator's receipt records a receiving event at the
counter's place (so the counter shows on the lot's public trace page) and adds the units to the counter's
own stock for that lot (:class:`ConsignedStock`, one row per counter and lot, an upsert). Functions flush but
never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from channels.counters.errors import (
    ConsignmentAlreadyReceived,
    CounterFieldError,
    FairDatesInvalid,
    NotAnOperator,
    QuantityInvalid,
)
from channels.counters.models import ConsignedStock, Consignment, Counter, CounterKind
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, User
from core.transactions import upsert_insert
from procurement.institutions.models import Institution, InstitutionMember
from traceability.batches.inventory import draw_stock
from traceability.batches.rules import recorder
from traceability.batches.services import append_event, ensure_member
from traceability.errors import BatchRecalled
from traceability.models import Batch, EventKind, RecorderRole

#: The counters' stock rows, for Core statements (the upsert of a receipt).
STOCK_TABLE = cast(Table, ConsignedStock.__table__)
#: Longest name and address of a counter (the columns' sizes).
MAX_NAME, MAX_ADDRESS = 120, 200


@dataclass(frozen=True)
class CounterData:
    """What a counter is: who runs it (one of :func:`operator_names`), where, and for a fair when."""

    operator_name: str
    name: str
    address: str
    region: Region
    kind: CounterKind
    starts_on: date | None = None
    ends_on: date | None = None


def operator_names(session: Session, user: User) -> list[str]:
    """The organisations ``user`` may open a counter for: their institutions (enterprises and supermarkets
    are institutions too), the county offices they review for, and the platform for administrators."""
    names = list(
        session.scalars(
            select(Institution.name)
            .join(InstitutionMember, InstitutionMember.institution_id == Institution.id)
            .where(InstitutionMember.user_id == user.id)
            .distinct()
            .order_by(Institution.name)
        )
    )
    names += [f"{county.name}乡村振兴局" for county in user.reviewer_counties]
    if user.is_admin:
        names.append("平台运营")
    return list(dict.fromkeys(names))


def is_operator(user: User, counter: Counter) -> bool:
    """Whether ``user`` runs ``counter`` (its operator account, or an administrator)."""
    return bool(user.is_admin or counter.operator_id == user.id)


def open_counter(session: Session, user: User, data: CounterData) -> Counter:
    """Open a counter, hall, zone or fair run by ``user`` for one of :func:`operator_names`.

    Raises :class:`NotAnOperator`, :class:`CounterFieldError`, :class:`FairDatesInvalid`. Does not commit.
    """
    if data.operator_name not in operator_names(session, user):
        raise NotAnOperator()
    name, address = data.name.strip(), data.address.strip()
    if not name or not address or len(name) > MAX_NAME or len(address) > MAX_ADDRESS:
        raise CounterFieldError()
    is_fair = data.kind is CounterKind.FAIR
    has_dates = data.starts_on is not None and data.ends_on is not None
    if is_fair != has_dates or (has_dates and data.ends_on < data.starts_on):  # type: ignore[operator]
        raise FairDatesInvalid()
    if not is_fair and (data.starts_on is not None or data.ends_on is not None):
        raise FairDatesInvalid()
    counter = Counter(
        operator_id=user.id,
        operator_name=data.operator_name,
        name=name,
        address=address,
        region_id=data.region.id,
        kind=data.kind,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    session.add(counter)
    session.flush()
    return counter


def trace_place(counter: Counter) -> str:
    """The place a counter's events show on the trace page: its name and address."""
    return f"{counter.name}（{counter.address}）"[:200]


def consign(
    session: Session,
    user: User,
    counter: Counter,
    batch: Batch,
    quantity: int,
    *,
    now: datetime | None = None,
) -> Consignment:
    """A member of the batch's producer ships ``quantity`` units of the lot to ``counter``.

    The units leave the lot's online stock at once; a shipping event names the counter. Raises
    :class:`PermissionDenied`, :class:`QuantityInvalid`, :class:`BatchRecalled`,
    :class:`traceability.errors.InsufficientStock`. Does not commit.
    """
    ensure_member(user, batch.product)
    if not isinstance(quantity, int) or quantity <= 0:
        raise QuantityInvalid()
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    now = now or utcnow()
    draw_stock(session, batch, quantity)
    role, actor_name = recorder(user, batch.producer)
    append_event(
        session,
        batch,
        EventKind.SHIPPING,
        actor=user,
        actor_name=actor_name,
        recorded_as=role,
        occurred_at=now,
        place=batch.origin.path_name(),
        details={"to": trace_place(counter), "quantity": quantity, "consignment": True},
    )
    consignment = Consignment(
        counter_id=counter.id, batch_id=batch.id, quantity=quantity, shipped_at=now, shipped_by_id=user.id
    )
    session.add(consignment)
    session.flush()
    return consignment


def receive(
    session: Session, user: User, consignment: Consignment, *, now: datetime | None = None
) -> ConsignedStock:
    """The counter's operator confirms a consignment arrived: a receiving event at the counter, and the units
    join the counter's stock of that lot.

    Raises :class:`PermissionDenied` (not its operator), :class:`ConsignmentAlreadyReceived`. Does not commit.
    """
    counter = consignment.counter
    if not is_operator(user, counter):
        raise PermissionDenied()
    now = now or utcnow()
    claimed = session.execute(
        update(Consignment)
        .where(Consignment.id == consignment.id, Consignment.received_at.is_(None))
        .values(received_at=now, received_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConsignmentAlreadyReceived()
    session.refresh(consignment)
    batch = consignment.batch
    append_event(
        session,
        batch,
        EventKind.RECEIVING,
        actor=user,
        actor_name=counter.operator_name,
        recorded_as=RecorderRole.INSTITUTION,
        occurred_at=now,
        place=trace_place(counter),
        region=counter.region,
        details={"from": batch.producer.name, "receiver": counter.name, "quantity": consignment.quantity},
    )
    _add_stock(session, counter, batch, consignment.quantity)
    stock = session.scalars(
        select(ConsignedStock)
        .where(ConsignedStock.counter_id == counter.id, ConsignedStock.batch_id == batch.id)
        .execution_options(populate_existing=True)
    ).one()
    return stock


def _add_stock(session: Session, counter: Counter, batch: Batch, quantity: int) -> None:
    """Add ``quantity`` units to the counter's row for the lot (created on first receipt), atomically."""
    table = STOCK_TABLE
    stmt = upsert_insert(session, table).values(
        counter_id=counter.id,
        batch_id=batch.id,
        product_id=batch.product_id,
        quantity=quantity,
        received_total=quantity,
        sold_total=0,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["counter_id", "batch_id"],
        set_={
            "quantity": table.c.quantity + stmt.excluded.quantity,
            "received_total": table.c.received_total + stmt.excluded.received_total,
        },
    )
    session.execute(stmt)
