"""Certificates about to end: each one's producer is told once, ``EXPIRING_DAYS`` before it ends, to apply
to renew it (``flask --app shop catalog remind-expiring``, cron once a day).

A certificate is marked by a conditional UPDATE (``expiry_reminded_at IS NULL``) and only the run whose
UPDATE changed the row tells anyone, so runs at once or again never tell twice. A certificate whose product
already applied to renew (or holds a later certificate) is skipped. Functions flush but never commit.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from catalog.certification.services import ending_soon
from catalog.products.models import Certification
from core.clock import shanghai_date
from core.db import utcnow
from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for

REMINDER_KIND = "catalog.certificate_expiring"
#: At most this many certificates per run (the next run takes the rest).
BATCH = 500


def due_for_reminder(today: date) -> list[ColumnElement[bool]]:
    """WHERE terms: certificates ending within ``EXPIRING_DAYS`` of ``today``, not reminded nor renewing."""
    return [*ending_soon(today), Certification.expiry_reminded_at.is_(None)]


def remind_expiring(
    session: Session, *, today: date | None = None, limit: int = BATCH
) -> list[Certification]:
    """Tell the producers of certificates about to end (each certificate once); the ones this call told."""
    today = today or shanghai_date()
    query = (
        select(Certification)
        .where(*due_for_reminder(today))
        .order_by(Certification.valid_to, Certification.id)
        .limit(limit)
    )
    reminded: list[Certification] = []
    for certification in session.scalars(query).all():
        marked = session.execute(
            update(Certification)
            .where(Certification.id == certification.id, Certification.expiry_reminded_at.is_(None))
            .values(expiry_reminded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(marked, "rowcount", 0) != 1:
            continue  # another run told them
        _tell(session, certification)
        reminded.append(certification)
    session.flush()
    return reminded


def _tell(session: Session, certification: Certification) -> None:
    """One reminder to each member of the certificate's producer, in their language."""
    product = certification.product
    link = path_for("products.edit", product_id=product.id) + "#certification-heading"
    for member in product.producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                REMINDER_KIND,
                _(
                    "The certificate of %(product)s ends on %(day)s",
                    product=product.name,
                    day=certification.valid_to,
                ),
                _(
                    "Apply to renew it now: once it ends, sales of %(product)s no longer count toward "
                    "consumption assistance.",
                    product=product.name,
                ),
                link=link,
                data={"product_id": product.id, "certification_id": certification.id},
            )
