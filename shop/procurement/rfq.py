"""Requests for quotation (RFQ): an institution's buyer asks up to 20 approved producers for a price; each
producer quotes one of its certified products or declines; the buyer accepts one quote, which becomes a
purchase order through :func:`shop.procurement.purchasing.submit_purchase_order` at the quoted price.

A request is open until a quote is accepted or a buyer closes it; producers may revise their answer while it
is open. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.labels import UNIT_LABELS
from catalog.models import Producer, ProducerStatus
from catalog.product_models import Product, Unit
from catalog.products import MAX_PRICE_FEN
from catalog.search import is_visible
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import DomainError, NotFound
from core.models import User
from core.pagination import Page, paginate
from shop.notifications.service import notify
from shop.orders.checkout import in_language_of
from shop.orders.provinces import BY_CODE, Address
from shop.procurement.models import Institution, InstitutionRole
from shop.procurement.order_models import (
    FundingSource,
    PurchaseOrder,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
)
from shop.procurement.purchasing import (
    KEY_PATTERN,
    MAX_LEAD_DAYS,
    MAX_QUANTITY,
    Delivery,
    InstitutionNotVerified,
    InvalidPurchaseKey,
    NotBuyer,
    PurchaseLineInput,
    has_role,
    new_number,
    submit_purchase_order,
)

#: Most producers one request may be sent to.
MAX_PRODUCERS = 20
#: Longest item description, request note and quote note or reason.
MAX_ITEM, MAX_REQUEST_NOTE, MAX_QUOTE_NOTE = 120, 1000, 500
#: Quote states a producer may still change while the request is open.
REVISABLE = frozenset({QuoteStatus.INVITED, QuoteStatus.ANSWERED, QuoteStatus.DECLINED})


class RfqError(DomainError):
    """A request for quotation or a quote cannot be written as asked."""

    status = 400
    message = _l("This request for quotation cannot be changed as asked.")


class ItemRequired(RfqError):
    """A request names what is wanted: an item in words or a listed product."""

    message = _l("Describe the item you want or choose a listed product.")


class ProductNotListed(RfqError):
    """The listed product chosen for a request is withdrawn or its producer not approved."""

    message = _l("%(name)s is not listed at the moment.")


class QuantityOutOfRange(RfqError):
    """Quantities are whole units from 1 to :data:`MAX_QUANTITY`."""

    message = _l("Enter a whole quantity from 1 to %(max)s.")


class UnitInvalid(RfqError):
    """The unit must be one of the catalog's selling units."""

    message = _l("Choose a unit.")


class DateOutOfRange(RfqError):
    """Wanted-by and delivery dates lie between tomorrow and a year ahead (never in the past)."""

    message = _l("Choose a delivery date between tomorrow and one year from today.")


class NoProducerChosen(RfqError):
    """A request goes to at least one producer."""

    message = _l("Choose at least one producer to ask.")


class TooManyProducers(RfqError):
    """A request goes to at most :data:`MAX_PRODUCERS` producers."""

    message = _l("Ask at most %(max)s producers at once.")


class ProducerNotApproved(RfqError):
    """Only approved producers can be asked for a quote."""

    message = _l("%(name)s is not an approved producer and cannot be asked.")


class NotInvited(NotFound):
    """The acting user does not act for the producer this quote was asked of (looks like a missing page)."""

    message = _l("This request for quotation was not sent to you.")


class RfqNotOpen(RfqError):
    """The request was accepted or closed: nobody may answer, accept or close it any more."""

    status = 409
    message = _l("This request for quotation is no longer open.")


class ProductNotTheirs(RfqError):
    """A producer quotes only one of its own products."""

    message = _l("Choose one of your own products.")


class ProductNotCertified(RfqError):
    """The quoted product must be listed and certified today: the purchase order will need it."""

    message = _l(
        "%(name)s is not listed with a certificate valid today, so it cannot be quoted: "
        "institutions can only order certified products."
    )


class PriceOutOfRange(RfqError):
    """Unit prices run from one fen to the catalog's highest price."""

    message = _l("Enter a unit price from ¥0.01 to ¥%(max)s.")


