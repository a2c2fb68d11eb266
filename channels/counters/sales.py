"""The quick sale at a counter: a scanned or typed code, a quantity and how it was paid make a paid order of
that very lot, drawn from the counter's consigned stock of it.

What can be sold is decided here, the same for every counter: a recalled lot never (409); a product without a
valid consumption-assistance certificate today only when the operator chooses to sell it as *not counted*
(409 otherwise) — such sales are ordinary sales, never counted, and are what the leakage report lists per
counter. The consigned stock moves with one conditional UPDATE (``quantity >= n``), so two sales at once
can never sell more than the counter holds. The order is paid and handed over on the spot, and payments'
``orders_paid`` signal puts it in the sales ledger (channel ``counter`` or ``fair``) in the same transaction.
Functions flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.counters.errors import (
    CodeNotRecognised,
    ConsignedStockShort,
    CounterClosed,
    LotOnHoldAtCounter,
    LotRecalledAtCounter,
    NotCertifiedToday,
    NotConsignedHere,
    QuantityInvalid,
    SaleKeyInvalid,
)
from channels.counters.models import ConsignedStock, Counter, CounterPayment, CounterSale
from channels.counters.services import is_operator
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.idempotency import clean_key, earlier_submission
from core.models import User
from core.numbers import new_number
from orders.models import Allocation, Checkout, Order, OrderLine, PaymentMethod
from payments.signals import orders_paid
from traceability.models import Batch, SerialUnit
from traceability.trace.lookup import MAX_CODE_LENGTH, find_batch

#: Longest text a scan may hand in (a Digital Link URL with a serial fits easily).
MAX_SCAN_LENGTH = 300
#: Most units one quick sale may take.
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class SaleInput:
    """What the counter's phone sends: the scanned or typed code, how many, how it was paid, and whether to
    sell an uncertified product as not counted."""

    code: str
    quantity: int
    payment: CounterPayment
    #: The form's random key: the same sale sent twice is made once.
    key: str
    sell_uncounted: bool = False


def _lot_and_serial(code: str) -> tuple[str | None, str | None, str | None]:
    """(lot, serial, gtin) named by a Digital Link or short trace URL, or the bare code as a lot."""
    text = code.strip()
    if "/" not in text:
        return text, None, None
    parts = [p for p in urlsplit(text).path.split("/") if p]
    if len(parts) >= 4 and parts[0] == "01" and parts[2] == "10":
        serial = parts[5] if len(parts) >= 6 and parts[4] == "21" else None
        return parts[3], serial, parts[1]
    if len(parts) >= 2 and parts[0] == "t":
        return parts[1], parts[2] if len(parts) >= 3 else None, None
    return None, None, None


def resolve_code(session: Session, code: str) -> Batch:
    """The lot a scanned label or a typed code names: a lot code, a serial, or the label's URL (GS1 Digital
    Link ``/01/<GTIN>/10/<lot>[/21/<serial>]`` or ``/t/<lot>[/<serial>]``).

    Raises :class:`CodeNotRecognised`.
    """
    if not code or len(code) > MAX_SCAN_LENGTH:
        raise CodeNotRecognised()
    lot, serial, gtin = _lot_and_serial(code)
    batch = find_batch(session, lot, gtin) if lot else None
    if batch is None and lot and serial is None and len(lot) <= MAX_CODE_LENGTH:
        # a bare code that is no lot may be a serial printed under the QR code (serials are case-sensitive)
        unit = session.scalar(select(SerialUnit).where(SerialUnit.serial == lot))
        batch = unit.batch if unit is not None else None
    elif batch is not None and serial is not None:
        unit = session.scalar(
            select(SerialUnit).where(SerialUnit.serial == serial, SerialUnit.batch_id == batch.id)
        )
        batch = batch if unit is not None else None
    if batch is None:
        raise CodeNotRecognised()
    return batch


def _take(session: Session, counter: Counter, batch: Batch, quantity: int) -> None:
    """Take ``quantity`` units of the lot from the counter's stock, or raise with what is left."""
    left = session.execute(
        update(ConsignedStock)
        .where(
            ConsignedStock.counter_id == counter.id,
            ConsignedStock.batch_id == batch.id,
            ConsignedStock.quantity >= quantity,
        )
        .values(quantity=ConsignedStock.quantity - quantity, sold_total=ConsignedStock.sold_total + quantity)
        .returning(ConsignedStock.quantity)
        .execution_options(synchronize_session=False)
    ).scalar()
    if left is not None:
        return
    available = session.scalar(
        select(ConsignedStock.quantity).where(
            ConsignedStock.counter_id == counter.id, ConsignedStock.batch_id == batch.id
        )
    )
    if available is None:
        raise NotConsignedHere(lot=batch.lot_code)
    raise ConsignedStockShort(lot=batch.lot_code, available=available)


