"""Payee accounts: a producer's members register the account money is paid into, the county reviewer verifies.

Changes of payee account are the classic payment fraud (a forged "we changed banks" letter), so:

- an account is never edited: every submission is a new **pending version**, verified or rejected (with a
  reason) by the reviewer of the producer's county — or an administrator —, never by someone who acts for
  the producer;
- **the version in force stays in force until the new one is verified** (then it is superseded): payments
  never stop, and never go to an account nobody checked. A pending change can be withdrawn by the producer;
  one change at a time;
- the holder's name must be the producer's registered name, or the producer explains why (a household's
  account held by the head of the household), and the reviewer sees the difference;
- every step is written to the audit log (numbers masked) and told to the other side: the county's
  reviewers when a change is submitted, the producer's members when it is decided; institutions that
  received goods and could not pay yet are told when the account is verified.

Account numbers are shown in full only to the producer's members, the reviewer of its county and
administrators (:func:`may_read_number`), and to the institution staff who pay a delivery due
(:mod:`procurement.receiving.payment`); everywhere else the last four digits. Functions flush, never commit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import can_review
from core.audit.services import AuditEntry, record
from core.db import utcnow
from core.i18n import in_language_of
from core.models import User, reviewer_county
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.urls import path_for
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving.balance import tell_balance_due
from procurement.receiving.payment import tell_payment_due
from procurement.signals import PayeeDetails
from settlement.locks import lock_producer
from settlement.payees.errors import (
    AccountNumberInvalid,
    ChangePending,
    CnapsCodeInvalid,
    NameNoteRequired,
    NotCountyReviewer,
    NothingChanged,
    NotPending,
    NotProducerMember,
    PayeeFieldError,
    ReasonRequired,
)
from settlement.payees.models import PayeeAccount, PayeeStatus

#: Account numbers of Chinese banks: personal cards have 16 to 19 digits, company accounts 10 to 25; some
#: older passbook accounts are longer. Anything outside is a typing error.
MIN_DIGITS, MAX_DIGITS = 10, 30
CNAPS_DIGITS = 12
SUBMITTED_KIND = "payee.submitted"
DECIDED_KIND = "payee.decided"
_SEPARATORS = re.compile(r"[\s\-‐-―]+")


@dataclass(frozen=True, kw_only=True)
class PayeeInput:
    """What a member types: holder, bank, branch, number, optional CNAPS code and the name note."""

    account_name: str
    bank_name: str
    branch_name: str
    account_number: str
    cnaps_code: str | None = None
    name_note: str | None = None


def _digits(text: str | None) -> str:
    """The text with full-width digits folded and spaces or hyphens between groups dropped."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def _clean(text: str | None) -> str:
    """Collapse runs of whitespace (Chinese punctuation is kept as typed): what is kept and compared."""
    return " ".join((text or "").split())


def normalised(producer: Producer, data: PayeeInput) -> PayeeInput:
    """The input checked and normalised; raises a :class:`PayeeFieldError` naming the field.

    Text fields are length-checked by the form; here: the number (digits only, :data:`MIN_DIGITS` to
    :data:`MAX_DIGITS`), the CNAPS code (12 digits or nothing) and the name note when the holder is not the
    producer.
    """
    number = _digits(data.account_number)
    if not number.isascii() or not number.isdigit() or not MIN_DIGITS <= len(number) <= MAX_DIGITS:
        raise AccountNumberInvalid(min=MIN_DIGITS, max=MAX_DIGITS)
    cnaps = _digits(data.cnaps_code) or None
    if cnaps is not None and (not cnaps.isascii() or not cnaps.isdigit() or len(cnaps) != CNAPS_DIGITS):
        raise CnapsCodeInvalid()
    holder = _clean(data.account_name)
    note = _clean(data.name_note) or None
    if not holder:
        raise PayeeFieldError(_l("Enter the account holder's name."), field="account_name")
    if holder != _clean(producer.name) and note is None:
        raise NameNoteRequired(producer=producer.name)
    return PayeeInput(
        account_name=holder,
        bank_name=_clean(data.bank_name),
        branch_name=_clean(data.branch_name),
        account_number=number,
        cnaps_code=cnaps,
        name_note=note if holder != _clean(producer.name) else None,
    )


def in_force(session: Session, producer_id: int) -> PayeeAccount | None:
    """The producer's verified account (at most one), or None."""
    query = select(PayeeAccount).where(
        PayeeAccount.producer_id == producer_id, PayeeAccount.status == PayeeStatus.VERIFIED
    )
    return session.scalars(query.order_by(PayeeAccount.version.desc()).limit(1)).first()


def pending_change(session: Session, producer_id: int) -> PayeeAccount | None:
    """The producer's version waiting for review (at most one), or None."""
    query = select(PayeeAccount).where(
        PayeeAccount.producer_id == producer_id, PayeeAccount.status == PayeeStatus.PENDING
    )
    return session.scalars(query.order_by(PayeeAccount.version.desc()).limit(1)).first()


