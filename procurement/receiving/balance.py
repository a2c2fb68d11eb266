"""Units an institution did not receive but pays for after all, and the balance transfer that pays them.

An institution's receipt with missing or refused units opens an after-sales request (oversight); until it
ends, the institution owes only the units it received. When it ends with less agreed than claimed (the
producer's refusal upheld, a lower amount agreed, the request withdrawn), oversight calls :func:`concede`
with the money owed per line: the lines record it (``conceded_fen``, and the whole units it pays for,
``conceded_quantity``), and the delivery's payable amount includes it.

- Before the institution recorded its transfer, the payable amount simply grows: the payers are told the new
  amount due (as at receipt) and the first transfer pays everything.
- Once the transfer was recorded (or the delivery settled), the difference is a **balance** due
  (``SupplierOrder.balance_fen``): the payers are told the amount, the account and what to write on the
  transfer (:attr:`SupplierOrder.balance_note`); finance staff record the balance's own bank reference
  (:func:`record_balance`) and the producer confirms it arrived (:func:`confirm_balance`).

When the money for conceded units is confirmed (with the first transfer or as the balance),
:data:`procurement.signals.supplier_concession_paid` is sent: the sales ledger counts them then.
A concession is recorded once: deciding again changes nothing. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError, InvalidTransition
from core.i18n import format_fen, in_language_of
from core.models import User
from core.notifications.services import notify
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving.errors import NotPayer, TransferReferenceInvalid
from procurement.receiving.payment import PAYERS, ensure_payee, payee_for, payers, tell_payment_due
from procurement.receiving.services import MAX_REFERENCE, ensure_institution_member, roles_in
from procurement.signals import supplier_concession_paid
from procurement.supplying.queue import delivery_path, supplier_path
from procurement.supplying.services import ensure_supplier_member, lock_order

BALANCE_KIND = "procurement.balance_due"


class NoBalanceDue(InvalidTransition):
    """A balance is recorded only when one is due."""

    message = _l("No balance is due for this delivery.")


class BalanceAlreadyRecorded(DomainError):
    """The balance's transfer is recorded once."""

    status = 409
    message = _l("The balance of this delivery has already been recorded.")


class BalanceNotRecorded(InvalidTransition):
    """The producer confirms a balance the institution has recorded."""

    message = _l("The institution has not recorded the balance's bank transfer yet.")


class BalanceAlreadyConfirmed(DomainError):
    """The balance is confirmed once."""

    status = 409
    message = _l("The balance of this delivery has already been confirmed.")


def balance_due(order: SupplierOrder) -> bool:
    """A balance is owed and its transfer not recorded yet."""
    return order.balance_fen > 0 and not order.balance_reference


def balance_to_confirm(order: SupplierOrder) -> bool:
    """The institution recorded the balance's transfer and the producer has not confirmed it yet."""
    return order.balance_fen > 0 and bool(order.balance_reference) and order.balance_confirmed_at is None


def _missing_fen(order: SupplierOrder) -> dict[int, int]:
    """Line id → the value of its units that could have been received and were not."""
    return {
        line.id: max(line.receivable_quantity - (line.received_quantity or 0), 0) * line.unit_price_fen
        for line in order.lines
    }


def concede(session: Session, order: SupplierOrder, owed: Mapping[int, int]) -> int:
    """Record what an after-sales request decided the institution owes for units it did not receive.

    ``owed`` maps line ids to money (fen), each capped at the value of the line's units not received. The
    lines keep it and the whole units it pays for; before the first transfer the payers are told the new
    amount due, after it (or after settlement) a balance is due and the payers are told its amount, account
    and transfer note; the producer's members are told either way. Returns the money recorded: 0 when
    nothing is owed or a concession was already recorded (deciding again never doubles). Does not commit.
    """
    order = lock_order(session, order)
    for line in order.lines:
        session.refresh(line)
    if order.status not in (SupplierStatus.RECEIVED, SupplierStatus.SETTLED) or order.conceded_fen > 0:
        return 0
    caps = _missing_fen(order)
    total = 0
    for line in order.lines:
        money = max(min(owed.get(line.id, 0), caps[line.id]), 0)
        line.conceded_fen, line.conceded_quantity = money, money // line.unit_price_fen
        total += money
    if total == 0:
        return 0
    if order.transfer_reference or order.status is SupplierStatus.SETTLED:
        order.balance_fen = total
    session.flush()
    if order.balance_fen:
        tell_balance_due(session, order)
    else:
        tell_payment_due(session, order)
    _tell_producer(
        session,
        order,
        "procurement.conceded",
        lambda: _(
            "%(amount)s more is owed for order %(number)s", amount=format_fen(total), number=order.number
        ),
        lambda: _(
            "The after-sales request ended: %(institution)s pays %(amount)s for units it did not receive. "
            "%(when)s",
            institution=order.purchase_order.institution.name,
            amount=format_fen(total),
            when=_("A balance transfer is due.")
            if order.balance_fen
            else _("It is added to the amount due."),
        ),
    )
    return total


