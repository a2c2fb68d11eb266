"""Requests for quotation (RFQ): an institution's buyer asks up to 20 approved producers for a price; each
producer quotes one of its certified products or declines; the buyer accepts one quote, which becomes a
purchase order through :func:`procurement.ordering.services.submit_purchase_order` at the quoted price.

A request is open until a quote is accepted or a buyer closes it; producers may revise their answer while it
is open (see :mod:`procurement.rfq.answers`). This module sends, closes and accepts requests and holds
the rules and notifications the answers share; the errors live in :mod:`procurement.rfq.errors`, what
the pages list in :mod:`procurement.rfq.queries`. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.eligibility import is_visible
from catalog.labels import UNIT_LABELS
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product, Unit
from catalog.search_filters import MAX_INT
from core.clock import shanghai_date
from core.db import utcnow
from core.i18n import in_language_of
from core.idempotency import clean_key, earlier_submission
from core.models import User
from core.notifications.services import notify
from core.numbers import new_number
from core.urls import path_for
from procurement.institutions.models import Institution, InstitutionRole
from procurement.ordering.errors import InstitutionNotVerified, InvalidPurchaseKey, NotBuyer
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
)
from procurement.ordering.services import (
    MAX_LEAD_DAYS,
    MAX_QUANTITY,
    Delivery,
    PurchaseLineInput,
    has_role,
    submit_purchase_order,
)
from procurement.rfq.errors import (
    DateOutOfRange,
    ItemRequired,
    NoProducerChosen,
    ProducerNotApproved,
    ProductNotListed,
    QuantityOutOfRange,
    QuoteNotAnswered,
    RfqNotOpen,
    TooManyProducers,
    UnitInvalid,
)

#: Most producers one request may be sent to.
MAX_PRODUCERS = 20
#: Longest item description, request note and quote note or reason.
MAX_ITEM, MAX_REQUEST_NOTE, MAX_QUOTE_NOTE = 120, 1000, 500


@dataclass(frozen=True)
class RequestData:
    """What a buyer asks for: an item in words and/or a listed product, how much, by when, from whom."""

    item: str
    product_id: int | None
    quantity: int
    unit: str
    wanted_by: date
    note: str | None
    producer_ids: Sequence[int]


def clean_text(value: str | None, longest: int) -> str | None:
    """Trim ``value`` and cut it to ``longest`` characters; blank gives None."""
    return (value or "").strip()[:longest] or None


def check_quantity(quantity: int) -> None:
    """Raise :class:`QuantityOutOfRange` unless ``quantity`` is a whole number of units in range."""
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise QuantityOutOfRange(max=MAX_QUANTITY)


def check_date(day: date, today: date) -> None:
    """Raise :class:`DateOutOfRange` unless ``day`` lies between tomorrow and :data:`MAX_LEAD_DAYS` ahead."""
    if not isinstance(day, date) or not 1 <= (day - today).days <= MAX_LEAD_DAYS:
        raise DateOutOfRange()


def _check_buyer(user: User, institution: Institution) -> None:
    """Raise unless ``institution`` is verified and ``user`` is one of its buyers."""
    if not institution.is_verified:
        raise InstitutionNotVerified(name=institution.name)
    if not has_role(user, institution, InstitutionRole.BUYER):
        raise NotBuyer()


def check_open(rfq: QuoteRequest) -> None:
    """Raise :class:`RfqNotOpen` unless the request is still open."""
    if rfq.status is not QuoteRequestStatus.OPEN:
        raise RfqNotOpen()


#: Notification texts by kind: (subject, body), filled with the parameters given to :func:`_tell`.
MESSAGES = {
    "rfq.invited": (
        _l("Request for quotation %(number)s"),
        _l("%(institution)s asks for a quote: %(item)s, %(quantity)s %(unit)s, wanted by %(date)s."),
    ),
    "rfq.answered": (
        _l("%(producer)s sent a quote for %(number)s"),
        _l("%(product)s: %(quantity)s %(unit)s at %(price)s yuan each, delivery on %(date)s."),
    ),
    "rfq.revised": (
        _l("%(producer)s revised its quote for %(number)s"),
        _l("%(product)s: %(quantity)s %(unit)s at %(price)s yuan each, delivery on %(date)s."),
    ),
    "rfq.declined": (_l("%(producer)s declined %(number)s"), _l("Reason: %(reason)s")),
    "rfq.accepted": (
        _l("Your quote for %(number)s was accepted"),
        _l("%(institution)s placed purchase order %(order)s."),
    ),
    "rfq.not_chosen": (
        _l("Request for quotation %(number)s: another quote was chosen"),
        _l("%(institution)s accepted another producer's quote. Thank you for answering."),
    ),
    "rfq.closed": (
        _l("Request for quotation %(number)s was closed"),
        _l("%(institution)s closed the request without choosing a quote."),
    ),
}


def _tell(session: Session, users: Sequence[User], kind: str, link: str, **params: object) -> None:
    """Notify ``users``, each in their own language, with the texts of ``kind`` filled with ``params``."""
    subject, body = MESSAGES[kind]
    for user in users:
        with in_language_of(user):
            notify(session, user, kind, str(subject) % params, str(body) % params, link=link)


def tell_producer(session: Session, quote: Quote, kind: str, **params: object) -> None:
    """Notify the members of the quote's producer about the request."""
    rfq = quote.request
    users = [member.user for member in quote.producer.members]
    params = {"number": rfq.number, "institution": rfq.institution.name, **params}
    _tell(session, users, kind, path_for("rfq.quote", quote_id=quote.id), **params)