def versions(session: Session, producer_id: int) -> list[PayeeAccount]:
    """Every version of the producer's payee account, newest first."""
    query = select(PayeeAccount).where(PayeeAccount.producer_id == producer_id)
    return list(session.scalars(query.order_by(PayeeAccount.version.desc())))


def may_read_number(user: User, account: PayeeAccount) -> bool:
    """Whether ``user`` sees the whole account number: the producer's members, its county's reviewers and
    administrators."""
    if not user.is_authenticated:
        return False
    return is_member(user, account.producer) or can_review(user, account.producer.county)


def may_review(user: User, account: PayeeAccount) -> bool:
    """Whether ``user`` decides ``account``: its county's reviewer or an administrator, not a member."""
    return can_review(user, account.producer.county) and not is_member(user, account.producer)


def as_payee_details(account: PayeeAccount) -> PayeeDetails:
    """The verified account as procurement's payment instruction shows it."""
    return PayeeDetails(
        account_name=account.account_name,
        bank_name=account.bank_name,
        branch_name=account.branch_name,
        account_number=account.account_number,
        masked_number=account.masked_number,
        cnaps_code=account.cnaps_code,
        verified_at=account.decided_at,
    )


def _same_as(account: PayeeAccount | None, data: PayeeInput) -> bool:
    return account is not None and (
        account.account_name,
        account.bank_name,
        account.branch_name,
        account.account_number,
        account.cnaps_code,
    ) == (data.account_name, data.bank_name, data.branch_name, data.account_number, data.cnaps_code)


def _audit(
    session: Session,
    actor: User | None,
    action: str,
    account: PayeeAccount,
    before: dict[str, object] | None,
    note: str | None = None,
) -> AuditEntry:
    return record(
        session,
        actor,
        f"payee.{action}",
        "payee_account",
        account.id,
        before=before,
        after={**account.audit_view(), "producer_id": account.producer_id},
        region_code=account.producer.county.code,
        note=note,
    )


def county_reviewers(session: Session, producer: Producer) -> list[User]:
    """The reviewers of the producer's county (administrators when the county has none)."""
    query = (
        select(User)
        .join(reviewer_county, reviewer_county.c.user_id == User.id)
        .where(reviewer_county.c.region_id == producer.county_id, User.is_active.is_(True))
        .order_by(User.id)
    )
    found = list(session.scalars(query))
    if found:
        return found
    return list(session.scalars(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))))


def submit_account(session: Session, actor: User, producer: Producer, data: PayeeInput) -> PayeeAccount:
    """A member registers the producer's payee account, or a change of it: a new pending version.

    The version in force (if any) stays in force until this one is verified. Raises
    :class:`NotProducerMember`, :class:`ChangePending` (one change at a time), :class:`NothingChanged`
    (the same details as the account in force) and the :class:`PayeeFieldError` of :func:`normalised`.
    The county's reviewers are told; the step is audited. Does not commit.
    """
    if not is_member(actor, producer):
        raise NotProducerMember()
    producer = lock_producer(session, producer.id)
    clean = normalised(producer, data)
    if pending_change(session, producer.id) is not None:
        raise ChangePending()
    current = in_force(session, producer.id)
    if _same_as(current, clean):
        raise NothingChanged()
    latest = session.scalar(
        select(func.max(PayeeAccount.version)).where(PayeeAccount.producer_id == producer.id)
    )
    account = PayeeAccount(
        producer=producer,
        version=(latest or 0) + 1,
        status=PayeeStatus.PENDING,
        account_name=clean.account_name,
        name_note=clean.name_note,
        bank_name=clean.bank_name,
        branch_name=clean.branch_name,
        account_number=clean.account_number,
        cnaps_code=clean.cnaps_code,
        submitted_by_id=actor.id,
    )
    session.add(account)
    session.flush()
    _audit(session, actor, "submit", account, current.audit_view() if current else None, clean.name_note)
    for reviewer in county_reviewers(session, producer):
        with in_language_of(reviewer):
            notify(
                session,
                reviewer,
                SUBMITTED_KIND,
                _("Payee account of %(producer)s to verify", producer=producer.name),
                (
                    _(
                        "%(producer)s asks to be paid into a new account (%(bank)s, %(account)s). Verify it "
                        "against the producer's documents; until then the account in force stays.",
                        producer=producer.name,
                        bank=account.bank_name,
                        account=account.masked_number,
                    )
                    if current
                    else _(
                        "%(producer)s registered the account it is paid into (%(bank)s, %(account)s). "
                        "Verify it against the producer's documents.",
                        producer=producer.name,
                        bank=account.bank_name,
                        account=account.masked_number,
                    )
                ),
                link=path_for("payees.review", account_id=account.id),
                data={"payee_account": account.id},
            )
    return account


def _lock_pending(session: Session, account: PayeeAccount) -> PayeeAccount:
    """Lock the producer, reload ``account`` and insist it still waits for a decision."""
    lock_producer(session, account.producer_id)
    session.refresh(account)
    if account.status is not PayeeStatus.PENDING:
        raise NotPending()
    return account


