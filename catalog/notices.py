"""What the catalog tells producers and reviewers: the county's decision on a producer's registration and on
its products' certificates (to the producer's members), and a new registration or certification application
(to the county's reviewers), each in the recipient's own language, in the inbox (and by e-mail where they
have it on).

Called by the services that make the decision, in their transaction: a message exists only if the decision
commits. Functions flush but never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.certified import county_reviewers
from catalog.products.models import Certification
from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for

PRODUCER_KIND = "catalog.producer_decided"
CERTIFICATE_KIND = "catalog.certificate_decided"


def _producer_text(action: str, producer: Producer, reason: str | None) -> tuple[str, str]:
    """Subject and body of a registration decision, in the current language."""
    name = producer.name
    why = reason or _("No reason was given.")
    if action == "approve":
        return (
            _("%(name)s is approved", name=name),
            _(
                "The county approved %(name)s: you can list products and apply for certification now.",
                name=name,
            ),
        )
    if action == "reject":
        return (
            _("%(name)s was not approved", name=name),
            _(
                "The county did not approve %(name)s. Reason: %(reason)s Correct it and apply again.",
                name=name,
                reason=why,
            ),
        )
    if action == "suspend":
        return (
            _("%(name)s is suspended", name=name),
            _(
                "The county suspended %(name)s: its products are not sold until it is reinstated. "
                "Reason: %(reason)s",
                name=name,
                reason=why,
            ),
        )
    return (
        _("%(name)s is reinstated", name=name),
        _("The county reinstated %(name)s: its products are on sale again.", name=name),
    )


def tell_producer_decision(session: Session, producer: Producer, action: str, reason: str | None) -> None:
    """Tell every member of ``producer`` the county's ``action`` (approve, reject, suspend, reinstate)."""
    link = path_for("producer.profile", producer_id=producer.id)
    for member in producer.members:
        with in_language_of(member.user):
            subject, body = _producer_text(action, producer, reason)
            notify(session, member.user, PRODUCER_KIND, subject, body, link=link, data={"action": action})


def _certificate_text(certification: Certification) -> tuple[str, str]:
    """Subject and body of a certification decision (by its new status), in the current language."""
    product = certification.product.name
    why = certification.reason or _("No reason was given.")
    status = certification.status.value
    if status == "certified":
        return (
            _("%(product)s is certified", product=product),
            _(
                "Certificate %(number)s is valid until %(until)s: %(product)s now counts toward consumption "
                "assistance.",
                number=certification.certificate_no or "",
                until=certification.valid_to or "",
                product=product,
            ),
        )
    if status == "rejected":
        return (
            _("Certification of %(product)s was refused", product=product),
            _("The county refused to certify %(product)s. Reason: %(reason)s", product=product, reason=why),
        )
    return (
        _("The certificate of %(product)s was revoked", product=product),
        _(
            "The county revoked the certificate of %(product)s: its sales no longer count. "
            "Reason: %(reason)s",
            product=product,
            reason=why,
        ),
    )


def tell_certification_decision(session: Session, certification: Certification) -> None:
    """Tell every member of the product's producer that its certificate was granted, refused or revoked."""
    product = certification.product
    link = path_for("products.edit", product_id=product.id) + "#certification-heading"
    for member in product.producer.members:
        with in_language_of(member.user):
            subject, body = _certificate_text(certification)
            notify(
                session,
                member.user,
                CERTIFICATE_KIND,
                subject,
                body,
                link=link,
                data={"product_id": product.id, "status": certification.status.value},
            )


REGISTRATION_KIND = "catalog.producer_registered"
APPLICATION_KIND = "catalog.certification_applied"


def tell_reviewers_of_registration(session: Session, producer: Producer) -> None:
    """Tell the reviewers of the producer's county that it registered and waits for their review."""
    link = path_for("review.producer", producer_id=producer.id)
    for reviewer in county_reviewers(session, producer.county):
        with in_language_of(reviewer):
            notify(
                session,
                reviewer,
                REGISTRATION_KIND,
                _("%(name)s registered and waits for review", name=producer.name),
                _(
                    "%(name)s registered as a producer of your county. Check what it submitted and "
                    "approve or reject it.",
                    name=producer.name,
                ),
                link=link,
                data={"producer_id": producer.id},
            )


def tell_reviewers_of_application(session: Session, certification: Certification) -> None:
    """Tell the reviewers of the product's county that its producer applied for certification."""
    product = certification.product
    link = path_for("certification.decide", cert_id=certification.id)
    for reviewer in county_reviewers(session, product.producer.county):
        with in_language_of(reviewer):
            notify(
                session,
                reviewer,
                APPLICATION_KIND,
                _("%(product)s applies for certification", product=product.name),
                _(
                    "%(producer)s applied to certify %(product)s as a consumption-assistance product. Review "
                    "it and certify or refuse it.",
                    producer=product.producer.name,
                    product=product.name,
                ),
                link=link,
                data={"product_id": product.id},
            )