class DeclineReasonRequired(RfqError):
    """A producer who declines says why, so the buyer can ask elsewhere."""

    message = _l("Say why you decline, so the buyer knows.")


class QuoteNotAnswered(RfqError):
    """Only a quote with a price can be accepted."""

    status = 409
    message = _l("Only a quote with a price can be accepted.")


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


@dataclass(frozen=True)
class AnswerData:
    """A producer's quote: which of its products, unit price in fen, quantity and delivery date."""

    product_id: int
    unit_price_fen: int
    quantity: int
    delivery_date: date
    note: str | None = None


def _text(value: str | None, longest: int) -> str | None:
    """Trim ``value`` and cut it to ``longest`` characters; blank gives None."""
    return (value or "").strip()[:longest] or None


def _check_quantity(quantity: int) -> None:
    """Raise :class:`QuantityOutOfRange` unless ``quantity`` is a whole number of units in range."""
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise QuantityOutOfRange(max=MAX_QUANTITY)


def _check_date(day: date, today: date) -> None:
    """Raise :class:`DateOutOfRange` unless ``day`` lies between tomorrow and :data:`MAX_LEAD_DAYS` ahead."""
    if not isinstance(day, date) or not 1 <= (day - today).days <= MAX_LEAD_DAYS:
        raise DateOutOfRange()


def _check_buyer(user: User, institution: Institution) -> None:
    """Raise unless ``institution`` is verified and ``user`` is one of its buyers."""
    if not institution.is_verified:
        raise InstitutionNotVerified(name=institution.name)
    if not has_role(user, institution, InstitutionRole.BUYER):
        raise NotBuyer()


def _check_open(rfq: QuoteRequest) -> None:
    """Raise :class:`RfqNotOpen` unless the request is still open."""
    if rfq.status is not QuoteRequestStatus.OPEN:
        raise RfqNotOpen()


def is_party(user: User, rfq: QuoteRequest) -> bool:
    """Whether ``user`` is a member (any role) of the institution that sent ``rfq``."""
    return bool(rfq.institution.roles_of(user))


def acts_for(user: User, quote: Quote) -> bool:
    """Whether ``user`` acts for the producer ``quote`` was asked of."""
    return any(m.producer_id == quote.producer_id for m in getattr(user, "producer_memberships", []))


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


def _tell_producer(session: Session, quote: Quote, kind: str, **params: object) -> None:
    """Notify the members of the quote's producer about the request."""
    rfq = quote.request
    users = [member.user for member in quote.producer.members]
    params = {"number": rfq.number, "institution": rfq.institution.name, **params}
    _tell(session, users, kind, f"/rfq/quotes/{quote.id}", **params)


def _tell_requester(session: Session, quote: Quote, kind: str, **params: object) -> None:
    """Notify the buyer who sent the request about the quote's producer."""
    rfq = quote.request
    params = {"number": rfq.number, "producer": quote.producer.name, **params}
    _tell(session, [rfq.requested_by], kind, f"/rfq/{rfq.number}", **params)


