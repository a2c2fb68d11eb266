"""What the request-for-quotation pages show: who may see a request or a quote, the lists, the comparison."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.pagination import Page, paginate
from orders.addresses import BY_CODE, Address
from procurement.institutions.models import Institution, InstitutionRole
from procurement.ordering.models import (
    PurchaseOrder,
    Quote,
    QuoteRequest,
    QuoteStatus,
)


def is_party(user: User, rfq: QuoteRequest) -> bool:
    """Whether ``user`` is a member (any role) of the institution that sent ``rfq``."""
    return bool(rfq.institution.roles_of(user))


def acts_for(user: User, quote: Quote) -> bool:
    """Whether ``user`` acts for the producer ``quote`` was asked of."""
    return any(m.producer_id == quote.producer_id for m in getattr(user, "producer_memberships", []))


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
