"""Payouts with maker–checker: one administrator proposes, a different one approves with the bank's reference.

- A payout is proposed against the producer's **latest closed statement**, into its **verified payee
  account** (refused without one), for at most what can be paid out now
  (:func:`settlement.statements.services.available_fen`).
- A **different administrator** approves it after sending the money, recording the bank's reference and the
  day; the database refuses the same person in both roles too (``two_people``). Approval re-checks the amount
  against the balance and that the account in force is still the one proposed.
- Everything that reads the balance and then writes takes the producer's lock first
  (:func:`settlement.locks.lock_producer`), and approval is a conditional UPDATE (``… WHERE status =
  'proposed'``): two approvals at once give one payout; the other is told it was already approved.
- Each step is audited; the producer's members are told when money was sent, the other administrators when
  a payout waits for their approval.

The record names its rail (:class:`PayoutRail`): a bank transfer today. Stripe Connect would pay card money
out on a live deployment; it is not wired, and would record its transfer id as the reference. Functions flush,
never commit.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.audit.services import record
from core.clock import shanghai_date
from core.db import utcnow
from core.i18n import format_fen, in_language_of
from core.models import User
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.urls import path_for
from settlement.locks import lock_producer
from settlement.payees.services import in_force
from settlement.payouts.errors import (
    AlreadyDecided,
    AmountExceedsBalance,
    AmountInvalid,
    BankReferenceInvalid,
    BankReferenceUsed,
    CancelReasonRequired,
    NotAdministrator,
    NotLatestStatement,
    NoVerifiedPayee,
    PaidOnInvalid,
    PayeeChanged,
    SameAdministrator,
)
from settlement.payouts.models import Payout, PayoutRail, PayoutStatus
from settlement.statements.models import Statement
from settlement.statements.services import available_fen, latest_statement, month_label

MAX_REFERENCE = 64
PROPOSED_KIND = "settlement.payout_proposed"
PAID_KIND = "settlement.payout_paid"


def _statement_path(statement: Statement) -> str:
    return path_for(
        "statements.detail", producer_id=statement.producer_id, month=month_label(statement.month)
    )


def _audit(session: Session, actor: User, action: str, payout: Payout, note: str | None = None) -> None:
    record(
        session,
        actor,
        f"payout.{action}",
        "payout",
        payout.id,
        after={
            "status": payout.status.value,
            "amount_fen": payout.amount_fen,
            "producer_id": payout.producer_id,
            "statement": month_label(payout.statement.month),
            "account": payout.payee_account.masked_number,
            "bank_reference": payout.bank_reference,
            "paid_on": payout.paid_on.isoformat() if payout.paid_on else None,
        },
        region_code=payout.producer.county.code,
        note=note,
    )


def propose_payout(
    session: Session, admin: User, statement: Statement, amount_fen: int, note: str | None, basis_points: int
) -> Payout:
    """An administrator proposes paying ``amount_fen`` of ``statement``'s balance into the verified account.

    Raises :class:`NotAdministrator`, :class:`NotLatestStatement`, :class:`NoVerifiedPayee`,
    :class:`AmountInvalid`, :class:`AmountExceedsBalance`. Audited; the other administrators are told.
    Does not commit.
    """
    if not admin.is_admin:
        raise NotAdministrator()
    producer = lock_producer(session, statement.producer_id)
    latest = latest_statement(session, producer.id)
    if latest is None or latest.id != statement.id:
        raise NotLatestStatement(month=month_label(latest.month) if latest else "")
    account = in_force(session, producer.id)
    if account is None:
        raise NoVerifiedPayee(producer=producer.name)
    if amount_fen <= 0:
        raise AmountInvalid()
    available = available_fen(session, producer, basis_points)
    if amount_fen > available:
        raise AmountExceedsBalance(amount=format_fen(amount_fen), available=format_fen(max(available, 0)))
    payout = Payout(
        producer=producer,
        statement=statement,
        payee_account=account,
        amount_fen=amount_fen,
        status=PayoutStatus.PROPOSED,
        rail=PayoutRail.BANK_TRANSFER,
        note=" ".join((note or "").split())[:300] or None,
        proposed_by_id=admin.id,
    )
    session.add(payout)
    session.flush()
    _audit(session, admin, "propose", payout, payout.note)
    others = session.scalars(
        select(User).where(User.is_admin.is_(True), User.is_active.is_(True), User.id != admin.id)
    )
    for other in others:
        with in_language_of(other):
            notify(
                session,
                other,
                PROPOSED_KIND,
                _("Payout to approve: %(producer)s", producer=producer.name),
                _(
                    "%(admin)s proposes paying %(amount)s to %(producer)s (statement %(month)s, account "
                    "%(account)s). Send the transfer, then approve it with the bank's reference.",
                    admin=admin.display_name,
                    amount=format_fen(amount_fen),
                    producer=producer.name,
                    month=month_label(statement.month),
                    account=account.masked_number,
                ),
                link=_statement_path(statement),
                data={"payout": payout.id},
            )
    return payout


def _reference(text: str | None) -> str:
    reference = "".join((text or "").split())
    if not 0 < len(reference) <= MAX_REFERENCE:
        raise BankReferenceInvalid(max=MAX_REFERENCE)
    return reference


def approve_payout(
    session: Session,
    admin: User,
    payout: Payout,
    bank_reference: str | None,
    paid_on: date | None,
    basis_points: int,
    today: date | None = None,
) -> Payout:
    """A second administrator records that the money was sent: proposed → paid, with reference and day.

    Raises :class:`NotAdministrator`, :class:`SameAdministrator`, :class:`AlreadyDecided` (also when another
    approval won the race), :class:`PayeeChanged`, :class:`BankReferenceInvalid`, :class:`BankReferenceUsed`,
    :class:`PaidOnInvalid`, :class:`AmountExceedsBalance`. Audited; the producer's members are told.
    Does not commit.
    """
    if not admin.is_admin:
        raise NotAdministrator()
    if payout.proposed_by_id == admin.id:
        raise SameAdministrator()
    reference = _reference(bank_reference)
    today = today or shanghai_date()
    earliest = payout.statement.period_end
    if paid_on is None or not earliest <= paid_on <= today:
        raise PaidOnInvalid(earliest=earliest.isoformat())
    lock_producer(session, payout.producer_id)
    session.refresh(payout)
    if payout.status is not PayoutStatus.PROPOSED:
        raise AlreadyDecided()
    account = in_force(session, payout.producer_id)
    if account is None or account.id != payout.payee_account_id:
        raise PayeeChanged()
    if session.scalar(select(Payout.id).where(Payout.bank_reference == reference)) is not None:
        raise BankReferenceUsed(reference=reference)
    available = available_fen(session, payout.producer, basis_points, excluding=payout)
    if payout.amount_fen > available:
        raise AmountExceedsBalance(
            amount=format_fen(payout.amount_fen), available=format_fen(max(available, 0))
        )
    changed = session.execute(
        update(Payout)
        .where(Payout.id == payout.id, Payout.status == PayoutStatus.PROPOSED)
        .values(
            status=PayoutStatus.PAID,
            approved_by_id=admin.id,
            approved_at=utcnow(),
            bank_reference=reference,
            paid_on=paid_on,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyDecided()
    session.refresh(payout)
    _audit(session, admin, "approve", payout)
    for member in payout.producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                PAID_KIND,
                _("Payout of %(amount)s sent", amount=format_fen(payout.amount_fen)),
                _(
                    "The platform paid %(amount)s for statement %(month)s into your account %(account)s on "
                    "%(day)s (bank reference %(reference)s).",
                    amount=format_fen(payout.amount_fen),
                    month=month_label(payout.statement.month),
                    account=payout.payee_account.masked_number,
                    day=paid_on.isoformat(),
                    reference=reference,
                ),
                link=_statement_path(payout.statement),
                data={"payout": payout.id},
            )
    return payout


def cancel_payout(session: Session, admin: User, payout: Payout, reason: str | None) -> Payout:
    """An administrator cancels a proposed payout, with a reason (nothing was sent).

    Raises :class:`NotAdministrator`, :class:`CancelReasonRequired`, :class:`AlreadyDecided`. Audited.
    Does not commit.
    """
    if not admin.is_admin:
        raise NotAdministrator()
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise CancelReasonRequired()
    lock_producer(session, payout.producer_id)
    changed = session.execute(
        update(Payout)
        .where(Payout.id == payout.id, Payout.status == PayoutStatus.PROPOSED)
        .values(
            status=PayoutStatus.CANCELLED,
            cancelled_by_id=admin.id,
            cancelled_at=utcnow(),
            cancel_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyDecided()
    session.refresh(payout)
    _audit(session, admin, "cancel", payout, reason)
    return payout


def awaiting_approval(session: Session, page: int) -> Page[Payout]:
    """Proposed payouts of every producer, oldest first (one page)."""
    query = (
        select(Payout).where(Payout.status == PayoutStatus.PROPOSED).order_by(Payout.proposed_at, Payout.id)
    )
    return paginate(session, query, page)
