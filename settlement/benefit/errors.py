"""What submitting and reviewing a benefit report refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied


class BenefitFieldError(DomainError):
    """A submitted fact of the report is not acceptable; ``field`` names the form field it concerns."""

    field = "month"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class PeriodInvalid(BenefitFieldError):
    """A report is for a month of the consolidation years up to the current month, never a future one."""

    field = "month"
    message = _l("Choose a month from %(first)s up to this month: payments not yet made cannot be reported.")


class NothingPaid(BenefitFieldError):
    """A report says something was paid."""

    field = "month"
    message = _l("Enter at least one payment: the number of households and the amount paid.")


class HouseholdsWithoutAmount(BenefitFieldError):
    """Households paid nothing, or money paid to no household: both numbers or neither."""

    message = _l("Enter both the number of households and the amount paid, or leave both empty.")


class TooManyHouseholds(BenefitFieldError):
    """No more households of a category than the producer records as brought along."""

    message = _l(
        "More households than the %(recorded)s %(category)s households recorded for this producer. Correct "
        "the number, or update the producer's profile first."
    )


class EvidenceError(BenefitFieldError):
    """The evidence file is refused (nothing is stored)."""

    field = "evidence"
    message = _l(
        "Upload the evidence as a PDF file or a JPEG or PNG photo, at most 10 MB: the bank's batch-payment "
        "report or the list signed by the households."
    )


class EvidenceMissing(EvidenceError):
    """A first submission comes with its evidence."""

    message = _l("Upload the evidence (the bank's batch-payment report or the signed list, PDF or photo).")


class EvidenceTooLarge(EvidenceError):
    """Evidence files are at most 10 MB."""

    message = _l("The evidence file is larger than 10 MB. Please upload a smaller file.")


class EvidenceDamaged(EvidenceError):
    """A PDF that lacks its end marker, or a photo the image checks refuse."""

    message = _l("The evidence file is damaged or incomplete and cannot be accepted.")


class ReasonRequired(BenefitFieldError):
    """A rejection tells the producer why."""

    field = "reason"
    message = _l("Give a reason: the producer will see it.")


class NotSubmitted(InvalidTransition):
    """Only a submitted report can be verified or rejected."""

    message = _l("This report has already been decided; a changed report comes back for review.")


class NotProducerMember(PermissionDenied):
    """Only a producer's members report what it paid."""

    message = _l("Only members of this producer can report what it paid to households.")


class NotCountyReviewer(PermissionDenied):
    """The reviewer of the producer's county (or an administrator) decides; never one of its members."""

    message = _l(
        "Only the reviewer of the producer's county verifies its benefit reports, and never someone who acts "
        "for the producer."
    )


class ReportNotFound(NotFound):
    """No such report (or not one the user may see)."""

    message = _l("This benefit report does not exist.")
