"""Paying a producer directly: the instruction a delivery shows, who is told that payment is due, and when.

An institution pays each producer straight into the producer's **verified** payee account (the settlement
package keeps and verifies those accounts and answers :data:`procurement.signals.collect_payee`; this module
never reads them itself). Payment is due once receipt is confirmed: the amount is the delivery's payable
amount (received units not from a recalled lot) and the reference to write on the transfer is the delivery's
number (the producer's part of the purchase order), so the producer can match the money to the order.

- At receipt the institution's finance staff (its approvers when it has none) are told that payment is due,
  with the account (last four digits only: notices travel by e-mail) and the reference.
- A producer without a verified account cannot be paid: its delivery says payment waits for one, recording a
  transfer is refused, the producer is told to register one, and the payers are told again when it is
  verified (:func:`tell_payment_due`, called by settlement).

Functions flush but never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.i18n import format_fen, in_language_of
from core.models import User
from core.notifications.services import notify
from core.urls import path_for
from procurement.institutions.models import InstitutionRole
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.signals import PayeeDetails, verified_payee
from procurement.supplying.queue import delivery_path, supplier_path

DUE_KIND = "procurement.payment_due"
WAITING_KIND = "procurement.payee_missing"
#: Roles that pay (and so read the whole account number on the delivery and purchase order pages).
PAYERS = frozenset({InstitutionRole.FINANCE, InstitutionRole.APPROVER})


class PayeeNotVerified(DomainError):
    """Money goes only into an account the county verified."""

    status = 409
    message = _l(
        "%(producer)s has no verified payee account yet, so this delivery cannot be paid: payment waits "
        "until the county has verified the producer's account. You will be told then."
    )


def payment_due(order: SupplierOrder) -> bool:
    """Receipt confirmed, something owed and no transfer recorded yet."""
    return order.status is SupplierStatus.RECEIVED and order.payable_fen > 0 and not order.transfer_reference


def payee_for(session: Session, order: SupplierOrder) -> PayeeDetails | None:
    """The producer's verified payee account, or None."""
    return verified_payee(session, order.producer)


def ensure_payee(session: Session, order: SupplierOrder) -> PayeeDetails:
    """The producer's verified payee account; :class:`PayeeNotVerified` when it has none."""
    payee = payee_for(session, order)
    if payee is None:
        raise PayeeNotVerified(producer=order.producer.name)
    return payee


def may_read_account(user: User, order: SupplierOrder) -> bool:
    """Whether ``user`` pays for the ordering institution (finance staff, approvers): they see the number."""
    if not user.is_authenticated:
        return False
    return bool(order.purchase_order.institution.roles_of(user) & PAYERS)


def payers(order: SupplierOrder) -> list[User]:
    """Who is told that the delivery must be paid: the institution's finance staff, else its approvers."""
    members = order.purchase_order.institution.members
    for role in (InstitutionRole.FINANCE, InstitutionRole.APPROVER):
        found = [m.user for m in members if m.role is role]
        if found:
            return list(dict.fromkeys(found))
    return []


def tell_payment_due(session: Session, order: SupplierOrder) -> bool:
    """Tell the payers that ``order`` is due, with the account and reference; whether they were told.

    Nothing happens unless payment is due and the producer has a verified account (without one the payers
    were told to wait, see :func:`tell_receipt`). Does not commit.
    """
    payee = payee_for(session, order)
    if not payment_due(order) or payee is None:
        return False
    for person in payers(order):
        with in_language_of(person):
            notify(
                session,
                person,
                DUE_KIND,
                _(
                    "Payment due: delivery %(number)s from %(producer)s",
                    number=order.number,
                    producer=order.producer.name,
                ),
                _(
                    "Pay %(amount)s by bank transfer to %(holder)s, %(bank)s %(branch)s, account "
                    "%(account)s, writing %(number)s as the reference; then record the transfer on the "
                    "delivery's page (it shows the whole account number).",
                    amount=format_fen(order.payable_fen),
                    holder=payee["account_name"],
                    bank=payee["bank_name"],
                    branch=payee["branch_name"],
                    account=payee["masked_number"],
                    number=order.number,
                ),
                link=delivery_path(order),
                data={"order": order.number},
            )
    return True


def tell_receipt(session: Session, order: SupplierOrder) -> None:
    """After receipt: the payers learn payment is due — or, without a verified payee account, that it waits,
    and the producer's members that they must register one. Does not commit."""
    if not payment_due(order) or tell_payment_due(session, order):
        return
    for person in payers(order):
        with in_language_of(person):
            notify(
                session,
                person,
                WAITING_KIND,
                _("Payment of delivery %(number)s waits for the producer's account", number=order.number),
                _(
                    "%(producer)s has no verified payee account yet. Do not pay %(amount)s until it has one: "
                    "you will be told, with the account, once the county has verified it.",
                    producer=order.producer.name,
                    amount=format_fen(order.payable_fen),
                ),
                link=delivery_path(order),
                data={"order": order.number},
            )
    for member in order.producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                WAITING_KIND,
                _("Register your payee account to be paid for order %(number)s", number=order.number),
                _(
                    "%(institution)s received order %(number)s and owes you %(amount)s, but it can only pay "
                    "into a bank account the county has verified. Register your payee account now.",
                    institution=order.purchase_order.institution.name,
                    number=order.number,
                    amount=format_fen(order.payable_fen),
                ),
                link=path_for("payees.producer_account", producer_id=order.producer_id),
                data={"order": order.number, "supplier": supplier_path(order)},
            )