def tell_balance_due(session: Session, order: SupplierOrder) -> None:
    """Tell the payers a balance is due: amount, the account (last four digits; without a verified account,
    that they will be told again once there is one) and the transfer note. Nothing when no balance is due.
    Does not commit."""
    if not balance_due(order):
        return
    payee = payee_for(session, order)
    for person in payers(order):
        with in_language_of(person):
            account = (
                _(
                    "to %(holder)s, %(bank)s, account %(account)s",
                    holder=payee["account_name"],
                    bank=payee["bank_name"],
                    account=payee["masked_number"],
                )
                if payee is not None
                else _("once the producer's account is verified")
            )
            notify(
                session,
                person,
                BALANCE_KIND,
                _(
                    "Balance due: delivery %(number)s from %(producer)s",
                    number=order.number,
                    producer=order.producer.name,
                ),
                _(
                    "The after-sales request ended with %(amount)s owed for units not received. Pay it by "
                    "bank transfer %(account)s, writing %(note)s as the reference; then record the transfer "
                    "on the delivery's page.",
                    amount=format_fen(order.balance_fen),
                    account=account,
                    note=order.balance_note,
                ),
                link=delivery_path(order),
                data={"order": order.number},
            )


def record_balance(session: Session, user: User, order: SupplierOrder, reference: str) -> SupplierOrder:
    """Finance staff (or an approver) record the bank reference of the balance's transfer.

    Raises ``NotInstitutionMember``, ``NotPayer``, ``TransferReferenceInvalid``, :class:`NoBalanceDue`,
    :class:`BalanceAlreadyRecorded`, ``PayeeNotVerified``. The producer's members are told. Does not commit.
    """
    ensure_institution_member(user, order)
    if not roles_in(user, order) & PAYERS:
        raise NotPayer()
    reference = "".join((reference or "").split())
    if not 0 < len(reference) <= MAX_REFERENCE:
        raise TransferReferenceInvalid(max=MAX_REFERENCE)
    order = lock_order(session, order)
    if order.balance_fen <= 0:
        raise NoBalanceDue()
    if order.balance_reference:
        raise BalanceAlreadyRecorded()
    payee = ensure_payee(session, order)
    order.balance_reference, order.balance_recorded_at = reference, utcnow()
    session.flush()
    _tell_producer(
        session,
        order,
        "procurement.balance_recorded",
        lambda: _(
            "%(institution)s paid the balance of order %(number)s",
            institution=order.purchase_order.institution.name,
            number=order.number,
        ),
        lambda: _(
            "Bank transfer of %(amount)s to your account %(account)s, reference %(reference)s. Confirm once "
            "the money has arrived.",
            amount=format_fen(order.balance_fen),
            account=payee["masked_number"],
            reference=reference,
        ),
    )
    return order


def confirm_balance(session: Session, user: User, order: SupplierOrder) -> SupplierOrder:
    """A producer member confirms the balance's transfer arrived; the sales ledger counts the conceded units.

    Raises ``NotSupplierMember``, :class:`NoBalanceDue`, :class:`BalanceNotRecorded`,
    :class:`BalanceAlreadyConfirmed`. The institution's buyer and payers are told. Does not commit.
    """
    ensure_supplier_member(user, order)
    order = lock_order(session, order)
    if order.balance_fen <= 0:
        raise NoBalanceDue()
    if order.balance_confirmed_at is not None:
        raise BalanceAlreadyConfirmed()
    if not order.balance_reference:
        raise BalanceNotRecorded()
    order.balance_confirmed_at = utcnow()
    session.flush()
    supplier_concession_paid.send(order, session=session)
    purchase = order.purchase_order
    told = [purchase.buyer]
    for member in purchase.institution.members:
        if member.role in PAYERS and member.user not in told:
            told.append(member.user)
    for person in told:
        with in_language_of(person):
            notify(
                session,
                person,
                "procurement.balance_settled",
                _(
                    "%(producer)s confirmed the balance of order %(number)s",
                    producer=order.producer.name,
                    number=order.number,
                ),
                _("The bank transfer %(reference)s has arrived.", reference=order.balance_reference),
                link=delivery_path(order),
            )
    return order


def _tell_producer(
    session: Session, order: SupplierOrder, kind: str, subject: Callable[[], str], body: Callable[[], str]
) -> None:
    """Notify every member of the producer, each in their own language."""
    for member in order.producer.members:
        with in_language_of(member.user):
            notify(session, member.user, kind, subject(), body(), link=supplier_path(order))
