"""Consumption-assistance product certification (消费帮扶产品认定): apply, certify, reject, revoke.

A member of the producer applies; a reviewer of the producer's county (or an admin) certifies with a
certificate number, issuing authority and validity dates, or rejects with a reason, and may later revoke.
Every step is written to the audit log. Certificates expire by date alone (Asia/Shanghai), no job needed.
Services flush but never commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from catalog.access import is_member
from catalog.notices import tell_certification_decision, tell_reviewers_of_application
from catalog.products.models import Certification, CertificationStatus, Product
from core.access import can_review
from core.audit import services as audit
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.models import User

#: A certified product may apply to renew this many days before its certificate ends.
RENEWAL_WINDOW_DAYS = 60
#: The badge warns that a certificate ends soon when this many days or fewer are left.
EXPIRING_DAYS = 30


def ending_soon(today: date) -> list[ColumnElement[bool]]:
    """WHERE terms: certificates that end within :data:`EXPIRING_DAYS` of ``today`` (today included) whose
    product has not applied to renew them and holds no certificate ending later (the workbench's card and the
    expiry reminder read the same)."""
    later = aliased(Certification)
    renewing = (
        select(later.id)
        .where(
            later.product_id == Certification.product_id,
            later.id != Certification.id,
            (later.status == CertificationStatus.APPLIED)
            | and_(later.status == CertificationStatus.CERTIFIED, later.valid_to > Certification.valid_to),
        )
        .exists()
    )
    return [
        Certification.status == CertificationStatus.CERTIFIED,
        Certification.valid_to >= today,
        Certification.valid_to <= today + timedelta(days=EXPIRING_DAYS),
        ~renewing,
    ]


#: Every value :func:`certificate_state` returns.
STATES = ("certified", "expiring", "expired", "revoked", "applied", "rejected", "none")


class CertificationError(DomainError):
    """A certification rule was broken; ``field`` names the form field the message belongs to."""

    field: str | None = None


class ApplicationOpen(CertificationError):
    """The product already has an application waiting for a decision."""

    status = 409
    message = _l("This product already has an application under review.")


class StillCertified(CertificationError):
    """The product holds a certificate that does not end within the renewal window."""

    status = 409
    message = _l("This product is certified until %(valid_to)s; it can apply to renew from %(renew_from)s.")


class ProducerNotApproved(CertificationError):
    """Only products of approved producers can be certified."""

    status = 409
    message = _l("The producer has not been approved; approve the producer before certifying its products.")


class CertificateNumberRequired(CertificationError):
    """Certifying needs a certificate number."""

    field = "certificate_no"
    message = _l("Enter the certificate number.")


class AuthorityRequired(CertificationError):
    """Certifying needs the issuing authority."""

    field = "authority"
    message = _l("Enter the issuing authority.")


class CertificateNumberTaken(CertificationError):
    """Certificate numbers are unique."""

    status = 409
    field = "certificate_no"
    message = _l("The certificate number %(number)s is already used by another certificate.")


class InvalidValidity(CertificationError):
    """The validity dates are reversed, or the certificate would not be in force today."""

    field = "valid_to"
    message = _l("The certificate must be valid until a day on or after it starts.")


class FactsChangedSinceReview(CertificationError):
    """The product's certified facts changed after the reviewer opened the application."""

    status = 409
    message = _l(
        "The producer changed the product after you opened this application. "
        "Check it again before you certify."
    )


class ReasonRequired(CertificationError):
    """Rejecting and revoking need a reason the producer can read."""

    field = "reason"
    message = _l("Give a reason; the producer will see it.")


def certificate_state(product: Product, today: date) -> str:
    """Where the product's certification stands on ``today`` (an Asia/Shanghai date), one of STATES.

    "certified" or "expiring" (at most EXPIRING_DAYS left) only while a certificate is valid, so the badge
    shows exactly then; otherwise the newest record tells: "expired", "revoked", "applied", "rejected".
    """
    valid = product.valid_certificate_on(today)
    if valid is not None and valid.valid_to is not None:
        return "expiring" if (valid.valid_to - today).days <= EXPIRING_DAYS else "certified"
    latest = product.current_certification()
    if latest is None:
        return "none"
    if latest.status == CertificationStatus.CERTIFIED:
        return "expired" if latest.valid_to is not None and latest.valid_to < today else "none"
    return str(latest.status.value)


