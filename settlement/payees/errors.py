"""What registering and reviewing a payee account refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied


class PayeeFieldError(DomainError):
    """A submitted fact of the account is not acceptable; ``field`` names the form field it concerns."""

    field = "account_number"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class AccountNumberInvalid(PayeeFieldError):
    """An account number is digits only (spaces and hyphens typed between them are dropped)."""

    field = "account_number"
    message = _l("The account number has %(min)s to %(max)s digits (spaces between them are fine).")


class CnapsCodeInvalid(PayeeFieldError):
    """A CNAPS bank code (联行号) is twelve digits."""

    field = "cnaps_code"
    message = _l("The CNAPS bank code has exactly 12 digits; leave it empty if you do not know it.")


class NameNoteRequired(PayeeFieldError):
    """An account held under another name than the producer's must say why."""

    field = "name_note"
    message = _l(
        "The account holder is not “%(producer)s”: explain why money for %(producer)s goes to this account "
        "(for example, a household's account held by the head of the household)."
    )


class NothingChanged(PayeeFieldError):
    """A change that repeats the account in force is not a change."""

    field = "account_number"
    message = _l("These are the details of the account already in force: nothing to verify.")


class ChangePending(DomainError):
    """One change at a time: a pending version is decided or withdrawn before the next is submitted."""

    status = 409
    message = _l(
        "A change of the payee account is already waiting for the county's review. Withdraw it first if it "
        "is wrong."
    )


class NotPending(InvalidTransition):
    """Only a pending version can be verified, rejected or withdrawn."""

    message = _l("This version of the payee account has already been decided.")


class ReasonRequired(PayeeFieldError):
    """A rejection tells the producer why."""

    field = "reason"
    message = _l("Give a reason: the producer will see it.")


class NotProducerMember(PermissionDenied):
    """Only a producer's members register its payee account."""

    message = _l("Only members of this producer can manage its payee account.")


class NotCountyReviewer(PermissionDenied):
    """The reviewer of the producer's county (or an administrator) verifies; never one of its members."""

    message = _l(
        "Only the reviewer of the producer's county verifies its payee account, and never someone who acts "
        "for the producer."
    )


class PayeeNotFound(NotFound):
    """No such version (or not one the user may see)."""

    message = _l("This payee account does not exist.")
