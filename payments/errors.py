"""Named rules of paying and refunding; views turn them into a message and a status code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class AlreadyPaid(DomainError):
    """The checkout (or order) has been paid already."""

    status = 409
    message = _l("This checkout has already been paid.")


class ReservationExpired(DomainError):
    """The reservation ran out before payment; the orders are (or are about to be) cancelled."""

    status = 409
    message = _l(
        "The reservation for this checkout has expired and its orders were cancelled. Please order again."
    )


class CheckoutCancelled(DomainError):
    """Every order of the checkout was cancelled (by the buyer, a recall or the reservation's end)."""

    status = 409
    message = _l("The orders of this checkout were cancelled (%(reason)s), so there is nothing to pay.")


class CardPaymentUnavailable(DomainError):
    """Card payment on our own page: only for Stripe checkouts, and only with a Stripe test key."""

    status = 404
    message = _l("Card payment is not available for this checkout.")


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused the request; nothing was changed here."""

    status = 502
    message = _l("The payment provider could not complete the request: %(detail)s")


class NotOfflinePayment(DomainError):
    """Stripe payments are confirmed by Stripe, not by hand."""

    status = 409
    message = _l("This order is paid online; there is nothing to confirm by hand.")


class CashNotCollectedYet(DomainError):
    """Cash on delivery is confirmed after the goods were handed over, not before shipping."""

    status = 409
    message = _l("Cash on delivery is collected when the goods arrive: ship the order first.")


class AlreadyConfirmed(DomainError):
    """The money for this order has been confirmed already."""

    status = 409
    message = _l("Payment for this order has already been confirmed.")


class OrderNotPayable(DomainError):
    """The order was cancelled (its reservation expired, the buyer cancelled, its goods were recalled)."""

    status = 409
    message = _l("This order was cancelled (%(reason)s), so its payment cannot be confirmed.")


class NotRefundable(DomainError):
    """Only paid orders with money left to give back can be refunded."""

    status = 409
    message = _l("Only paid orders that have not been fully refunded can be refunded.")


class NothingToRefund(DomainError):
    """The refund covers no unit."""

    status = 400
    message = _l("Choose at least one unit to refund.")


class RefundTooLarge(DomainError):
    """More units than are left to refund on a line (or a line of another order)."""

    status = 400
    message = _l("At most %(left)s of %(product)s can still be refunded.")


class CollectedByPlatform(DomainError):
    """A bank transfer reaches the platform's account: the platform confirms it, never the producer."""

    status = 403
    message = _l(
        "The buyer pays this order by bank transfer to the platform's account, not to you, so only the "
        "platform can confirm that the money arrived. You will be told as soon as it does."
    )


class RefundedByPlatform(DomainError):
    """Money the platform collected by bank transfer is given back by the platform, which records it."""

    status = 403
    message = _l(
        "This order was paid by bank transfer to the platform's account, so only the platform's "
        "administrators send the money back and record the refund. Ask them to refund the buyer."
    )


class PointsGivenBackByPlatform(RefundedByPlatform):
    """Points are the platform's: a flash sale's order paid with them is refunded by its administrators."""

    message = _l(
        "This order was paid with points, which are the platform's, so only the platform's administrators "
        "give them back and record the refund."
    )


class NotBankTransfer(DomainError):
    """Only checkouts paid by bank transfer are confirmed on the bank-transfer desk."""

    status = 409
    message = _l("Checkout %(number)s is not paid by bank transfer.")


class TransferAlreadyConfirmed(AlreadyConfirmed):
    """The checkout's bank transfer was confirmed already (by another administrator, say)."""

    message = _l("The bank transfer for checkout %(number)s has already been confirmed.")


class NothingDue(DomainError):
    """Every order of the checkout was cancelled before the transfer was confirmed."""

    status = 409
    message = _l(
        "Nothing is due for checkout %(number)s: its orders were cancelled (%(reason)s). If money arrived "
        "for it, send it back to the buyer."
    )


class WrongTransferAmount(DomainError):
    """The amount received is not exactly what the checkout's payable orders cost."""

    status = 400
    message = _l(
        "The amount received, %(received)s, is not the %(due)s due for checkout %(number)s. Only the exact "
        "amount can be confirmed: nothing was recorded. Settle the difference with the buyer first."
    )


class BankReferenceUsed(DomainError):
    """One bank transaction pays one checkout: it was booked already for another."""

    status = 409
    message = _l(
        "The bank transaction %(reference)s has already been booked for checkout %(other)s. Check the "
        "platform's bank statement for this checkout's own transaction."
    )
