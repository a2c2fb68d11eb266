"""Submitting a purchase order (split into one supplier order per producer) and approving it.

These are the rules every way of ordering shares — the grid, a CSV upload, an accepted quote: the institution
is verified, the acting user is one of its buyers, products are visible and certified today, minimum order
quantities hold, tier prices apply, and a purchase order waits for an approver other than the buyer when
the institution says every one does, or when it would take the buyer past the spending limit. Functions
flush but never commit.

The spending limit is what one buyer may have go straight to the producers, without an approver, in a
calendar month (Asia/Shanghai): the purchase orders of that buyer for that institution this month that went
through without approval (and were not cancelled) plus the new one must stay within it. So a single order
above the limit always waits, and two orders that together pass it cannot both go through — also when they
are submitted at the same moment: the check runs under a lock on the institution's row (``SELECT … FOR
UPDATE`` on PostgreSQL, the database's write lock on SQLite), so concurrent submissions are decided one
after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.eligibility import is_orderable
from catalog.products.models import Product
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.i18n import format_fen, in_language_of
from core.idempotency import clean_key, earlier_submission
from core.models import User
from core.notifications.services import notify
from core.numbers import new_number
from core.transactions import claim_write_lock
from core.urls import path_for
from orders.addresses import BY_CODE, Address, validate_address
from procurement.institutions.models import Institution, InstitutionRole
from procurement.ordering.errors import (
    BelowMinimum,
    DeliveryDateInvalid,
    EmptyPurchase,
    InstitutionNotVerified,
    InvalidPurchaseKey,
    NotBuyer,
    PriceAboveReference,
    ProductNotOrderable,
    PurchaseError,  # noqa: F401 (re-exported: callers catch it from here)
    QuantityInvalid,
    TooManyLines,
    UnknownFundingSource,
)
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    PurchaseStatus,
    Quote,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from procurement.signals import price_objections

#: Most units of one product on one line.
MAX_QUANTITY = 1_000_000
#: Most lines on one purchase order.
MAX_LINES = 200
#: Furthest delivery date from today, in days.
MAX_LEAD_DAYS = 366


@dataclass(frozen=True)
class PurchaseLineInput:
    """A product and quantity to order; ``unit_price_fen`` only when an accepted quote fixed the price."""

    product_id: int
    quantity: int
    unit_price_fen: int | None = None


@dataclass(frozen=True)
class Delivery:
    """Where and when the goods should arrive."""

    address: Address
    delivery_date: date


def has_role(user: User, institution: Institution, role: InstitutionRole) -> bool:
    """Whether ``user`` holds ``role`` in ``institution``."""
    return role in institution.roles_of(user)


def needs_approval(institution: Institution, total_fen: int, spent_fen: int = 0) -> bool:
    """Maker–checker applies to every order if the institution requires it, else when the buyer's orders
    that went straight through this month (``spent_fen``) plus this one pass the spending limit."""
    if institution.requires_approval:
        return True
    limit = institution.spending_limit_fen
    return limit is not None and spent_fen + total_fen > limit


def month_start(now: datetime) -> datetime:
    """The instant the Asia/Shanghai calendar month of ``now`` began (aware, for comparing with UTC)."""
    local = now.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_without_approval(session: Session, institution: Institution, buyer: User, now: datetime) -> int:
    """What ``buyer`` had go straight to the producers for ``institution`` this calendar month, in fen.

    Purchase orders approved without an approver (``approver_id`` is empty) since the month began; cancelled
    and rejected ones do not count.
    """
    total = session.scalar(
        select(func.coalesce(func.sum(PurchaseOrder.total_fen), 0)).where(
            PurchaseOrder.institution_id == institution.id,
            PurchaseOrder.buyer_id == buyer.id,
            PurchaseOrder.status == PurchaseStatus.APPROVED,
            PurchaseOrder.approver_id.is_(None),
            PurchaseOrder.submitted_at >= month_start(now),
        )
    )
    return int(total or 0)


def lock_institution(session: Session, institution: Institution) -> Institution:
    """Reload ``institution`` under a write lock, so concurrent submissions check its limit one at a time."""
    session.flush()
    claim_write_lock(session)
    query = select(Institution).where(Institution.id == institution.id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def institution_purchases(institution: Institution) -> Select[PurchaseOrder]:
    """Query: the institution's purchase orders, newest first."""
    return (
        select(PurchaseOrder)
        .where(PurchaseOrder.institution_id == institution.id)
        .order_by(PurchaseOrder.submitted_at.desc(), PurchaseOrder.id.desc())
    )


