"""What proposing, approving and cancelling a payout refuses, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, PermissionDenied


class NotAdministrator(PermissionDenied):
    """Payouts are the platform's: administrators only."""

    message = _l("Only the platform's administrators propose and approve payouts.")


class NotLatestStatement(DomainError):
    """Money is paid out against the producer's latest closed statement: its balance includes the earlier."""

    status = 409
    message = _l(
        "A newer statement of this producer exists (%(month)s): pay out against it, its balance includes "
        "this one's."
    )


class NoVerifiedPayee(DomainError):
    """Money goes only into an account the county verified."""

    status = 409
    message = _l(
        "%(producer)s has no verified payee account: nothing can be paid out until the county office has "
        "verified one."
    )


class AmountInvalid(DomainError):
    """A payout is a positive amount."""

    message = _l("Enter the amount to pay in yuan, more than ¥0.00.")


class AmountExceedsBalance(DomainError):
    """A payout never exceeds what is owed."""

    status = 409
    message = _l(
        "%(amount)s is more than can be paid out now: at most %(available)s (the balance, less holds, "
        "refunds since the statement and payouts awaiting approval)."
    )


class SameAdministrator(PermissionDenied):
    """Maker–checker: the administrator who proposed a payout does not approve it."""

    message = _l("A payout needs two people: another administrator must approve the one you proposed.")


class AlreadyDecided(InvalidTransition):
    """A payout is approved or cancelled once."""

    message = _l("This payout has already been approved or cancelled.")


class PayeeChanged(DomainError):
    """The account in force changed after the proposal: the payout is proposed again for the new one."""

    status = 409
    message = _l(
        "The producer's payee account changed since this payout was proposed. Cancel it and propose it again "
        "for the account now in force."
    )


class BankReferenceInvalid(DomainError):
    """The bank's reference is what proves the money left."""

    message = _l("Enter the bank's reference of the transfer (up to %(max)s characters).")


class BankReferenceUsed(DomainError):
    """One transfer pays one payout."""

    status = 409
    message = _l("The bank reference %(reference)s is already recorded for another payout.")


class PaidOnInvalid(DomainError):
    """The day the money left: not in the future, not before the statement's month ended."""

    message = _l("The payment date must be between %(earliest)s and today (Beijing time).")


class CancelReasonRequired(DomainError):
    """A cancelled payout says why."""

    message = _l("Give a reason for cancelling the payout.")
