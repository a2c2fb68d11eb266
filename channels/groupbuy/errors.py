"""What community group-buying refuses, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class LeaderFieldError(DomainError):
    """A fact of the pick-up point (name, address, place, opening hours) cannot be used."""

    status = 422
    message = _l("Check the pick-up point's name, address, county and opening hours.")


class AlreadyApplied(DomainError):
    """One leader account per user."""

    status = 409
    message = _l("You have already applied to be a group leader.")


class ReasonRequired(DomainError):
    """A rejection says why."""

    status = 422
    message = _l("Say why the application is rejected.")


class NotAnApprovedLeader(DomainError):
    """Only approved leaders open rounds."""

    status = 403
    message = _l("Only an approved group leader can open a group order.")


class RoundFieldError(DomainError):
    """A round's title or dates cannot be used."""

    status = 422
    message = _l(
        "Give a title, a closing time in the future (within %(days)s days) and a pick-up day not before it."
    )


class RoundProductsInvalid(DomainError):
    """A round offers 1 to ``max`` products that buyers may see."""

    status = 422
    message = _l("Offer between 1 and %(max)s products, each a product on sale in the shop.")


class RoundClosed(DomainError):
    """Nobody joins a round after it closed."""

    status = 409
    message = _l("This group order has closed.")


class RoundStillOpen(DomainError):
    """Deliveries go out once the round has closed."""

    status = 409
    message = _l("The group order is still open: deliver after it closes.")


class NothingToDeliver(DomainError):
    """The producer has no paid order in the round left to ship."""

    status = 409
    message = _l("No paid order of yours in this group order waits to be delivered.")


class AlreadyDelivered(DomainError):
    """Each producer ships one delivery per round."""

    status = 409
    message = _l("This delivery has already been recorded.")


class DeliveryNotReceived(DomainError):
    """An order is handed out only once its delivery reached the pick-up point."""

    status = 409
    message = _l("The delivery with this order has not been received at the pick-up point yet.")


class AlreadyHandedOut(DomainError):
    """An order is handed out once."""

    status = 409
    message = _l("This order has already been handed out.")