def check_line(session: Session, line: PurchaseLineInput, today: date) -> tuple[Product, int]:
    """Load and check one line's product; return it with the unit price that applies (tier or quote).

    Raises :class:`ProductNotOrderable`, :class:`QuantityInvalid`, :class:`BelowMinimum`.
    """
    product = session.get(Product, line.product_id)
    if product is None or not is_orderable(product, today):
        raise ProductNotOrderable(name=product.name if product is not None else f"#{line.product_id}")
    if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
        raise QuantityInvalid(name=product.name, max=MAX_QUANTITY)
    if line.unit_price_fen is None and line.quantity < product.institution_moq:
        raise BelowMinimum(name=product.name, minimum=product.institution_moq)
    price = line.unit_price_fen if line.unit_price_fen is not None else product.unit_price_for(line.quantity)
    return product, price


def refuses_above_reference() -> bool:
    """Whether lines above the reference price are refused (``PROCUREMENT_ABOVE_REFERENCE = "refuse"``)
    rather than flagged."""
    return has_app_context() and current_app.config.get("PROCUREMENT_ABOVE_REFERENCE", "flag") == "refuse"


def _check_prices(session: Session, priced: list[tuple[Product, int, int]]) -> dict[int, int]:
    """Ask whether any line is priced above its reference (product id → reference fen, to flag them); raise
    :class:`PriceAboveReference` for the first such line when they are refused."""
    references = price_objections(session, [(product, price) for product, _quantity, price in priced])
    if references and refuses_above_reference():
        for product, _quantity, price in priced:
            if product.id in references:
                raise PriceAboveReference(
                    name=product.name, price=format_fen(price), reference=format_fen(references[product.id])
                )
    return references


def _check_delivery(delivery: Delivery, today: date) -> Address:
    address = validate_address(delivery.address)
    if not 1 <= (delivery.delivery_date - today).days <= MAX_LEAD_DAYS:
        raise DeliveryDateInvalid()
    return address


def _existing(session: Session, key: str, institution: Institution) -> PurchaseOrder | None:
    """The purchase order already submitted with ``key``; another institution's key is refused."""
    return earlier_submission(
        session,
        PurchaseOrder.idempotency_key,
        key,
        lambda order: order.institution_id == institution.id,
        InvalidPurchaseKey,
    )


def _write(
    session: Session,
    buyer: User,
    institution: Institution,
    priced: list[tuple[Product, int, int]],
    references: dict[int, int],
    address: Address,
    delivery_date: date,
    funding: FundingSource,
    key: str,
    note: str | None,
    quote: Quote | None,
    now: datetime,
) -> PurchaseOrder:
    today = shanghai_date(now)
    total = sum(quantity * price for _product, quantity, price in priced)
    institution = lock_institution(session, institution)
    waits = needs_approval(institution, total, spent_without_approval(session, institution, buyer, now))
    taken: set[str] = set()
    purchase = PurchaseOrder(
        number=new_number(session, PurchaseOrder.number, "P", today, taken),
        institution=institution,
        buyer=buyer,
        status=PurchaseStatus.AWAITING_APPROVAL if waits else PurchaseStatus.APPROVED,
        funding_source=funding,
        delivery_date=delivery_date,
        recipient=address.recipient,
        mobile=address.mobile,
        province=BY_CODE[address.province_code].name,
        city=address.city,
        district=address.district,
        address_detail=address.detail,
        note=note,
        total_fen=total,
        submitted_at=now,
        idempotency_key=key,
        quote_id=quote.id if quote is not None else None,
    )
    session.add(purchase)
    by_producer: dict[int, SupplierOrder] = {}
    for product, quantity, price in priced:
        producer_id = product.producer_id
        order = by_producer.get(producer_id)
        if order is None:
            order = SupplierOrder(
                number=new_number(session, SupplierOrder.number, "S", today, taken),
                producer_id=producer_id,
                status=SupplierStatus.AWAITING_APPROVAL if waits else SupplierStatus.AWAITING_CONFIRMATION,
            )
            purchase.supplier_orders.append(order)
            by_producer[producer_id] = order
        order.lines.append(
            SupplierLine(
                product=product,
                product_name=product.name,
                unit=product.unit.value,
                unit_price_fen=price,
                reference_price_fen=references.get(product.id),
                requested_quantity=quantity,
            )
        )
    session.flush()
    return purchase


