"""Named domain errors of the traceability layer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.text import CONTROL_CHARACTER_MESSAGE


class BatchError(DomainError):
    """A batch cannot be recorded as given."""

    message = _l("The batch cannot be recorded as given.")


class QuantityNotPositive(BatchError):
    """A batch holds at least one unit."""

    message = _l("The quantity must be at least 1.")


class OriginOutsideCounty(BatchError):
    """The origin must lie in the producer's county."""

    message = _l("The origin must be a township or village of the producer's county (%(county)s).")


class MissingQuarantineRecords(BatchError):
    """Meat batches name the designated slaughterhouse and both quarantine certificates."""

    message = _l(
        "Meat batches need the slaughterhouse and both quarantine certificate numbers (产地检疫, 屠宰检疫)."
    )


class DatesOutOfOrder(BatchError):
    """Best-before before production, or production in the future."""

    message = _l("The production date cannot be in the future and the best-before date cannot precede it.")


class ComplianceRequired(BatchError):
    """Covered categories cannot be sold without a compliance certificate (承诺达标合格证)."""

    status = 409
    message = _l(
        "This product's batches need a compliance certificate (承诺达标合格证) before they can be sold."
    )


class TestReportRequired(BatchError):
    """A tested basis needs the test report."""

    message = _l("Upload the test report when the certificate rests on a test.")


class InsufficientStock(BatchError):
    """A batch has less left than was asked for."""

    status = 409
    message = _l("Batch %(lot)s has only %(available)s left.")


class BatchRecalled(BatchError):
    """A recalled batch cannot be used or sold any more."""

    status = 409
    message = _l("Batch %(lot)s has been recalled.")


class EventNotAllowed(BatchError):
    """This kind of event cannot be recorded by hand or at this time."""

    message = _l("This event cannot be recorded here.")


class ControlCharacterInText(BatchError):
    """Text of a batch or event holds a control character (core.text): refused before anything is written."""

    message = CONTROL_CHARACTER_MESSAGE


class InvalidQuarantineNumber(BatchError):
    """A quarantine certificate number that cannot be one (traceability.batches.rules)."""

    message = _l(
        "A quarantine certificate number is the 10 to 20 digits printed on the 动物检疫合格证明 (letters are "
        "never part of it)."
    )


class CommitmentsIncomplete(BatchError):
    """A 承诺达标合格证 affirms all four commitments, or it is not one."""

    message = _l("A compliance certificate (承诺达标合格证) affirms all four commitments: tick every one.")


class LabelSheetOutOfRange(BatchError):
    """Unit codes print on sheets of a bounded size; the one asked for does not exist."""

    message = _l(
        "This batch's unit codes print on %(parts)s label sheets of at most %(size)s labels each: choose a "
        "sheet from 1 to %(parts)s."
    )


class LabelCountOutOfRange(BatchError):
    """Lot labels print a bounded number at a time."""

    message = _l("Print from 1 to %(max)s lot labels at a time.")


class BatchOnHold(BatchError):
    """A held batch is not sold until a reviewer releases it."""

    status = 409
    message = _l("Batch %(lot)s is on hold.")


class HoldNotOpen(BatchError):
    """Only an open hold can be released."""

    status = 409
    message = _l("This hold has already been released.")


class ReleaseReasonRequired(BatchError):
    """A release says why the batch may be sold again."""

    message = _l("Say why the batch may be sold again.")


class LoggerFileInvalid(BatchError):
    """A logger's CSV that cannot be stored as a whole (its rows' errors are listed beside it)."""

    status = 422
    message = _l("The logger file was not stored: correct the rows listed and upload it again.")


class NoColdChainBatch(BatchError):
    """Readings can be uploaded only for a batch that is not recalled."""

    status = 409
    message = _l("Readings cannot be added to a recalled batch.")