def snapshot(cert: Certification) -> dict[str, Any]:
    """The audit-log view of a certification record."""
    return {
        "status": cert.status.value if cert.status else None,
        "certificate_no": cert.certificate_no,
        "authority": cert.authority,
        "valid_from": cert.valid_from.isoformat() if cert.valid_from else None,
        "valid_to": cert.valid_to.isoformat() if cert.valid_to else None,
        "reason": cert.reason,
    }


def facts_snapshot(cert: Certification) -> dict[str, Any]:
    """The audit-log view of what an issued certificate vouches for."""
    facts = cert.facts
    return {
        "certified_name": facts.name,
        "certified_name_en": facts.name_en,
        "certified_category": facts.category.value,
        "certified_unit": facts.unit.value,
        "certified_net_weight_g": facts.net_weight_g,
        "certified_specification": facts.specification,
        "certified_brand": facts.brand,
        "certified_producer": facts.producer,
        "certified_origin": facts.origin,
    }


def _county_code(cert: Certification) -> str | None:
    """Division code of the county the certified product comes from."""
    return cert.product.producer.county.code


def _ensure_reviewer(reviewer: User, cert: Certification) -> None:
    """Raise PermissionDenied unless ``reviewer`` reviews the product's county (or is an admin)."""
    if not can_review(reviewer, cert.product.producer.county):
        raise PermissionDenied()


