"""Handling a price alert: the county reviewer dismisses it with a reason, asks the producer to explain (the
producer's members are told and answer on the alert's page), or marks it corrected.

An alert is seen by the reviewers of its county, administrators and its producer's members (404 for everyone
else); only the reviewers and administrators act on it, never someone who acts for the producer.
Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.products.certified import county_reviewers
from core.access import can_review
from core.audit.services import record
from core.models import Region, User
from core.notifications.services import tell
from core.text import forbidden_character
from core.urls import path_for
from oversight.prices.alerts import close
from oversight.prices.errors import AlertClosed, NotAsked, NotCountyReviewer, NotTheProducer, TextInvalid
from oversight.prices.models import AlertStatus, PriceAlert

TEXT_MIN, TEXT_MAX = 5, 1000

ASKED = (
    _l("Please explain the price of %(product)s"),
    _l("The county office asks about the price of %(product)s (%(reference)s): %(question)s"),
)
ANSWERED = (
    _l("The producer answered price alert %(reference)s"),
    _l("%(producer)s explained the price of %(product)s."),
)


def check_text(text: str | None, field: str = "reason") -> str:
    """The text, trimmed; raises :class:`TextInvalid` when too short, too long or with control characters."""
    value = (text or "").strip()
    if not TEXT_MIN <= len(value) <= TEXT_MAX or forbidden_character(value, multiline=True) is not None:
        raise TextInvalid(field=field, min=TEXT_MIN, max=TEXT_MAX)
    return value


def may_handle(user: User, alert: PriceAlert) -> bool:
    """The reviewers of the alert's county and administrators, never a member of its producer."""
    if not user.is_authenticated or is_member(user, alert.producer):
        return False
    if user.is_admin:
        return True
    county = alert.producer.county if alert.county_id is None else None
    return any(c.id == alert.county_id for c in user.reviewer_counties) or can_review(user, county)


def may_see(user: User, alert: PriceAlert) -> bool:
    """Who handles it, and the producer's members."""
    return bool(user.is_authenticated) and (may_handle(user, alert) or is_member(user, alert.producer))


def _audit(session: Session, user: User, action: str, alert: PriceAlert, note: str | None = None) -> None:
    county = session.get(Region, alert.county_id) if alert.county_id else None
    record(
        session,
        user,
        f"price_alert.{action}",
        "price_alert",
        alert.id,
        after=alert.audit_view(),
        region_code=county.code if county is not None else None,
        note=note[:500] if note else None,
    )


def _ensure_handler(user: User, alert: PriceAlert) -> None:
    if not may_handle(user, alert):
        raise NotCountyReviewer()
    if not alert.is_active:
        raise AlertClosed()


def dismiss(session: Session, user: User, alert: PriceAlert, reason: str | None, now: datetime) -> None:
    """The reviewer finds the price justified: the alert ends as dismissed with the reason. Raises
    :class:`NotCountyReviewer`, :class:`AlertClosed`, :class:`TextInvalid`. Does not commit."""
    _ensure_handler(user, alert)
    alert.reason = check_text(reason)
    close(alert, AlertStatus.DISMISSED, user, now)
    session.flush()
    _audit(session, user, "dismissed", alert, alert.reason)


def mark_corrected(session: Session, user: User, alert: PriceAlert, note: str | None, now: datetime) -> None:
    """The reviewer records that the price was put right (an optional note). Raises as :func:`dismiss`."""
    _ensure_handler(user, alert)
    alert.reason = check_text(note) if (note or "").strip() else None
    close(alert, AlertStatus.CORRECTED, user, now)
    session.flush()
    _audit(session, user, "corrected", alert, alert.reason)


def ask(session: Session, user: User, alert: PriceAlert, question: str | None, now: datetime) -> None:
    """The reviewer asks the producer to explain the price; its members are told. Raises as :func:`dismiss`.
    Does not commit."""
    _ensure_handler(user, alert)
    alert.question = check_text(question, "question")
    alert.asked_at = alert.updated_at = now
    alert.explanation, alert.explained_at, alert.status = None, None, AlertStatus.OPEN
    session.flush()
    _audit(session, user, "asked", alert, alert.question)
    link = path_for("prices.detail", alert_id=alert.id)
    for member in alert.producer.members:
        tell(
            session,
            member.user,
            "prices.asked",
            ASKED,
            link,
            product=alert.product.name,
            reference=alert.reference,
            question=alert.question,
        )


def explain(session: Session, user: User, alert: PriceAlert, explanation: str | None, now: datetime) -> None:
    """A member of the producer answers the reviewer's question: the alert is explained and waits for the
    reviewer's decision; the county's reviewers are told. Raises :class:`NotTheProducer`, :class:`NotAsked`,
    :class:`TextInvalid`. Does not commit."""
    if not is_member(user, alert.producer):
        raise NotTheProducer()
    if alert.status is not AlertStatus.OPEN or alert.asked_at is None:
        raise NotAsked()
    alert.explanation = check_text(explanation, "explanation")
    alert.explained_at = alert.updated_at = now
    alert.status = AlertStatus.EXPLAINED
    session.flush()
    _audit(session, user, "explained", alert, alert.explanation)
    county = session.get(Region, alert.county_id) if alert.county_id else None
    for reviewer in county_reviewers(session, county) if county is not None else []:
        tell(
            session,
            reviewer,
            "prices.explained",
            ANSWERED,
            path_for("prices.detail", alert_id=alert.id),
            reference=alert.reference,
            producer=alert.producer.name,
            product=alert.product.name,
        )
