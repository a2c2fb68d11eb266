"""Changes to a product the county office vouches for: what a certificate freezes, and who hears of a change.

A consumption-assistance certificate vouches for a product as the reviewer saw it: the facts in
:data:`catalog.products.models.CERTIFIED_FACTS` (name, English name, category, selling unit, net weight,
specification, regional brand), copied onto the certificate when it is issued. While a certificate is valid
these facts cannot change — a renamed or re-specified product under the old certificate number would be a
product nobody certified. A producer who needs to sell something different adds it as a new product and
applies for its certification; once no certificate is valid (expired or revoked), the facts may change and a
new application certifies the new ones.

Every other change to a product that holds a valid certificate or has an application under review is written
to the audit log. Changes to what its page says about it (details, quality marks, photos) are also sent to the
reviewers of the producer's county; its commercial terms (price, quantity tiers, minimum order, capacity,
season, on sale) are only audited. Nothing here commits.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import CERTIFIED_FACTS, Certification, CertificationStatus, Product
from core.audit import services as audit
from core.i18n import in_language_of
from core.models import Region, User, reviewer_county
from core.notifications.services import notify
from core.urls import path_for

#: How the changed fields of a product are named in messages and notifications.
FIELD_LABELS: dict[str, Any] = {
    "name": _l("name"),
    "name_en": _l("English name"),
    "category": _l("category"),
    "unit": _l("selling unit"),
    "net_weight_g": _l("net weight"),
    "specification": _l("specification"),
    "brand": _l("regional public brand"),
    "description": _l("description"),
    "gtin": _l("barcode number"),
    "is_cold_chain": _l("cold-chain transport"),
    "price_fen": _l("retail price"),
    "institution_moq": _l("minimum order for institutions"),
    "monthly_capacity": _l("supply capacity"),
    "season_start": _l("season"),
    "season_end": _l("season"),
    "is_active": _l("on sale"),
    "tiers": _l("quantity prices"),
    "quality_marks": _l("quality marks"),
    "images": _l("photos"),
}

#: Notification kind sent to the county's reviewers.
CHANGED_KIND = "catalog.certified_changed"


def frozen_by(product: Product, today: date) -> Certification | None:
    """The certificate valid on ``today`` that freezes the product's certified facts, if any."""
    return product.valid_certificate_on(today)


def _plain(value: Any) -> Any:
    """A value as the audit log stores it (enums by their value)."""
    return value.value if isinstance(value, enum.Enum) else value


def changed_facts(product: Product, values: Mapping[str, Any]) -> list[str]:
    """The certified facts (in CERTIFIED_FACTS order) whose value in ``values`` differs from the product's."""
    current = product.fact_values()
    return [name for name in CERTIFIED_FACTS if name in values and _plain(values[name]) != current[name]]


def describe(names: list[str]) -> str:
    """Field names as words in the current language, each once, e.g. "name and category", "名称和类别"."""
    words: list[str] = []
    for name in names:
        word = str(FIELD_LABELS.get(name, name))
        if word not in words:
            words.append(word)
    return format_list(words, locale=get_locale() or "zh_CN")


def watching(product: Product, today: date) -> Certification | None:
    """What makes a change to ``product`` matter to its county office: the certificate valid ``today``, else
    an application under review."""
    valid = product.valid_certificate_on(today)
    if valid is not None:
        return valid
    return next((c for c in product.certifications if c.status == CertificationStatus.APPLIED), None)


def county_reviewers(session: Session, county: Region) -> list[User]:
    """The active users who review for ``county``."""
    query = (
        select(User)
        .join(reviewer_county, reviewer_county.c.user_id == User.id)
        .where(reviewer_county.c.region_id == county.id, User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(session.scalars(query))


def record_change(
    session: Session,
    user: User,
    product: Product,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    today: date,
    *,
    tell_reviewers: bool,
) -> None:
    """Audit a change to a certified product (or one under review), and with ``tell_reviewers`` notify the
    reviewers of its county. Nothing happens when nothing changed or the county office is not involved.

    ``before`` and ``after`` are the values of the fields the change may touch. Does not commit.
    """
    changed = [name for name in after if _plain(before.get(name)) != _plain(after.get(name))]
    cert = watching(product, today)
    if not changed or cert is None:
        return
    county = product.producer.county
    audit.record(
        session,
        user,
        action,
        "product",
        product.id,
        before={name: _plain(before.get(name)) for name in changed},
        after={name: _plain(after.get(name)) for name in changed},
        region_code=county.code,
        note=f"{product.name} · {cert.certificate_no or cert.status.value}",
    )
    if not tell_reviewers:
        return
    link = path_for("certification.decide", cert_id=cert.id)
    for reviewer in county_reviewers(session, county):
        with in_language_of(reviewer):
            names = {"producer": product.producer.name, "product": product.name, "fields": describe(changed)}
            if cert.status == CertificationStatus.APPLIED:
                subject = _("%(product)s, under review, was changed by its producer", **names)
                body = _(
                    "%(producer)s changed the %(fields)s of %(product)s while its application is under "
                    "review. Check the product again before you decide.",
                    **names,
                )
            else:
                subject = _("Certified product %(product)s was changed by its producer", **names)
                body = _(
                    "%(producer)s changed the %(fields)s of %(product)s (certificate %(number)s). The "
                    "certified facts cannot change; check that the product still matches its certificate.",
                    number=cert.certificate_no,
                    **names,
                )
            notify(session, reviewer, CHANGED_KIND, subject, body, link=link, data={"product_id": product.id})