def _invitees(session: Session, producer_ids: Sequence[int]) -> list[Producer]:
    """The distinct producers to ask, all approved. Raises the producer-choice errors."""
    ids = list(dict.fromkeys(producer_ids))
    if not ids:
        raise NoProducerChosen()
    if len(ids) > MAX_PRODUCERS:
        raise TooManyProducers(max=MAX_PRODUCERS)
    found = {p.id: p for p in session.scalars(select(Producer).where(Producer.id.in_(ids)))}
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
        product = session.get(Product, data.product_id)
        if product is None or not is_visible(product):
            raise ProductNotListed(name=product.name if product else f"#{data.product_id}")
    item = " ".join((data.item or "").split())[:MAX_ITEM] or (product.name if product else "")
    if not item:
        raise ItemRequired()
    _check_quantity(data.quantity)
    try:
        unit = Unit(data.unit)
    except ValueError as exc:
        raise UnitInvalid() from exc
    _check_date(data.wanted_by, today)
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
        note=_text(data.note, MAX_REQUEST_NOTE),
        status=QuoteRequestStatus.OPEN,
        quotes=[Quote(producer=producer, status=QuoteStatus.INVITED) for producer in producers],
    )
    session.add(rfq)
    session.flush()
    for quote in rfq.quotes:
        _tell_producer(
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
    _check_open(rfq)
    rfq.status = QuoteRequestStatus.CLOSED
    for quote in rfq.quotes:
        if quote.status is QuoteStatus.ANSWERED:
            quote.status = QuoteStatus.NOT_CHOSEN
            _tell_producer(session, quote, "rfq.closed")
    session.flush()
    return rfq


def _check_responder(user: User, quote: Quote) -> None:
    """Raise unless ``user`` acts for the quote's producer and the quote may still change."""
    if not acts_for(user, quote):
        raise NotInvited()
    _check_open(quote.request)
    if quote.status not in REVISABLE:
        raise RfqNotOpen()


def answer_quote(
    session: Session, user: User, quote: Quote, data: AnswerData, *, now: datetime | None = None
) -> Quote:
    """A member of the invited producer quotes (or revises the quote) while the request is open.

    The product must be the producer's own and listed with a certificate valid today. Raises
    :class:`NotInvited`, :class:`RfqNotOpen`, :class:`ProductNotTheirs`, :class:`ProductNotCertified`,
    :class:`PriceOutOfRange`, :class:`QuantityOutOfRange`, :class:`DateOutOfRange`. Does not commit.
    """
    _check_responder(user, quote)
    today = shanghai_date(now or utcnow())
    product = session.get(Product, data.product_id)
    if product is None or product.producer_id != quote.producer_id:
        raise ProductNotTheirs()
    if not is_visible(product) or product.valid_certificate_on(today) is None:
        raise ProductNotCertified(name=product.name)
    if not isinstance(data.unit_price_fen, int) or not 1 <= data.unit_price_fen <= MAX_PRICE_FEN:
        raise PriceOutOfRange(max=f"{MAX_PRICE_FEN // 100:,}")
    _check_quantity(data.quantity)
    _check_date(data.delivery_date, today)
    revised = quote.status is QuoteStatus.ANSWERED
    quote.product = product
    quote.unit_price_fen, quote.quantity = data.unit_price_fen, data.quantity
    quote.delivery_date, quote.note = data.delivery_date, _text(data.note, MAX_QUOTE_NOTE)
    quote.status, quote.answered_at, quote.answered_by_id = QuoteStatus.ANSWERED, utcnow(), user.id
    session.flush()
    _tell_requester(
        session, quote, "rfq.revised" if revised else "rfq.answered", product=product.name,
        quantity=data.quantity, unit=UNIT_LABELS[product.unit], price=f"{data.unit_price_fen / 100:,.2f}",
        date=data.delivery_date.isoformat(),
    )  # fmt: skip
    return quote


def decline_quote(session: Session, user: User, quote: Quote, reason: str) -> Quote:
    """A member of the invited producer declines, with a reason the buyer sees; any earlier price is cleared.

    Raises :class:`NotInvited`, :class:`RfqNotOpen`, :class:`DeclineReasonRequired`. Does not commit.
    """
    _check_responder(user, quote)
    text = _text(reason, MAX_QUOTE_NOTE)
    if text is None:
        raise DeclineReasonRequired()
    quote.product, quote.unit_price_fen, quote.quantity, quote.delivery_date = None, None, None, None
    quote.note, quote.status = text, QuoteStatus.DECLINED
    quote.answered_at, quote.answered_by_id = utcnow(), user.id
    session.flush()
    _tell_requester(session, quote, "rfq.declined", reason=text)
    return quote


def _same_form(session: Session, key: str, quote: Quote) -> PurchaseOrder | None:
    """The purchase order this accept form already created (double click); another quote's key is refused."""
    earlier = session.scalar(select(PurchaseOrder).where(PurchaseOrder.idempotency_key == key))
    if earlier is not None and earlier.quote_id != quote.id:
        raise InvalidPurchaseKey()
    return earlier


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
    key = (idempotency_key or "").strip()
    if not KEY_PATTERN.match(key):
        raise InvalidPurchaseKey()
    earlier = _same_form(session, key, quote)
    if earlier is not None:
        return earlier
    rfq = quote.request
    _check_buyer(buyer, rfq.institution)
    _check_open(rfq)
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
                _tell_producer(session, other, "rfq.not_chosen")
            other.status = QuoteStatus.NOT_CHOSEN
    session.flush()
    _tell_producer(session, quote, "rfq.accepted", order=purchase.number)
    return purchase


# --- what the pages show -----------------------------------------------------------------------------------


def find_request(session: Session, number: str) -> QuoteRequest | None:
    """The request numbered ``number``, if any."""
    return session.scalar(select(QuoteRequest).where(QuoteRequest.number == number))


def requests_for(session: Session, user: User, page: int) -> Page[QuoteRequest]:
    """One page of the requests of every institution ``user`` is a member of, newest first."""
    ids = {m.institution_id for m in getattr(user, "institution_memberships", [])}
    query = (
        select(QuoteRequest)
        .where(QuoteRequest.institution_id.in_(ids))
        .order_by(QuoteRequest.created_at.desc(), QuoteRequest.id.desc())
    )
    return paginate(session, query, page)


def inbox_for(session: Session, user: User, page: int) -> Page[Quote]:
    """One page of the quotes asked of the producers ``user`` acts for, newest request first."""
    ids = {m.producer_id for m in getattr(user, "producer_memberships", [])}
    query = (
        select(Quote)
        .join(Quote.request)
        .where(Quote.producer_id.in_(ids))
        .order_by(QuoteRequest.created_at.desc(), Quote.id.desc())
    )
    return paginate(session, query, page)


def buying_institutions(user: User) -> list[Institution]:
    """The institutions ``user`` buys for (any verification state; sending checks it)."""
    found = {
        m.institution_id: m.institution
        for m in getattr(user, "institution_memberships", [])
        if m.role is InstitutionRole.BUYER
    }
    return sorted(found.values(), key=lambda institution: institution.id)


def purchase_of(session: Session, rfq: QuoteRequest) -> PurchaseOrder | None:
    """The purchase order made from the request's accepted quote, if any."""
    query = select(PurchaseOrder).join(Quote, PurchaseOrder.quote_id == Quote.id)
    return session.scalar(query.where(Quote.request_id == rfq.id))


def last_address(session: Session, institution: Institution) -> Address | None:
    """The delivery address of the institution's latest purchase order, to fill the accept form with."""
    query = select(PurchaseOrder).where(PurchaseOrder.institution_id == institution.id)
    order = session.scalar(query.order_by(PurchaseOrder.id.desc()).limit(1))
    if order is None:
        return None
    code = next((p.code for p in BY_CODE.values() if p.name == order.province), "")
    return Address(order.recipient, order.mobile, code, order.city, order.district, order.address_detail)


def lowest_price(rfq: QuoteRequest) -> int | None:
    """The lowest unit price when at least two quotes have a price (to mark it on the comparison)."""
    prices = [q.unit_price_fen for q in rfq.quotes if q.status is QuoteStatus.ANSWERED and q.unit_price_fen]
    return min(prices) if len(prices) > 1 else None


#: Order of the quotes on the comparison: priced ones first, unanswered next, declined last.
COMPARISON_ORDER = (
    QuoteStatus.ACCEPTED,
    QuoteStatus.ANSWERED,
    QuoteStatus.NOT_CHOSEN,
    QuoteStatus.INVITED,
    QuoteStatus.DECLINED,
)


def compared_quotes(rfq: QuoteRequest) -> list[Quote]:
    """The request's quotes for side-by-side comparison: by state, then cheapest first, then by producer."""
    return sorted(
        rfq.quotes,
        key=lambda q: (COMPARISON_ORDER.index(q.status), q.unit_price_fen or 0, q.producer.name, q.id),
    )
