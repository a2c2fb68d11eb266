"""What deciding a producer's standing refuses, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, PermissionDenied


class NotCountyReviewer(PermissionDenied):
    """Only the reviewers of the producer's county and administrators decide its standing, never someone
    who acts for the producer."""

    message = _l("Only the county office of this producer's county decides its standing.")


class StandingReasonRequired(DomainError):
    """A warning, restriction or suspension tells the producer why (up to a limit)."""

    status = 400
    message = _l("Give the reason in at most %(max)s characters: the producer reads it.")


class ProducerNotApproved(DomainError):
    """Standing is decided for approved (or suspended) producers only."""

    status = 409
    message = _l("Only an approved producer has a standing to decide.")