def tell_requester(session: Session, quote: Quote, kind: str, **params: object) -> None:
    """Notify the buyer who sent the request about the quote's producer."""
    rfq = quote.request
    params = {"number": rfq.number, "producer": quote.producer.name, **params}
    _tell(session, [rfq.requested_by], kind, path_for("rfq.detail", number=rfq.number), **params)


def _invitees(session: Session, producer_ids: Sequence[int]) -> list[Producer]:
    """The distinct producers to ask, all approved. Raises the producer-choice errors."""
    ids = list(dict.fromkeys(producer_ids))
    if not ids:
        raise NoProducerChosen()
    if len(ids) > MAX_PRODUCERS:
        raise TooManyProducers(max=MAX_PRODUCERS)
    known = [i for i in ids if 0 < i <= MAX_INT]  # an id beyond the id range matches no producer
    found = {p.id: p for p in session.scalars(select(Producer).where(Producer.id.in_(known)))}
    for producer_id in ids:
        producer = found.get(producer_id)
        if producer is None or producer.status is not ProducerStatus.APPROVED:
            raise ProducerNotApproved(name=producer.name if producer else f"#{producer_id}")
    return [found[producer_id] for producer_id in ids]


def create_request(
    session: Session, buyer: User, institution: Institution, data: RequestData, *, now: datetime | None = None
) -> QuoteRequest:
    """Send a request for quotation to the chosen producers (one invited quote each) and notify them.

    Raises :class:`InstitutionNotVerified`, :class:`NotBuyer`, :class:`ProductNotListed`,
    :class:`ItemRequired`, :class:`QuantityOutOfRange`, :class:`UnitInvalid`, :class:`DateOutOfRange` and
    the producer-choice errors; nothing is written then. Does not commit.
    """
    _check_buyer(buyer, institution)
    today = shanghai_date(now or utcnow())
    product = None
    if data.product_id is not None:
        product = session.get(Product, data.product_id) if 0 < data.product_id <= MAX_INT else None
        if product is None or not is_visible(product):
            raise ProductNotListed(name=product.name if product else f"#{data.product_id}")
    item = " ".join((data.item or "").split())[:MAX_ITEM] or (product.name if product else "")
    if not item:
        raise ItemRequired()
    check_quantity(data.quantity)
    try:
        unit = Unit(data.unit)
    except ValueError as exc:
        raise UnitInvalid() from exc
    check_date(data.wanted_by, today)
    producers = _invitees(session, data.producer_ids)
    rfq = QuoteRequest(
        number=new_number(session, QuoteRequest.number, "Q", today, set()),
        institution=institution,
        requested_by=buyer,
        item=item,
        product=product,
        quantity=data.quantity,
        unit=unit.value,
        wanted_by=data.wanted_by,
        note=clean_text(data.note, MAX_REQUEST_NOTE),
        status=QuoteRequestStatus.OPEN,
        quotes=[Quote(producer=producer, status=QuoteStatus.INVITED) for producer in producers],
    )
    session.add(rfq)
    session.flush()
    for quote in rfq.quotes:
        tell_producer(
            session, quote, "rfq.invited", item=rfq.item, quantity=rfq.quantity, unit=UNIT_LABELS[unit],
            date=rfq.wanted_by.isoformat(),
        )  # fmt: skip
    return rfq


