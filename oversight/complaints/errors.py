"""What filing and handling a complaint refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, PermissionDenied


class ComplaintFieldError(DomainError):
    """A submitted fact is not acceptable; ``field`` names the form field it concerns."""

    field = "description"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class SubjectMissing(ComplaintFieldError):
    """A complaint names what it is about."""

    field = "lot"
    message = _l(
        "Say what the complaint is about: open it from the product, order or trace page, or type the lot "
        "code printed on the package."
    )


class SubjectUnknown(ComplaintFieldError):
    """The product, order or lot named does not exist (or the order is not the reporter's)."""

    field = "lot"
    message = _l("No product, order or lot matches what you named. Check the code printed on the package.")


class DescriptionInvalid(ComplaintFieldError):
    """A description of 10 to 2,000 characters."""

    field = "description"
    message = _l("Describe the problem in %(min)s to %(max)s characters.")


class ContactRequired(ComplaintFieldError):
    """Someone who is not signed in leaves a phone number or e-mail address."""

    field = "contact"
    message = _l(
        "Leave a mobile number or an e-mail address so the county office can reach you (or sign in)."
    )


class ContactInvalid(ComplaintFieldError):
    """A mainland mobile number or an e-mail address."""

    field = "contact"
    message = _l("Enter an 11-digit mainland mobile number or an e-mail address.")


class TooManyPhotos(ComplaintFieldError):
    """At most three photos."""

    field = "photos"
    message = _l("Attach at most %(max)s photos.")


class PhotoRefused(ComplaintFieldError):
    """A photo the image checks refuse (nothing is stored)."""

    field = "photos"
    message = _l("A photo cannot be accepted: %(detail)s")


class OutcomeReasonRequired(ComplaintFieldError):
    """A decision says why, in words the reporter reads."""

    field = "reason"
    message = _l("Give the reason for the decision (up to %(max)s characters): the reporter reads it.")


class NotCountyReviewer(PermissionDenied):
    """The reviewer of the producer's county (or an administrator) handles it; never one of its members."""

    message = _l(
        "Only the reviewer of the producer's county handles its complaints, and never someone who acts for "
        "the producer."
    )


class AlreadyAcknowledged(InvalidTransition):
    """Only a received complaint is acknowledged."""

    message = _l("This complaint has already been acknowledged.")


class AlreadyDecided(InvalidTransition):
    """A decision is final."""

    message = _l("This complaint has already been decided.")