def _record(
    session: Session,
    actor: User,
    action: str,
    cert: Certification,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the audit entry of a certification step (``extra``: more of the state after it)."""
    audit.record(
        session,
        actor,
        action,
        "certification",
        cert.id,
        before=before,
        after=snapshot(cert) | (extra or {}),
        region_code=_county_code(cert),
        note=cert.product.name,
    )


def _reason(text: str | None) -> str:
    """A stripped, non-empty reason of at most 500 characters, or ReasonRequired."""
    reason = (text or "").strip()
    if not reason:
        raise ReasonRequired()
    if len(reason) > 500:
        raise ReasonRequired(_l("The reason may have at most 500 characters."))
    return reason


def application_blocker(product: Product, today: date) -> CertificationError | None:
    """Why ``product`` may not apply for certification on ``today`` (an error to raise), or None if it may."""
    for cert in product.certifications:
        if cert.status == CertificationStatus.APPLIED:
            return ApplicationOpen()
        if (
            cert.status == CertificationStatus.CERTIFIED
            and cert.valid_to is not None
            and (cert.valid_to - today).days > RENEWAL_WINDOW_DAYS
        ):
            renew_from = cert.valid_to - timedelta(days=RENEWAL_WINDOW_DAYS)
            return StillCertified(valid_to=cert.valid_to.isoformat(), renew_from=renew_from.isoformat())
    return None


def apply_for_certification(session: Session, user: User, product: Product) -> Certification:
    """Open a certification application for ``product``. Does not commit.

    Allowed for members of the producer when no application is open and the product holds no certificate
    running beyond the renewal window (so after rejection, revocation, expiry, or to renew). Raises
    PermissionDenied, ApplicationOpen or StillCertified (409).
    """
    if not is_member(user, product.producer):
        raise PermissionDenied()
    blocker = application_blocker(product, shanghai_date())
    if blocker is not None:
        raise blocker
    cert = Certification(status=CertificationStatus.APPLIED, applied_by_id=user.id, applied_at=utcnow())
    product.certifications.append(cert)
    session.flush()
    _record(session, user, "certification.apply", cert, None)
    tell_reviewers_of_application(session, cert)
    return cert


def certify(
    session: Session,
    reviewer: User,
    certification: Certification,
    certificate_no: str,
    authority: str,
    valid_from: date,
    valid_to: date,
    facts_seen: str | None = None,
) -> Certification:
    """Certify an open application with its certificate number, authority and validity. Does not commit.

    The certificate must be in force today: ``valid_from`` ≤ today ≤ ``valid_to`` (Asia/Shanghai). It
    records the product's facts as they are now (what it vouches for); ``facts_seen`` is the
    :meth:`~catalog.products.models.Product.facts_fingerprint` the reviewer saw, if known.
    Raises PermissionDenied (not a reviewer of the county), InvalidTransition (not an open application),
    ProducerNotApproved, FactsChangedSinceReview (409, the facts changed since ``facts_seen``),
    CertificateNumberRequired, AuthorityRequired, InvalidValidity or CertificateNumberTaken (409).
    """
    _ensure_reviewer(reviewer, certification)
    if certification.status != CertificationStatus.APPLIED:
        raise InvalidTransition()
    if not certification.product.producer.is_approved:
        raise ProducerNotApproved()
    if facts_seen is not None and facts_seen != certification.product.facts_fingerprint():
        raise FactsChangedSinceReview()
    number = (certificate_no or "").strip()
    issuer = (authority or "").strip()
    if not number:
        raise CertificateNumberRequired()
    if len(number) > 60:
        raise CertificateNumberRequired(_l("A certificate number may have at most 60 characters."))
    if not issuer:
        raise AuthorityRequired()
    if len(issuer) > 120:
        raise AuthorityRequired(_l("The issuing authority may have at most 120 characters."))
    today = shanghai_date()
    if valid_to < valid_from:
        raise InvalidValidity()
    if valid_from > today:
        raise InvalidValidity(_l("The certificate must start today or earlier."))
    if valid_to < today:
        raise InvalidValidity(_l("A certificate that ended before today cannot be issued."))
    taken = session.scalar(
        select(Certification.id).where(
            Certification.certificate_no == number, Certification.id != certification.id
        )
    )
    if taken is not None:
        raise CertificateNumberTaken(number=number)
    before = snapshot(certification)
    certification.status = CertificationStatus.CERTIFIED
    certification.certificate_no = number
    certification.authority = issuer
    certification.valid_from = valid_from
    certification.valid_to = valid_to
    certification.reason = None
    certification.decided_at = utcnow()
    certification.decided_by_id = reviewer.id
    certification.record_facts()  # what the certificate vouches for, as the reviewer saw it
    session.flush()
    _record(session, reviewer, "certification.certify", certification, before, facts_snapshot(certification))
    tell_certification_decision(session, certification)
    return certification


def reject(session: Session, reviewer: User, certification: Certification, reason: str) -> Certification:
    """Reject an open application with a reason. Does not commit.

    Raises PermissionDenied, InvalidTransition (not an open application) or ReasonRequired.
    """
    _ensure_reviewer(reviewer, certification)
    if certification.status != CertificationStatus.APPLIED:
        raise InvalidTransition()
    text = _reason(reason)
    before = snapshot(certification)
    certification.status = CertificationStatus.REJECTED
    certification.reason = text
    certification.decided_at = utcnow()
    certification.decided_by_id = reviewer.id
    session.flush()
    _record(session, reviewer, "certification.reject", certification, before)
    tell_certification_decision(session, certification)
    return certification


def revoke(session: Session, reviewer: User, certification: Certification, reason: str) -> Certification:
    """Revoke a certificate with a reason; it stops counting at once. Does not commit.

    Raises PermissionDenied, InvalidTransition (not certified) or ReasonRequired.
    """
    _ensure_reviewer(reviewer, certification)
    if certification.status != CertificationStatus.CERTIFIED:
        raise InvalidTransition()
    text = _reason(reason)
    before = snapshot(certification)
    certification.status = CertificationStatus.REVOKED
    certification.reason = text
    certification.revoked_at = utcnow()
    certification.decided_at = certification.revoked_at
    certification.decided_by_id = reviewer.id
    session.flush()
    _record(session, reviewer, "certification.revoke", certification, before)
    tell_certification_decision(session, certification)
    return certification
