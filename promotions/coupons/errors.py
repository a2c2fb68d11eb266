"""Why a coupon cannot be claimed or used: named errors with the reason shown to the buyer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound


class CouponError(DomainError):
    """A coupon cannot be claimed, created or used as asked."""

    status = 409
    message = _l("This coupon cannot be used.")


class CouponBatchNotFound(NotFound):
    """No coupon batch has this id (or the user may not see it)."""

    message = _l("There is no such coupon batch.")


class CouponNotApplicable(CouponError):
    """The coupon entered at checkout does not apply; the message says why (see :mod:`.reasons`)."""

    status = 422


class AllClaimed(CouponError):
    """Every code of the batch has been claimed."""

    message = _l("All coupons of this batch have been claimed.")


class AlreadyClaimed(CouponError):
    """A consumer claims one code per batch."""

    message = _l("You already claimed a coupon of this batch: %(code)s.")


class NotClaimable(CouponError):
    """Codes of this batch are handed out by the sponsor, or it is not valid now."""

    message = _l("Coupons of this batch cannot be claimed now.")


class InvalidBatch(CouponError):
    """The batch's settings do not make sense."""

    status = 422
    message = _l("Please check the coupon batch's settings.")
