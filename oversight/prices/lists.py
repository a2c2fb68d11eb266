"""The lists of price alerts: the reviewer's queue (their counties; administrators every county) and the
producer's own, each read along an index and paged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.pagination import Page, paginate
from oversight.prices.models import ACTIVE_STATUSES, AlertStatus, PriceAlert


def queue_page(
    session: Session, county_ids: list[int] | None, status: AlertStatus | None, page: int
) -> Page[PriceAlert]:
    """Alerts of ``county_ids`` (None: every county) in ``status`` (None: the active ones), newest first."""
    statuses = [status] if status is not None else sorted(ACTIVE_STATUSES)
    query = select(PriceAlert).where(PriceAlert.status.in_(statuses))
    if county_ids is not None:
        query = query.where(PriceAlert.county_id.in_(county_ids))
    return paginate(session, query.order_by(PriceAlert.id.desc()), page)


def producer_page(session: Session, producer_ids: list[int], page: int) -> Page[PriceAlert]:
    """The producers' alerts, newest first."""
    query = select(PriceAlert).where(PriceAlert.producer_id.in_(producer_ids))
    return paginate(session, query.order_by(PriceAlert.id.desc()), page)
