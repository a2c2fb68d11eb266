"""What price monitoring refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied


class PriceFieldError(DomainError):
    """A submitted fact is not acceptable; ``field`` names the form field it concerns."""

    status = 422
    field = "reason"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class TextInvalid(PriceFieldError):
    """A reason, question or explanation of bounded length, without control characters."""

    message = _l("Write %(min)s to %(max)s characters, without control characters.")


class NotCountyReviewer(PermissionDenied):
    """Only the reviewers of the product's county (and administrators) handle its alerts and references."""

    message = _l(
        "Only the reviewer of the product's county handles its price alerts and reference prices, and never "
        "someone who acts for the producer."
    )


class PlatformWideForAdmins(PermissionDenied):
    """Only administrators set platform-wide reference prices."""

    message = _l("Only administrators set reference prices for every county.")


class NotTheProducer(PermissionDenied):
    """Only the producer's members answer the reviewer's question."""

    message = _l("Only the producer's members can answer this question.")


class AlertClosed(InvalidTransition):
    """The alert was already dismissed or marked corrected."""

    message = _l("This price alert has already been closed.")


class NotAsked(InvalidTransition):
    """The producer answers only a question the reviewer asked."""

    message = _l("The county office has not asked about this price, or it was answered already.")


class AlertNotFound(NotFound):
    """No such alert (or not one the user may see)."""

    message = _l("No such price alert.")


class ImportFileError(DomainError):
    """The uploaded reference price file cannot be read as a whole (nothing is imported)."""

    status = 400
    message = _l("This file cannot be read.")


class ImportRefused(DomainError):
    """Some rows of the reference price file are wrong: none is imported; ``rows`` says which and why."""

    status = 422
    message = _l("The file was not imported: %(count)s rows have errors. Correct them and upload it again.")

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__(count=len(rows))
        self.rows = rows