def close_request(session: Session, buyer: User, rfq: QuoteRequest) -> QuoteRequest:
    """A buyer closes an open request without accepting a quote; answered quotes become not chosen.

    Raises :class:`NotBuyer`, :class:`RfqNotOpen`. Does not commit.
    """
    if not has_role(buyer, rfq.institution, InstitutionRole.BUYER):
        raise NotBuyer()
    check_open(rfq)
    rfq.status = QuoteRequestStatus.CLOSED
    for quote in rfq.quotes:
        if quote.status is QuoteStatus.ANSWERED:
            quote.status = QuoteStatus.NOT_CHOSEN
            tell_producer(session, quote, "rfq.closed")
    session.flush()
    return rfq


def _same_form(session: Session, key: str, quote: Quote) -> PurchaseOrder | None:
    """The purchase order this accept form already created (double click); another quote's key is refused."""
    return earlier_submission(
        session,
        PurchaseOrder.idempotency_key,
        key,
        lambda order: order.quote_id == quote.id,
        InvalidPurchaseKey,
    )


def accept_quote(
    session: Session,
    buyer: User,
    quote: Quote,
    delivery: Delivery,
    funding_source: FundingSource | str,
    idempotency_key: str,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> PurchaseOrder:
    """Accept an answered quote: one purchase order at the quoted price and quantity (no minimum order).

    The quote becomes accepted, the other open quotes not chosen, the request accepted. The request is
    claimed with a conditional UPDATE, so of two concurrent accepts only one wins; the same form sent twice
    (same ``idempotency_key``) returns the first purchase order. Raises :class:`InvalidPurchaseKey`,
    :class:`InstitutionNotVerified`, :class:`NotBuyer`, :class:`RfqNotOpen`, :class:`QuoteNotAnswered` and
    whatever :func:`submit_purchase_order` raises (the view rolls back). Does not commit.
    """
    key = clean_key(idempotency_key, InvalidPurchaseKey)
    earlier = _same_form(session, key, quote)
    if earlier is not None:
        return earlier
    rfq = quote.request
    _check_buyer(buyer, rfq.institution)
    check_open(rfq)
    if quote.status is not QuoteStatus.ANSWERED or quote.product_id is None or quote.quantity is None:
        raise QuoteNotAnswered()
    claimed = session.execute(
        update(QuoteRequest)
        .where(QuoteRequest.id == rfq.id, QuoteRequest.status == QuoteRequestStatus.OPEN)
        .values(status=QuoteRequestStatus.ACCEPTED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        earlier = _same_form(session, key, quote)  # the other accept was this very form
        if earlier is not None:
            return earlier
        raise RfqNotOpen()
    line = PurchaseLineInput(quote.product_id, quote.quantity, unit_price_fen=quote.unit_price_fen)
    purchase = submit_purchase_order(
        session,
        buyer,
        rfq.institution,
        [line],
        delivery,
        funding_source,
        key,
        note=note,
        quote=quote,
        now=now,
    )
    rfq.status = QuoteRequestStatus.ACCEPTED
    for other in rfq.quotes:
        if other is quote:
            other.status = QuoteStatus.ACCEPTED
        elif other.status in (QuoteStatus.INVITED, QuoteStatus.ANSWERED):
            if other.status is QuoteStatus.ANSWERED:
                tell_producer(session, other, "rfq.not_chosen")
            other.status = QuoteStatus.NOT_CHOSEN
    session.flush()
    tell_producer(session, quote, "rfq.accepted", order=purchase.number)
    return purchase