def sell(
    session: Session, user: User, counter: Counter, sale: SaleInput, *, now: datetime | None = None
) -> CounterSale:
    """Sell units of the scanned lot at ``counter``: a paid, handed-over order of the counter's channel,
    allocated to that lot, entered in the ledger through ``orders_paid``.

    Raises :class:`PermissionDenied` (not the operator), :class:`QuantityInvalid`, :class:`CounterClosed`,
    :class:`CodeNotRecognised`, :class:`LotRecalledAtCounter`, :class:`LotOnHoldAtCounter`,
    :class:`NotCertifiedToday` (unless ``sell_uncounted``), :class:`NotConsignedHere`,
    :class:`ConsignedStockShort`. Does not commit.
    """
    if not is_operator(user, counter):
        raise PermissionDenied()
    key = clean_key(sale.key, SaleKeyInvalid)
    earlier: Checkout | None = earlier_submission(
        session, Checkout.idempotency_key, key, lambda c: c.buyer_id == user.id, SaleKeyInvalid
    )
    if earlier is not None:
        made = session.scalar(select(CounterSale).join(Order).where(Order.checkout_id == earlier.id))
        if made is None:
            raise SaleKeyInvalid()
        return made
    if not isinstance(sale.quantity, int) or not 0 < sale.quantity <= MAX_QUANTITY:
        raise QuantityInvalid()
    now = now or utcnow()
    today = shanghai_date(now)
    if not counter.is_open_on(today):
        raise CounterClosed()
    batch = resolve_code(session, sale.code)
    if batch.is_recalled:
        raise LotRecalledAtCounter(lot=batch.lot_code)
    if batch.is_on_hold:
        raise LotOnHoldAtCounter(lot=batch.lot_code)
    product = batch.product
    is_counted = product.valid_certificate_on(today) is not None
    if not is_counted and not sale.sell_uncounted:
        raise NotCertifiedToday(product=product.name)
    _take(session, counter, batch, sale.quantity)
    order = _paid_order(session, user, counter, batch, sale, key, now)
    record = CounterSale(
        counter_id=counter.id,
        order=order,
        batch_id=batch.id,
        product_id=product.id,
        quantity=sale.quantity,
        unit=product.unit.value,
        amount_fen=order.subtotal_fen,
        payment=sale.payment,
        is_counted=is_counted,
        sold_at=now,
        day=today,
        sold_by_id=user.id,
    )
    session.add(record)
    session.flush()
    orders_paid.send(session, orders=[order])
    return record


def _paid_order(
    session: Session, user: User, counter: Counter, batch: Batch, sale: SaleInput, key: str, now: datetime
) -> Order:
    """The checkout, order, line and allocation of a counter sale, paid and handed over at once."""
    product = batch.product
    today = shanghai_date(now)
    unit_price = product.unit_price_for(sale.quantity)
    total = unit_price * sale.quantity
    taken: set[str] = set()
    number = new_number(session, Checkout.number, "C", today, taken)
    checkout = Checkout(
        number=number,
        buyer_id=user.id,
        method=PaymentMethod.AT_COUNTER,
        total_fen=total,
        idempotency_key=key,
        reserved_until=now,
        created_at=now,
        paid_at=now,
        orders=[],
    )
    session.add(checkout)
    places = counter.region.ancestors()  # province first, the counter's own region last
    order = Order(
        number=new_number(session, Order.number, "", today, taken),
        checkout=checkout,
        buyer_id=user.id,
        producer_id=batch.producer_id,
        recipient=counter.name[:60],
        mobile="",
        province=places[0].name[:40],
        city=places[min(1, len(places) - 1)].name[:40],
        district=places[-1].name[:40],
        address_detail=counter.address,
        subtotal_fen=total,
        shipping_fen=0,
        placed_at=now,
        channel=counter.channel,
        channel_ref=counter.channel_ref,
    )
    session.add(order)
    line = OrderLine(
        order=order,
        product_id=product.id,
        product_name=product.name,
        unit=product.unit.value,
        unit_price_fen=unit_price,
        quantity=sale.quantity,
    )
    session.add(line)
    session.add(Allocation(line=line, batch_id=batch.id, quantity=sale.quantity))
    session.flush()
    # paid and handed over across the counter: nothing is left to ship
    order.mark_paid()
    order.mark_shipped(counter.name[:60], counter.channel_ref)
    order.mark_received()
    order.mark_completed()
    order.paid_at = order.shipped_at = order.received_at = order.completed_at = now
    session.flush()
    return order