def withdraw_account(session: Session, actor: User, account: PayeeAccount) -> PayeeAccount:
    """A member takes back a pending change: withdrawn; the version in force stays. Audited.

    Raises :class:`NotProducerMember`, :class:`NotPending`. Does not commit.
    """
    if not is_member(actor, account.producer):
        raise NotProducerMember()
    account = _lock_pending(session, account)
    before = account.audit_view()
    account.status = PayeeStatus.WITHDRAWN
    account.decided_by_id, account.decided_at = actor.id, utcnow()
    session.flush()
    _audit(session, actor, "withdraw", account, before)
    return account


def _tell_producer(session: Session, account: PayeeAccount, verified: bool) -> None:
    for member in account.producer.members:
        with in_language_of(member.user):
            if verified:
                subject = _("Payee account verified")
                body = _(
                    "The county office verified the account %(bank)s %(account)s: from now on "
                    "institutions and the platform pay %(producer)s into it.",
                    bank=account.bank_name,
                    account=account.masked_number,
                    producer=account.producer.name,
                )
            else:
                subject = _("Payee account not verified")
                body = _(
                    "The county office did not verify the account %(bank)s %(account)s: %(reason)s. "
                    "Payments still go to the account in force, if any. Correct the details and submit "
                    "them again.",
                    bank=account.bank_name,
                    account=account.masked_number,
                    reason=account.decision_reason or "",
                )
            notify(
                session,
                member.user,
                DECIDED_KIND,
                subject,
                body,
                link=path_for("payees.producer_account", producer_id=account.producer_id),
                data={"payee_account": account.id},
            )


def verify_account(session: Session, reviewer: User, account: PayeeAccount) -> PayeeAccount:
    """The county reviewer verifies a pending version: it is in force, the previous one superseded.

    Raises :class:`NotCountyReviewer` (another county, or someone acting for the producer) and
    :class:`NotPending`. Audited; the producer's members are told, and so are the payers of every delivery
    of the producer received and still unpaid, or with a balance still unpaid (they can pay now). Does not
    commit.
    """
    if not may_review(reviewer, account):
        raise NotCountyReviewer()
    account = _lock_pending(session, account)
    previous = in_force(session, account.producer_id)
    before = previous.audit_view() if previous else None
    if previous is not None:
        previous.status = PayeeStatus.SUPERSEDED
    account.status = PayeeStatus.VERIFIED
    account.decided_by_id, account.decided_at = reviewer.id, utcnow()
    account.decision_reason = None
    session.flush()
    _audit(session, reviewer, "verify", account, before)
    _tell_producer(session, account, verified=True)
    unpaid = select(SupplierOrder).where(
        SupplierOrder.producer_id == account.producer_id,
        SupplierOrder.status == SupplierStatus.RECEIVED,
        SupplierOrder.transfer_reference.is_(None),
    )
    for order in session.scalars(unpaid.order_by(SupplierOrder.id)):
        tell_payment_due(session, order)
    balances = select(SupplierOrder).where(
        SupplierOrder.producer_id == account.producer_id,
        SupplierOrder.balance_fen > 0,
        SupplierOrder.balance_reference.is_(None),
    )
    for order in session.scalars(balances.order_by(SupplierOrder.id)):
        tell_balance_due(session, order)
    return account


def reject_account(
    session: Session, reviewer: User, account: PayeeAccount, reason: str | None
) -> PayeeAccount:
    """The county reviewer rejects a pending version, with the reason the producer reads; the version in
    force (if any) stays.

    Raises :class:`NotCountyReviewer`, :class:`ReasonRequired`, :class:`NotPending`. Audited; the producer's
    members are told. Does not commit.
    """
    if not may_review(reviewer, account):
        raise NotCountyReviewer()
    reason = _clean(reason) or None
    if reason is None:
        raise ReasonRequired()
    account = _lock_pending(session, account)
    before = account.audit_view()
    account.status = PayeeStatus.REJECTED
    account.decided_by_id, account.decided_at = reviewer.id, utcnow()
    account.decision_reason = reason[:500]
    session.flush()
    _audit(session, reviewer, "reject", account, before, reason)
    _tell_producer(session, account, verified=False)
    return account


def review_queue(session: Session, page: int, county_ids: list[int]) -> Page[PayeeAccount]:
    """Pending versions of producers in ``county_ids``, oldest first (one page)."""
    query = (
        select(PayeeAccount)
        .join(PayeeAccount.producer)
        .where(PayeeAccount.status == PayeeStatus.PENDING, Producer.county_id.in_(county_ids))
        .order_by(PayeeAccount.submitted_at, PayeeAccount.id)
    )
    return paginate(session, query, page)


def history(session: Session, account: PayeeAccount) -> list[AuditEntry]:
    """The audit entries of every version of the account's producer, newest first."""
    ids = select(PayeeAccount.id).where(PayeeAccount.producer_id == account.producer_id)
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == "payee_account", AuditEntry.subject_id.in_(ids))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return list(session.scalars(query))


def verified_payee_details(session: Session, producer: Producer) -> PayeeDetails | None:
    """The producer's verified account as a payment instruction, or None (answers ``collect_payee``)."""
    account = in_force(session, producer.id)
    return as_payee_details(account) if account is not None else None
