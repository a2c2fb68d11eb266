"""What the institution's ordering pages read: who acts for which institution, the product grid, and the
purchase orders a member may see. Read-only: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from catalog.eligibility import orderable_products
from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.search_filters import MAX_INT, where_found
from core.errors import NotFound
from core.models import Region, User
from core.pagination import Page, paginate
from procurement.institutions.models import AnnualPlan, Institution, InstitutionRole
from procurement.ordering.errors import InstitutionNotVerified, NotBuyer
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierOrder, SupplierStatus

#: Products per page of the order grid.
GRID_PAGE_SIZE = 30
#: Purchase orders per page of the list.
ORDERS_PAGE_SIZE = 20


def _by_name(institutions: set[Institution]) -> list[Institution]:
    """Institutions sorted by name, then id (a stable order for choosers)."""
    return sorted(institutions, key=lambda inst: (inst.name, inst.id))


def buyer_institutions(user: User) -> list[Institution]:
    """The institutions ``user`` buys for (buyer role), by name."""
    memberships = getattr(user, "institution_memberships", [])
    return _by_name({m.institution for m in memberships if m.role is InstitutionRole.BUYER})


def member_institutions(user: User) -> list[Institution]:
    """The institutions ``user`` belongs to in any role, by name."""
    return _by_name({m.institution for m in getattr(user, "institution_memberships", [])})


def acting_institution(user: User, requested_id: int | None = None) -> Institution:
    """The institution ``user`` orders for: ``requested_id`` if they buy for it, else the first verified one.

    Raises :class:`NotBuyer` (403) when the user buys for no such institution and
    :class:`InstitutionNotVerified` (403) when the institution may not order yet.
    """
    institutions = buyer_institutions(user)
    if requested_id is not None:
        chosen = next((inst for inst in institutions if inst.id == requested_id), None)
    else:
        chosen = next((inst for inst in institutions if inst.is_verified), None) or next(
            iter(institutions), None
        )
    if chosen is None:
        raise NotBuyer()
    if not chosen.is_verified:
        raise InstitutionNotVerified(name=chosen.name)
    return chosen


def current_plan(institution: Institution, today: date) -> AnnualPlan | None:
    """The institution's plan for ``today``'s year, if it has one."""
    return next((plan for plan in institution.plans if plan.year == today.year), None)


def featured_county_ids(institution: Institution, today: date) -> list[int]:
    """Counties to show first: the current plan's featured counties, then the paired ones."""
    plan = current_plan(institution, today)
    ids = list(plan.featured_county_ids or []) if plan is not None else []
    ids += [county.id for county in institution.paired_counties if county.id not in ids]
    return [county_id for county_id in ids if isinstance(county_id, int)]


@dataclass(frozen=True)
class GridQuery:
    """What the buyer searched for on the grid."""

    q: str | None = None
    county_id: int | None = None
    page: int = 1


def grid_products(session: Session, query: GridQuery, featured: Sequence[int], today: date) -> Page[Product]:
    """One page of orderable products for the grid, ``featured`` counties first, then by county and name."""
    select_ = orderable_products(today)
    if query.county_id is not None:
        select_ = select_.where(Producer.county_id == query.county_id)
    select_ = where_found(select_, query.q)  # after the county: a search keeps a window of its matches
    first = case((Producer.county_id.in_(list(featured)), 0), else_=1) if featured else None
    order = [Producer.county_id, Product.name, Product.id]
    select_ = select_.order_by(*([first] if first is not None else []), *order).options(
        selectinload(Product.producer).selectinload(Producer.county),
        selectinload(Product.tiers),
    )
    return paginate(session, select_, query.page, GRID_PAGE_SIZE)


def grid_counties(session: Session, today: date) -> list[Region]:
    """Counties with at least one orderable product (for the grid's county filter)."""
    ids = orderable_products(today).with_only_columns(Producer.county_id).distinct()
    return list(session.scalars(select(Region).where(Region.id.in_(ids)).order_by(Region.code)))


def products_by_id(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    """Products with these ids (ids out of range are ignored), for the grid's quantity inputs."""
    wanted = [i for i in ids if 0 < i <= MAX_INT]
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}


def purchase_list(
    session: Session,
    institutions: Sequence[Institution],
    status: PurchaseStatus | None = None,
    page: int = 1,
) -> Page[PurchaseOrder]:
    """One page of the purchase orders of ``institutions``, newest first, maybe only in ``status``."""
    ids = [inst.id for inst in institutions]
    query = (
        select(PurchaseOrder)
        .where(PurchaseOrder.institution_id.in_(ids))
        .order_by(PurchaseOrder.submitted_at.desc(), PurchaseOrder.id.desc())
        .options(selectinload(PurchaseOrder.institution), selectinload(PurchaseOrder.buyer))
    )
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    return paginate(session, query, page, ORDERS_PAGE_SIZE)


def member_purchase(session: Session, user: User, number: str) -> PurchaseOrder:
    """The purchase order ``number`` if ``user`` is a member of its institution or an administrator (who
    may cancel a stuck one); else :class:`NotFound`.

    Outsiders learn nothing, not even that the number exists.
    """
    purchase = session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number[:24])
        .options(
            selectinload(PurchaseOrder.supplier_orders).selectinload(SupplierOrder.lines),
            selectinload(PurchaseOrder.supplier_orders).selectinload(SupplierOrder.producer),
        )
    )
    if purchase is None or not (purchase.institution.roles_of(user) or user.is_admin):
        raise NotFound()
    return purchase


#: Supplier-order states that still wait for someone (see procurement/ordering/lifecycle.py).
OPEN_SUPPLIER_STATES = (
    SupplierStatus.AWAITING_CONFIRMATION,
    SupplierStatus.CONFIRMED,
    SupplierStatus.SHIPPED,
    SupplierStatus.RECEIVED,
)


def open_purchases(session: Session, institution: Institution, limit: int = 20) -> list[PurchaseOrder]:
    """The institution's purchase orders still waiting for someone, oldest first (for an administrator)."""
    waiting = select(SupplierOrder.purchase_order_id).where(SupplierOrder.status.in_(OPEN_SUPPLIER_STATES))
    query = (
        select(PurchaseOrder)
        .where(
            PurchaseOrder.institution_id == institution.id,
            (PurchaseOrder.status == PurchaseStatus.AWAITING_APPROVAL)
            | ((PurchaseOrder.status == PurchaseStatus.APPROVED) & PurchaseOrder.id.in_(waiting)),
        )
        .order_by(PurchaseOrder.submitted_at, PurchaseOrder.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def last_delivery(session: Session, institution: Institution) -> PurchaseOrder | None:
    """The institution's latest purchase order (its address prefills the next one)."""
    query = select(PurchaseOrder).where(PurchaseOrder.institution_id == institution.id)
    return session.scalars(query.order_by(PurchaseOrder.id.desc()).limit(1)).first()


def supplier_line_count(purchase: PurchaseOrder) -> int:
    """How many lines the purchase order has across its producers."""
    return sum(len(order.lines) for order in purchase.supplier_orders)