def notify_producers(session: Session, purchase: PurchaseOrder) -> None:
    """Tell each producer's members that a supplier order waits for their confirmation. Does not commit."""
    for order in purchase.supplier_orders:
        for member in order.producer.members:
            with in_language_of(member.user):
                notify(
                    session,
                    member.user,
                    "procurement.order_received",
                    _("New purchase order %(number)s", number=order.number),
                    _(
                        "%(institution)s ordered from %(producer)s for delivery on %(date)s. "
                        "Please confirm, adjust or decline each line.",
                        institution=purchase.institution.name,
                        producer=order.producer.name,
                        date=purchase.delivery_date.isoformat(),
                    ),
                    link=path_for("supplier.detail", number=order.number),
                )


def _notify_approvers(session: Session, purchase: PurchaseOrder) -> None:
    for member in purchase.institution.members:
        if member.role is InstitutionRole.APPROVER and member.user_id != purchase.buyer_id:
            with in_language_of(member.user):
                notify(
                    session,
                    member.user,
                    "procurement.approval_needed",
                    _("Purchase order %(number)s needs your approval", number=purchase.number),
                    _(
                        "%(buyer)s submitted a purchase order of %(amount)s yuan.",
                        buyer=purchase.buyer.display_name,
                        amount=format_fen(purchase.total_fen, symbol=False),
                    ),
                    link=path_for("purchase_orders.order_detail", number=purchase.number),
                )


def submit_purchase_order(
    session: Session,
    buyer: User,
    institution: Institution,
    lines: Sequence[PurchaseLineInput],
    delivery: Delivery,
    funding_source: FundingSource | str,
    idempotency_key: str,
    *,
    note: str | None = None,
    quote: Quote | None = None,
    now: datetime | None = None,
) -> PurchaseOrder:
    """Submit a purchase order for ``lines``, split into one supplier order per producer.

    Returns the new purchase order, or the existing one when ``idempotency_key`` was used before (so a
    double-clicked, retried or concurrent identical submit creates exactly one). It goes to the producers at
    once, or waits for an approver when :func:`needs_approval` says so. Raises :class:`InvalidPurchaseKey`,
    :class:`InstitutionNotVerified`, :class:`NotBuyer`, :class:`EmptyPurchase`, :class:`TooManyLines`,
    :class:`UnknownFundingSource`, :class:`DeliveryDateInvalid`, ``AddressInvalid`` and the line errors of
    :func:`check_line`; nothing is written then. Does not commit.
    """
    key = clean_key(idempotency_key, InvalidPurchaseKey)
    existing = _existing(session, key, institution)
    if existing is not None:
        return existing
    if not institution.is_verified:
        raise InstitutionNotVerified(name=institution.name)
    if not has_role(buyer, institution, InstitutionRole.BUYER):
        raise NotBuyer()
    if not lines:
        raise EmptyPurchase()
    if len(lines) > MAX_LINES:
        raise TooManyLines(max=MAX_LINES)
    try:
        funding = FundingSource(funding_source)
    except ValueError as exc:
        raise UnknownFundingSource() from exc
    now = now or utcnow()
    today = shanghai_date(now)
    address = _check_delivery(delivery, today)
    merged: dict[int, PurchaseLineInput] = {}
    for line in lines:  # the same product twice becomes one line
        if line.product_id in merged:
            first = merged[line.product_id]
            line = PurchaseLineInput(line.product_id, first.quantity + line.quantity, line.unit_price_fen)
        merged[line.product_id] = line
    priced = []
    for line in merged.values():
        product, price = check_line(session, line, today)
        priced.append((product, line.quantity, price))
    references = _check_prices(session, priced)
    clean_note = " ".join((note or "").split())[:500] or None
    try:
        with session.begin_nested():
            purchase = _write(
                session, buyer, institution, priced, references, address, delivery.delivery_date, funding,
                key, clean_note, quote, now,
            )  # fmt: skip
    except IntegrityError:
        existing = _existing(session, key, institution)
        if existing is None:
            raise
        return existing  # the same form was submitted twice at once: the other one won
    if purchase.status is PurchaseStatus.AWAITING_APPROVAL:
        _notify_approvers(session, purchase)
    else:
        notify_producers(session, purchase)
    return purchase
