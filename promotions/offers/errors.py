"""What can go wrong with a promotion: named errors that views turn into a message and a status code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound


class PromotionError(DomainError):
    """A promotion cannot be used or changed as asked."""

    status = 409
    message = _l("This promotion cannot be used right now.")


class PromotionNotFound(NotFound):
    """No promotion has this id (or the user may not see it)."""

    message = _l("There is no such promotion.")


class BudgetSpent(PromotionError):
    """Its sponsor's budget cannot cover the discount any more (another buyer got there first)."""

    message = _l(
        "The budget of the promotion “%(title)s” has just been spent. Your cart now shows the price without "
        "it; please check it and place the order again."
    )


class BuyerLimitReached(PromotionError):
    """The buyer already used the promotion as many times as it allows."""

    message = _l("You have already used the promotion “%(title)s” %(limit)s time(s), as many as it allows.")


class PromotionEnded(PromotionError):
    """It was paused or ended while the buyer was checking out."""

    message = _l(
        "The promotion “%(title)s” is no longer running. Your cart now shows the price without it; please "
        "check it and place the order again."
    )


class InvalidPromotion(PromotionError):
    """The promotion's settings do not make sense (``field`` names the form field)."""

    status = 422
    message = _l("Please check the promotion's settings.")

    def __init__(self, message: object, field: str | None = None, **params: object) -> None:
        """Say what is wrong and on which field."""
        super().__init__(message, **params)
        self.field = field


class NotSponsor(PromotionError):
    """Only the platform's administrators, a producer's members (for its own products) and the members of a
    sponsoring institution create and manage promotions."""

    status = 403
    message = _l("You may not create or manage promotions for this sponsor.")


class AlreadyInState(PromotionError):
    """Pausing a paused promotion, resuming a running one."""

    message = _l("The promotion is already %(state)s.")
