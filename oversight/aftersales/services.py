"""Asking for after-sales (售后) and settling it.

- The buyer of a consumer's order asks, within ``AFTERSALES_WINDOW_DAYS`` days of confirming receipt (the
  order is ``received``), for a refund, a return and refund, or a replacement of some units: never more units
  of a line than received and not yet refunded; a reason (bounded, no control characters) and up to three
  photos (checked like complaint photos, :mod:`oversight.aftersales.photos`). At most one request per order is
  open at a time. The producer's members are told and must answer within ``AFTERSALES_ANSWER_DAYS`` days.
- Settling: an agreed amount goes back through the payment it came by, through the refund service of
  :mod:`payments.refunds` — through Stripe at once when paid by card (the ledger's refund entries are written
  by the refund's own signal). Money paid by hand is given back by whoever collected it, exactly as on the
  existing refund page: a platform administrator for a bank transfer, the producer for cash on delivery; the
  request waits in ``refund_due`` until that refund is recorded (:mod:`oversight.aftersales.receivers`).
  A replacement agreed on is recorded as the outcome (the goods are shipped outside the platform's shipping).

Functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.access import can_review
from core.audit.services import record
from core.db import utcnow
from core.i18n import format_fen
from core.models import User, reviewer_county
from core.notifications.services import tell
from core.text import forbidden_character
from core.transactions import claim_write_lock
from core.urls import path_for
from orders.collection import Collector, collector_of
from orders.models import Order, OrderStatus
from oversight.aftersales.concessions import concede_unagreed
from oversight.aftersales.errors import (
    NoLinesChosen,
    NotTheBuyer,
    NotWaitingForThis,
    OrderNotReceived,
    QuantityTooLarge,
    ReasonInvalid,
    RequestAlreadyOpen,
    TooManyPhotos,
    WindowClosed,
)
from oversight.aftersales.models import (
    AftersalesKind,
    AftersalesLine,
    AftersalesRequest,
    AftersalesStatus,
)
from oversight.aftersales.photos import MAX_PHOTOS
from payments.gateway import StripeGateway
from payments.refunds import refund_agreed

REASON_MIN, REASON_MAX = 5, 1000
#: The audit log's note column.
AUDIT_NOTE_MAX = 500
DEFAULT_WINDOW_DAYS = 7
DEFAULT_ANSWER_DAYS = 3

REQUESTED = (
    _l("After-sales request %(reference)s"),
    _l("The buyer of order %(number)s asks for after-sales (%(amount)s). Answer within %(days)s days."),
)
SETTLED = (
    _l("After-sales request %(reference)s settled"),
    _l("After-sales request %(reference)s for order %(number)s ended: %(amount)s to be refunded."),
)
RECEIPT_SETTLED = (
    _l("After-sales request %(reference)s settled"),
    _l(
        "After-sales request %(reference)s for delivery %(number)s ended: %(amount)s of the missing or "
        "rejected goods is not owed; %(owed)s of them is owed to the producer."
    ),
)
REFUND_BY_HAND = (
    _l("Refund due for order %(number)s"),
    _l(
        "After-sales request %(reference)s agreed on %(amount)s for order %(number)s, paid by hand: record "
        "the refund on the order's refund page once the money is sent back."
    ),
)


@dataclass(frozen=True)
class Windows:
    """Days after receipt to ask, and days the other party has to answer."""

    request_days: int = DEFAULT_WINDOW_DAYS
    answer_days: int = DEFAULT_ANSWER_DAYS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Windows:
        """The windows set by ``AFTERSALES_WINDOW_DAYS`` and ``AFTERSALES_ANSWER_DAYS``."""
        return cls(
            int(config.get("AFTERSALES_WINDOW_DAYS", DEFAULT_WINDOW_DAYS)),
            int(config.get("AFTERSALES_ANSWER_DAYS", DEFAULT_ANSWER_DAYS)),
        )


@dataclass(frozen=True, kw_only=True)
class AftersalesInput:
    """What the buyer sent: units per order line id, a reason, stored photo keys."""

    kind: AftersalesKind
    lines: Mapping[int, int]
    reason: str
    photo_keys: Sequence[str] = field(default_factory=tuple)


def check_reason(text: str | None, *, minimum: int = REASON_MIN) -> str:
    """The reason, trimmed; raises :class:`ReasonInvalid` when too short, too long or with control
    characters (line breaks are allowed)."""
    reason = (text or "").strip()
    if not minimum <= len(reason) <= REASON_MAX or forbidden_character(reason, multiline=True) is not None:
        raise ReasonInvalid(min=minimum, max=REASON_MAX)
    return reason


def requestable_quantities(order: Order) -> dict[int, int]:
    """Units of each line (by id) an after-sales request may include: received and not yet refunded."""
    return {line.id: line.quantity - line.refunded_quantity for line in order.lines}


def open_request(session: Session, order: Order) -> AftersalesRequest | None:
    """The order's open request, if any."""
    return session.scalar(select(AftersalesRequest).where(AftersalesRequest.open_order_id == order.id))


