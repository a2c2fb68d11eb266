"""The named errors of purchase-order submission and approval (procurement.ordering.services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, PermissionDenied


class PurchaseError(DomainError):
    """A purchase order cannot be submitted or decided as asked."""

    status = 400
    message = _l("This purchase order cannot be submitted.")


class InstitutionNotVerified(PurchaseError):
    """Only institutions verified by an administrator may order."""

    status = 403
    message = _l("%(name)s has not been verified yet, so it cannot order.")


class NotBuyer(PermissionDenied):
    """Only the institution's buyers submit purchase orders."""

    message = _l("Only buyers of this institution can submit purchase orders.")


class NotApprover(PermissionDenied):
    """Only the institution's approvers decide on purchase orders."""

    message = _l("Only approvers of this institution can approve purchase orders.")


class SelfApproval(PermissionDenied):
    """Maker–checker: the buyer who submitted cannot approve their own purchase order."""

    message = _l("A purchase order must be approved by someone other than the buyer who submitted it.")


class EmptyPurchase(PurchaseError):
    """A purchase order needs at least one line."""

    message = _l("Add at least one product with a quantity.")


class TooManyLines(PurchaseError):
    """A purchase order holds at most :data:`MAX_LINES` lines."""

    message = _l("A purchase order can hold at most %(max)s lines.")


class InvalidPurchaseKey(PurchaseError):
    """The form's submission key is missing, malformed or someone else's."""

    message = _l("This form has expired. Please reload the page and submit again.")


class PriceAboveReference(PurchaseError):
    """A line priced above the product's reference price, refused when ``PROCUREMENT_ABOVE_REFERENCE`` is
    ``refuse`` (as government e-malls do)."""

    status = 409
    message = _l(
        "%(name)s is priced at %(price)s, above its reference price of %(reference)s: this platform does not "
        "accept purchase orders above the reference price."
    )


class ProductNotOrderable(PurchaseError):
    """The product is withdrawn, its producer not approved, or its certificate not valid today."""

    status = 409
    message = _l("%(name)s cannot be ordered at the moment.")


class BelowMinimum(PurchaseError):
    """Institutions order at least the product's minimum order quantity."""

    message = _l("%(name)s: the minimum order for institutions is %(minimum)s.")


class QuantityInvalid(PurchaseError):
    """Quantities are whole units from 1 to :data:`MAX_QUANTITY`."""

    message = _l("%(name)s: enter a whole quantity from 1 to %(max)s.")


class DeliveryDateInvalid(PurchaseError):
    """The delivery date must lie between tomorrow and a year ahead."""

    message = _l("Choose a delivery date between tomorrow and one year from today.")


class UnknownFundingSource(PurchaseError):
    """The funding source must be one of the four listed."""

    message = _l("Choose where the money comes from.")


class NotOwnPurchase(PermissionDenied):
    """Only the buyer who submitted a purchase order may withdraw it."""

    message = _l("Only the buyer who submitted this purchase order can withdraw it.")


class RejectionReasonRequired(PurchaseError):
    """The buyer must learn why their purchase order was rejected."""

    message = _l("Give the reason for rejecting this purchase order.")
