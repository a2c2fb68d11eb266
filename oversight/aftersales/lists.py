"""Who sees a request, and the lists: the producer's requests, the county's arbitration queue, a history.

A request is seen by its buyer, the members of its producer, the reviewers of its county and administrators;
everyone else is told it does not exist (404), as for orders.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.audit.services import AuditEntry
from core.models import User
from core.pagination import Page, paginate
from oversight.aftersales.models import OPEN_STATUSES, AftersalesRequest, AftersalesStatus
from oversight.aftersales.services import may_arbitrate


def may_see(user: User, request: AftersalesRequest) -> bool:
    """The buyer, the producer's members, the county's reviewers and administrators."""
    if not user.is_authenticated:
        return False
    return request.buyer_id == user.id or is_member(user, request.producer) or may_arbitrate(user, request)


def producer_query(producer_ids: list[int]) -> Select[AftersalesRequest]:
    """The producers' requests: open ones first, newest first."""
    still_open = AftersalesRequest.status.in_(OPEN_STATUSES)
    return (
        select(AftersalesRequest)
        .where(AftersalesRequest.producer_id.in_(producer_ids))
        .order_by(still_open.desc(), AftersalesRequest.id.desc())
    )


def producer_page(session: Session, producer_ids: list[int], page: int) -> Page[AftersalesRequest]:
    """One page of the producers' requests."""
    return paginate(session, producer_query(producer_ids), page)


def arbitration_page(session: Session, county_ids: list[int] | None, page: int) -> Page[AftersalesRequest]:
    """Escalated requests of the counties (``None``: every county, for administrators), oldest first."""
    query = select(AftersalesRequest).where(AftersalesRequest.status == AftersalesStatus.ESCALATED)
    if county_ids is not None:
        query = query.where(AftersalesRequest.county_id.in_(county_ids))
    return paginate(session, query.order_by(AftersalesRequest.id), page)


def history(session: Session, request: AftersalesRequest) -> list[AuditEntry]:
    """The request's audit entries, oldest first."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == "aftersales", AuditEntry.subject_id == request.id
    )
    return list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))