def requests_of(session: Session, order: Order) -> list[AftersalesRequest]:
    """Every request of the order, newest first."""
    query = select(AftersalesRequest).where(AftersalesRequest.order_id == order.id)
    return list(session.scalars(query.order_by(AftersalesRequest.id.desc())))


def window_ends_at(order: Order, windows: Windows) -> datetime | None:
    """When the buyer can no longer ask (None before receipt)."""
    return order.received_at + timedelta(days=windows.request_days) if order.received_at else None


def may_request(order: Order, windows: Windows, now: datetime | None = None) -> bool:
    """Whether the order is received and within the window (the page offers the button then)."""
    ends = window_ends_at(order, windows)
    return order.status is OrderStatus.RECEIVED and ends is not None and (now or utcnow()) < ends


def _chosen(order: Order, lines: Mapping[int, int]) -> dict[int, int]:
    """Units per line, checked against what can be asked about; raises the field errors."""
    by_id = {line.id: line for line in order.lines}
    left = requestable_quantities(order)
    chosen: dict[int, int] = {}
    for line_id, quantity in lines.items():
        line = by_id.get(line_id)
        if line is None or quantity < 0:
            raise NoLinesChosen()
        if quantity > left[line_id]:
            raise QuantityTooLarge(left=left[line_id], product=line.product_name)
        if quantity:
            chosen[line_id] = quantity
    if not chosen:
        raise NoLinesChosen()
    return chosen


def disputed_fen(order: Order, chosen: Mapping[int, int]) -> int:
    """The goods value of the chosen units, capped at what is left of the order's money."""
    prices = {line.id: line.unit_price_fen for line in order.lines}
    goods = sum(prices[line_id] * quantity for line_id, quantity in chosen.items())
    return min(goods, order.total_fen - order.refunded_fen)


def lock_request(session: Session, request: AftersalesRequest) -> AftersalesRequest:
    """Lock the request's row for this transaction and read it again."""
    claim_write_lock(session)
    session.execute(select(AftersalesRequest.id).where(AftersalesRequest.id == request.id).with_for_update())
    session.refresh(request)
    return request


def audit(
    session: Session, actor: User | None, action: str, request: AftersalesRequest, **extra: Any
) -> None:
    """Record one step of the request in the audit log (the note cut to the log's 500 characters; the
    request keeps the full text)."""
    note = extra.get("note")
    record(
        session,
        actor,
        f"aftersales.{action}",
        "aftersales",
        request.id,
        before=extra.get("before"),
        after=request.audit_view(),
        region_code=request.county.code,
        note=note[:AUDIT_NOTE_MAX] if note else None,
    )


def county_reviewers(session: Session, request: AftersalesRequest) -> list[User]:
    """The county's active reviewers who do not act for the producer (administrators when there are none)."""
    query = (
        select(User)
        .join(reviewer_county, reviewer_county.c.user_id == User.id)
        .where(reviewer_county.c.region_id == request.county_id, User.is_active.is_(True))
        .order_by(User.id)
    )
    found = [user for user in session.scalars(query) if not is_member(user, request.producer)]
    if found:
        return found
    admins = select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id)
    return list(session.scalars(admins))


def may_arbitrate(user: User, request: AftersalesRequest) -> bool:
    """The county's reviewer or an administrator, never someone who acts for the producer."""
    return can_review(user, request.county) and not is_member(user, request.producer)


def request_link(request: AftersalesRequest) -> str:
    """The request's page (its buyer, producer's members, county reviewers and administrators see it)."""
    return path_for("aftersales.detail", request_id=request.id)


def producer_link(request: AftersalesRequest) -> str:
    """Where the producer's members answer: the request's page."""
    return request_link(request)


def buyer_link(request: AftersalesRequest) -> str:
    """Where the buyer follows it: the request's page."""
    return request_link(request)


def refund_page(request: AftersalesRequest) -> str:
    """The order's payment page, where whoever collected money paid by hand records its refund."""
    return path_for("payments.order", order_id=request.order_id)


def tell_producer(
    session: Session, request: AftersalesRequest, message: tuple[Any, Any], **params: Any
) -> None:
    """Tell each active member of the request's producer."""
    for member in request.producer.members:
        if member.user.is_active:
            tell(session, member.user, "aftersales", message, producer_link(request), **params)


