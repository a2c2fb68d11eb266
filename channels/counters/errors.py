"""What counters refuse, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class CounterFieldError(DomainError):
    """A fact of a counter (name, address, place, dates) cannot be used."""

    status = 422
    message = _l("Check the counter's details.")


class FairDatesInvalid(CounterFieldError):
    """A fair has a first and a last day, in order; other kinds have none."""

    message = _l(
        "A fair needs its first and last day (the last not before the first); other kinds have none."
    )


class NotAnOperator(DomainError):
    """Counters are run by institutions, enterprises and county offices."""

    status = 403
    message = _l("Only an institution's members, county offices and administrators can run a counter.")


class CodeNotRecognised(DomainError):
    """The scanned or typed code names no lot or serial."""

    status = 422
    message = _l("No lot matches this code. Scan the label again or type the lot code printed on it.")


class NotConsignedHere(DomainError):
    """The lot was never received at this counter."""

    status = 409
    message = _l("Lot %(lot)s was not consigned to this counter: it cannot be sold here.")


class LotOnHoldAtCounter(DomainError):
    """A lot on hold (a cold-chain excursion, a failed sample) is not sold until the county office releases
    it."""

    status = 409
    message = _l("Lot %(lot)s is on hold: do not sell it until the county office releases it.")


class LotRecalledAtCounter(DomainError):
    """A recalled lot is never sold."""

    status = 409
    message = _l("Lot %(lot)s has been recalled: do not sell it. Take it off the shelf and keep it apart.")


class NotCertifiedToday(DomainError):
    """The product holds no valid certificate today: selling it needs the operator's explicit choice."""

    status = 409
    message = _l(
        "%(product)s holds no valid consumption-assistance certificate today: the sale would not count "
        "toward assistance. Tick “sell as not counted” to sell it anyway."
    )


class ConsignedStockShort(DomainError):
    """Not enough units of the lot are left at the counter."""

    status = 409
    message = _l("Only %(available)s of lot %(lot)s are left at this counter.")


class QuantityInvalid(DomainError):
    """Quantities are whole numbers above zero."""

    status = 422
    message = _l("Enter a quantity of at least 1.")


class CounterClosed(DomainError):
    """A fair sells only between its dates."""

    status = 409
    message = _l("This fair is not open today: it sells only between its first and last day.")


class ConsignmentAlreadyReceived(DomainError):
    """A consignment is received once."""

    status = 409
    message = _l("This consignment has already been received.")


class SaleKeyInvalid(DomainError):
    """The quick-sale form's key is missing, malformed or someone else's."""

    status = 400
    message = _l("This sale form has expired. Reload the page and scan again.")


class LabelPhotoRefused(DomainError):
    """The photo of a label is no image the checks accept (too large, wrong format, damaged)."""

    status = 400
    message = _l("The photo cannot be read: %(detail)s")


class NoCodeInPhoto(DomainError):
    """No QR code was found in the photo of a label."""

    status = 400
    message = _l("No QR code found in the picture. Try again closer, or type the code.")


class CodeOrPhotoMissing(DomainError):
    """Neither a code nor a photo of the label was sent."""

    status = 400
    message = _l("Scan the QR code, take a photo of the label, or type the code.")
