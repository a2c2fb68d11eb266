"""Answers to requests for quotation: a member of an invited producer quotes one of its certified products
(and may revise the quote) or declines with a reason, while the request is open. Functions flush but never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from catalog.eligibility import is_orderable
from catalog.labels import UNIT_LABELS
from catalog.products.models import Product
from catalog.products.services import MAX_PRICE_FEN
from catalog.search_filters import MAX_INT
from core.clock import shanghai_date
from core.db import utcnow
from core.i18n import format_fen
from core.models import User
from procurement.ordering.models import Quote, QuoteStatus
from procurement.rfq.errors import (
    DeclineReasonRequired,
    NotInvited,
    PriceOutOfRange,
    ProductNotCertified,
    ProductNotTheirs,
    RfqNotOpen,
)
from procurement.rfq.queries import acts_for
from procurement.rfq.services import (
    MAX_QUOTE_NOTE,
    check_date,
    check_open,
    check_quantity,
    clean_text,
    tell_requester,
)

#: Quote states a producer may still change while the request is open.
REVISABLE = frozenset({QuoteStatus.INVITED, QuoteStatus.ANSWERED, QuoteStatus.DECLINED})


@dataclass(frozen=True)
class AnswerData:
    """A producer's quote: which of its products, unit price in fen, quantity and delivery date."""

    product_id: int
    unit_price_fen: int
    quantity: int
    delivery_date: date
    note: str | None = None


def _check_responder(user: User, quote: Quote) -> None:
    """Raise unless ``user`` acts for the quote's producer and the quote may still change."""
    if not acts_for(user, quote):
        raise NotInvited()
    check_open(quote.request)
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
    product = session.get(Product, data.product_id) if 0 < (data.product_id or 0) <= MAX_INT else None
    if product is None or product.producer_id != quote.producer_id:
        raise ProductNotTheirs()
    if not is_orderable(product, today):
        raise ProductNotCertified(name=product.name)
    if not isinstance(data.unit_price_fen, int) or not 1 <= data.unit_price_fen <= MAX_PRICE_FEN:
        raise PriceOutOfRange(max=f"{MAX_PRICE_FEN // 100:,}")
    check_quantity(data.quantity)
    check_date(data.delivery_date, today)
    revised = quote.status is QuoteStatus.ANSWERED
    quote.product = product
    quote.unit_price_fen, quote.quantity = data.unit_price_fen, data.quantity
    quote.delivery_date, quote.note = data.delivery_date, clean_text(data.note, MAX_QUOTE_NOTE)
    quote.status, quote.answered_at, quote.answered_by_id = QuoteStatus.ANSWERED, utcnow(), user.id
    session.flush()
    tell_requester(
        session, quote, "rfq.revised" if revised else "rfq.answered", product=product.name,
        quantity=data.quantity, unit=UNIT_LABELS[product.unit],
        price=format_fen(data.unit_price_fen, symbol=False), date=data.delivery_date.isoformat(),
    )  # fmt: skip
    return quote


def decline_quote(session: Session, user: User, quote: Quote, reason: str) -> Quote:
    """A member of the invited producer declines, with a reason the buyer sees; any earlier price is cleared.

    Raises :class:`NotInvited`, :class:`RfqNotOpen`, :class:`DeclineReasonRequired`. Does not commit.
    """
    _check_responder(user, quote)
    text = clean_text(reason, MAX_QUOTE_NOTE)
    if text is None:
        raise DeclineReasonRequired()
    quote.product, quote.unit_price_fen, quote.quantity, quote.delivery_date = None, None, None, None
    quote.note, quote.status = text, QuoteStatus.DECLINED
    quote.answered_at, quote.answered_by_id = utcnow(), user.id
    session.flush()
    tell_requester(session, quote, "rfq.declined", reason=text)
    return quote