def request_aftersales(
    session: Session,
    buyer: User,
    order: Order,
    data: AftersalesInput,
    windows: Windows,
    *,
    now: datetime | None = None,
) -> AftersalesRequest:
    """The buyer asks for after-sales on a received order.

    Raises :class:`NotTheBuyer`, :class:`OrderNotReceived`, :class:`WindowClosed`,
    :class:`RequestAlreadyOpen`, :class:`ReasonInvalid`, :class:`TooManyPhotos`, :class:`NoLinesChosen`,
    :class:`QuantityTooLarge`; nothing is written then. The producer's members are told; audited. Does not
    commit.
    """
    if not buyer.is_authenticated or order.buyer_id != buyer.id:
        raise NotTheBuyer()
    moment = now or utcnow()
    reason = check_reason(data.reason)
    if len(data.photo_keys) > MAX_PHOTOS:
        raise TooManyPhotos(max=MAX_PHOTOS)
    claim_write_lock(session)
    session.refresh(order)
    if order.status is not OrderStatus.RECEIVED or order.received_at is None:
        raise OrderNotReceived()
    if not may_request(order, windows, moment):
        raise WindowClosed(days=windows.request_days)
    if open_request(session, order) is not None:
        raise RequestAlreadyOpen()
    chosen = _chosen(order, data.lines)
    request = AftersalesRequest(
        order=order,
        open_order_id=order.id,
        buyer_id=buyer.id,
        producer_id=order.producer_id,
        county_id=order.producer.county_id,
        kind=data.kind,
        status=AftersalesStatus.REQUESTED,
        reason=reason,
        photo_keys=list(data.photo_keys),
        claimed_fen=disputed_fen(order, chosen),
        created_at=moment,
        next_due_at=moment + timedelta(days=windows.answer_days),
    )
    for line_id, quantity in chosen.items():
        request.lines.append(AftersalesLine(line_id=line_id, quantity=quantity))
    session.add(request)
    session.flush()
    audit(session, buyer, "request", request, note=reason)
    tell_producer(
        session,
        request,
        REQUESTED,
        reference=request.reference,
        number=order.number,
        amount=format_fen(request.claimed_fen),
        days=windows.answer_days,
    )
    return request


def close(request: AftersalesRequest, outcome: str, now: datetime | None = None) -> None:
    """End the request: it no longer holds money or blocks a new one."""
    request.status = AftersalesStatus.DONE
    request.outcome = outcome
    request.open_order_id = None
    request.next_due_at = None
    request.closed_at = now or utcnow()


def settle(
    session: Session,
    actor: User | None,
    request: AftersalesRequest,
    amount_fen: int,
    outcome: str,
    *,
    gateway: StripeGateway | None = None,
    now: datetime | None = None,
) -> None:
    """Settle on ``amount_fen`` (0: no money back; for a replacement accepted as asked: the replacement).

    A card payment is refunded at once through :func:`payments.refunds.refund_agreed` and the request ends;
    money paid by hand waits in ``refund_due`` and whoever collected it is told (administrators for a bank
    transfer, the producer for cash on delivery). Raises what the refund service raises. Does not commit.
    """
    request.agreed_fen = amount_fen
    request.outcome = outcome
    request.next_due_at = None
    if request.is_receipt:
        settle_receipt(session, actor, request, outcome, now)
        return
    order = request.order
    if order is None:  # pragma: no cover (a request names an order or a delivery)
        raise NotWaitingForThis()
    if amount_fen > 0:
        refund = refund_agreed(
            session, order, request.quantities(), f"{request.reference} {request.reason}", amount_fen, gateway
        )
        if refund is None:
            request.status = AftersalesStatus.REFUND_DUE
            _tell_who_refunds_by_hand(session, request)
            audit(session, actor, outcome, request)
            return
        request.refund_id = refund.id
    close(request, outcome, now)
    audit(session, actor, outcome, request)
    params = {"reference": request.reference, "number": order.number, "amount": format_fen(amount_fen)}
    tell(session, request.buyer, "aftersales", SETTLED, buyer_link(request), **params)
    tell_producer(session, request, SETTLED, **params)


def settle_receipt(
    session: Session, actor: User | None, request: AftersalesRequest, outcome: str, now: datetime | None
) -> None:
    """End an institution's receipt request on its agreed amount: no money goes back, since the institution
    pays only the units it received (:mod:`procurement.receiving.payment`) and so never paid the disputed
    ones; what is not agreed is owed to the producer after all (:mod:`oversight.aftersales.concessions`: the
    delivery's amount due grows, or a balance transfer is asked for), and the institution's buyer and the
    producer are told both amounts. Does not commit."""
    close(request, outcome, now)
    audit(session, actor, outcome, request)
    concede_unagreed(session, request)
    agreed = request.agreed_fen or 0
    params = {
        "reference": request.reference,
        "number": request.number,
        "amount": format_fen(agreed),
        "owed": format_fen(request.claimed_fen - agreed),
    }
    tell(session, request.buyer, "aftersales", RECEIPT_SETTLED, buyer_link(request), **params)
    tell_producer(session, request, RECEIPT_SETTLED, **params)


def _tell_who_refunds_by_hand(session: Session, request: AftersalesRequest) -> None:
    params = {
        "reference": request.reference,
        "number": request.number,
        "amount": format_fen(request.agreed_fen or 0),
    }
    if request.order is not None and collector_of(request.order.checkout.method) is Collector.PRODUCER:
        for member in request.producer.members:
            if member.user.is_active:
                tell(session, member.user, "aftersales", REFUND_BY_HAND, refund_page(request), **params)
        return
    admins = select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id)
    for admin in session.scalars(admins):
        tell(session, admin, "aftersales", REFUND_BY_HAND, refund_page(request), **params)
