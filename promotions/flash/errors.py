"""Why a flash sale cannot be created or a unit not bought: each a translated answer with its status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class FlashSaleError(DomainError):
    """A flash sale refused a purchase (every refusal is a fair answer: 409)."""

    status = 409
    message = _l("This flash sale cannot sell to you now.")


class NotStarted(FlashSaleError):
    """The sale has not started yet."""

    message = _l("The flash sale has not started yet: it starts at %(start)s.")


class Ended(FlashSaleError):
    """The sale is over."""

    message = _l("The flash sale has ended.")


class SoldOut(FlashSaleError):
    """Every unit is sold (or the batches hold no more)."""

    message = _l("Sold out: every unit of this flash sale has been bought.")


class LimitReached(FlashSaleError):
    """The buyer already took as many units as the sale allows each buyer."""

    message = _l("You have already bought as many units of this flash sale as each buyer may.")


class ChooseCashMethod(FlashSaleError):
    """A points + cash unit needs a way to pay its cash part."""

    status = 400
    message = _l("Choose how you pay the cash part: online or by bank transfer.")


class InvalidFlashSale(DomainError):
    """The flash sale as submitted is not possible (``field`` names the form field at fault)."""

    status = 422
    message = _l("The flash sale cannot be created as submitted.")

    def __init__(self, message: object = None, field: str | None = None, **params: object) -> None:
        """Remember which form field is at fault."""
        super().__init__(message, **params)
        self.field = field
