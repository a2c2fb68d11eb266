"""What an after-sales request refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied


class AftersalesFieldError(DomainError):
    """A submitted fact is not acceptable; ``field`` names the form field it concerns."""

    field = "reason"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class OrderNotReceived(InvalidTransition):
    """Only an order the buyer confirmed receiving takes an after-sales request."""

    message = _l("After-sales can be requested once you have confirmed receiving the order.")


class WindowClosed(InvalidTransition):
    """Requests are taken only within the window after receipt."""

    message = _l("After-sales can be requested within %(days)s days of receiving the order.")


class RequestAlreadyOpen(InvalidTransition):
    """At most one open request per order."""

    message = _l("This order already has an after-sales request in progress.")


class NoLinesChosen(AftersalesFieldError):
    """A request names at least one unit."""

    field = "lines"
    message = _l("Choose at least one item and how many units the request is about.")


class QuantityTooLarge(AftersalesFieldError):
    """Never more units than received and not yet refunded."""

    field = "lines"
    message = _l("At most %(left)s units of %(product)s can be included.")


class ReasonInvalid(AftersalesFieldError):
    """A reason of bounded length, without control characters."""

    field = "reason"
    message = _l("Give the reason in %(min)s to %(max)s characters, without control characters.")


class TooManyPhotos(AftersalesFieldError):
    """At most three photos."""

    field = "photos"
    message = _l("Attach at most %(max)s photos.")


class PhotoRefused(AftersalesFieldError):
    """A photo the image checks refuse (nothing is stored)."""

    field = "photos"
    message = _l("A photo cannot be accepted: %(detail)s")


class AmountInvalid(AftersalesFieldError):
    """An amount between nothing and what is disputed."""

    field = "amount"
    message = _l("Enter an amount between ¥0.00 and %(max)s.")


class NotTheBuyer(PermissionDenied):
    """Only the order's buyer asks for after-sales and answers the producer."""

    message = _l("Only the buyer of the order can do this.")


class NotTheProducer(PermissionDenied):
    """Only the producer's members answer a request."""

    message = _l("Only the producer's members can answer this request.")


class NotCountyReviewer(PermissionDenied):
    """The reviewer of the producer's county (or an administrator) arbitrates; never one of its members."""

    message = _l(
        "Only the reviewer of the producer's county arbitrates its after-sales requests, and never someone "
        "who acts for the producer."
    )


class NotWaitingForThis(InvalidTransition):
    """The request is not in the state this step needs."""

    message = _l("This after-sales request is not waiting for this step.")


class RequestNotFound(NotFound):
    """No such request (or not one the user may see)."""

    message = _l("No such after-sales request.")
