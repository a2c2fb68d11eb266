"""What recording a quality sample refuses, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, PermissionDenied


class NotCountySampler(PermissionDenied):
    """Only the reviewers of the batch's county and administrators record samples, never someone who acts
    for the producer."""

    message = _l("Only the county office of this batch's county records its samples.")


class UnknownLot(DomainError):
    """No batch has the lot code given."""

    status = 404
    message = _l("No batch has this lot code.")


class ResultAlreadyRecorded(DomainError):
    """A result is recorded once; a re-test is a new sample."""

    status = 409
    message = _l("This sample's result is already recorded. Record a re-test as a new sample.")


class ResultRequired(DomainError):
    """Recording a result later means passed or failed."""

    status = 400
    message = _l("Choose passed or failed.")


class NothingToRelease(DomainError):
    """Holds are released after a passed re-test, and only while a sampling hold of the batch is open."""

    status = 409
    message = _l("Only a passed sample releases the batch's open sampling holds, and none is open.")


class ReportRefused(DomainError):
    """The uploaded lab report is not a PDF (or is damaged, or too large); nothing was stored."""

    status = 400
    message = _l("Upload the lab report as a PDF file of at most 10 MB.")
