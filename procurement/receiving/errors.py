"""Why receiving a delivery, its invoice or its payment is refused (each with its status and message)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, PermissionDenied


class NotInstitutionMember(PermissionDenied):
    """Only members of the ordering institution see its deliveries."""

    message = _l("Only members of the institution that placed this order can see this delivery.")


class NotReceiver(PermissionDenied):
    """Receipt is confirmed by the institution's buyers or approvers."""

    message = _l("Only buyers and approvers of this institution can confirm receipt.")


class NotPayer(PermissionDenied):
    """Payments are recorded by the institution's finance staff or approvers."""

    message = _l("Only finance staff and approvers of this institution can record the payment.")


class NotShippedYet(InvalidTransition):
    """Receipt comes after the producer has shipped."""

    message = _l("This delivery has not been shipped yet.")


class AlreadyReceived(InvalidTransition):
    """Receipt is confirmed once."""

    message = _l("Receipt of this delivery has already been confirmed.")


class ReceiptIncomplete(DomainError):
    """Every line with goods gets a received quantity, each exactly once."""

    message = _l("Enter the received quantity of every line.")


class ReceivedQuantityInvalid(DomainError):
    """A received quantity is a whole number from 0 to the confirmed quantity."""

    message = _l("%(name)s: the received quantity must be from 0 to %(max)s.")


class RejectedQuantityInvalid(DomainError):
    """Units refused at inspection are among those not received."""

    message = _l("%(name)s: the rejected quantity must be from 0 to %(max)s (the units not received).")


class InspectionNoteTooLong(DomainError):
    """Inspection notes are short."""

    message = _l("%(name)s: keep the inspection note under %(max)s characters.")


class InvoiceAlreadyAttached(DomainError):
    """An invoice is uploaded once."""

    status = 409
    message = _l("The invoice of this delivery has already been uploaded.")


class InvoiceNotAllowedNow(InvalidTransition):
    """An invoice is uploaded with the receipt or afterwards, before the payment is recorded."""

    message = _l("The invoice can be uploaded once the goods have shipped and until the payment is recorded.")


class InvoiceRequired(DomainError):
    """Institutions pay against an invoice."""

    status = 409
    message = _l("Upload the producer's invoice before recording the payment.")


class TransferReferenceInvalid(DomainError):
    """A bank-transfer reference is 1 to :data:`MAX_REFERENCE` characters."""

    message = _l("Enter the bank transfer reference (up to %(max)s characters).")


class TransferAlreadyRecorded(DomainError):
    """The payment is recorded once."""

    status = 409
    message = _l("The payment of this delivery has already been recorded.")


class NotReceivedYet(InvalidTransition):
    """Payment follows receipt."""

    message = _l("The payment can be recorded once receipt has been confirmed.")


class RecalledNotReceivable(DomainError):
    """Units of a recalled lot are neither received nor counted nor paid for."""

    status = 409
    message = _l(
        "%(name)s: %(recalled)s of these units come from the recalled lot %(lots)s and cannot be received; "
        "enter at most %(max)s."
    )


class DeliveryRecalled(DomainError):
    """Every unit of the delivery comes from a recalled lot: there is nothing to receive."""

    status = 409
    message = _l(
        "Every unit of this delivery comes from the recalled lot %(lots)s, so it cannot be received or paid "
        "for. Cancel it, and order again for a replacement."
    )


class NothingOwed(DomainError):
    """Every unit received comes from a recalled lot: no money is owed."""

    status = 409
    message = _l("Nothing is owed for this delivery: every unit received comes from a recalled lot.")


class TransferNotRecorded(InvalidTransition):
    """The producer confirms a payment the institution has recorded."""

    message = _l("The institution has not recorded a bank transfer for this order yet.")
