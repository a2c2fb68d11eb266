"""The institution's side of a delivery: receipt line by line, the invoice, settlement by bank transfer.

Receipt records what arrived (never more than confirmed) with an inspection note per line, a receiving event
on every batch the delivery came from (institutions are trace points), moves the supplier order to received
and sends :data:`procurement.signals.supplier_order_received` in the same transaction — the sales
ledger counts procurement at receipt. Then the institution's finance staff record the bank-transfer
reference and the producer confirms the money arrived: settled. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.db import utcnow
from core.i18n import format_fen, in_language_of
from core.models import User
from core.notifications.services import notify
from procurement.institutions.models import InstitutionRole
from procurement.ordering.models import SupplierLine, SupplierOrder, SupplierStatus
from procurement.receiving.errors import (
    AlreadyReceived,
    DeliveryRecalled,
    InspectionNoteTooLong,
    InvoiceAlreadyAttached,
    InvoiceNotAllowedNow,
    InvoiceRequired,
    NothingOwed,
    NotInstitutionMember,
    NotPayer,
    NotReceivedYet,
    NotReceiver,
    NotShippedYet,
    RecalledNotReceivable,
    ReceiptIncomplete,
    ReceivedQuantityInvalid,
    RejectedQuantityInvalid,
    TransferAlreadyRecorded,
    TransferNotRecorded,
    TransferReferenceInvalid,
)
from procurement.receiving.invoices import StoredInvoice
from procurement.receiving.payment import PAYERS, ensure_payee, tell_receipt
from procurement.signals import supplier_concession_paid, supplier_order_received
from procurement.supplying.queue import delivery_path, supplier_path
from procurement.supplying.services import ensure_supplier_member, lock_order
from traceability.batches.services import append_event
from traceability.models import Batch, EventKind, RecorderRole

#: Longest inspection note per line (the column's size).
MAX_NOTE = 500
#: Longest bank-transfer reference (the column's size).
MAX_REFERENCE = 64
RECEIVERS = frozenset({InstitutionRole.BUYER, InstitutionRole.APPROVER})


@dataclass(frozen=True)
class ReceiptLineInput:
    """What arrived of one line, and the inspection note (shown on the batches' public trace pages)."""

    line_id: int
    quantity: int
    note: str | None = None
    #: Units that arrived and were refused at inspection (among those not received).
    rejected: int = 0


def roles_in(user: User, order: SupplierOrder) -> set[InstitutionRole]:
    """The roles ``user`` holds in the institution that ordered ``order`` (empty for everyone else)."""
    if not user.is_authenticated:
        return set()
    return order.purchase_order.institution.roles_of(user)


def ensure_institution_member(user: User, order: SupplierOrder) -> None:
    """Raise :class:`NotInstitutionMember` unless ``user`` acts for the ordering institution."""
    if not roles_in(user, order):
        raise NotInstitutionMember()


def recalled_lots(order: SupplierOrder) -> list[str]:
    """The lot codes of recalled batches the delivery shipped from, sorted."""
    return sorted({a.batch.lot_code for line in order.lines for a in line.allocations if a.batch.is_recalled})


def _received_by_batch(line: SupplierLine) -> list[tuple[Batch, int]]:
    """Split a line's received quantity over its batches in allocation order (shortfalls fall on the last);
    units of recalled lots are never received, so they come last and get nothing."""
    left = line.received_quantity or 0
    split = []
    for allocation in sorted(line.allocations, key=lambda a: (a.batch.is_recalled, a.id)):
        taken = min(left, allocation.quantity)
        left -= taken
        split.append((allocation.batch, taken))
    return split


def trace_point(order: SupplierOrder) -> str:
    """The place a receiving event names: the institution's region (else the delivery city) and its name."""
    purchase = order.purchase_order
    institution = purchase.institution
    where = (
        institution.region.path_name()
        if institution.region is not None
        else purchase.province + purchase.city
    )
    return f"{where} {institution.name}".strip()[:200]


def _record_receiving(session: Session, user: User, order: SupplierOrder, now: datetime) -> None:
    institution = order.purchase_order.institution
    per_batch: dict[Batch, tuple[int, list[str]]] = {}
    for line in order.lines:
        for batch, quantity in _received_by_batch(line):
            total, notes = per_batch.get(batch, (0, []))
            per_batch[batch] = (
                total + quantity,
                [*notes, *([line.inspection_note] if line.inspection_note else [])],
            )
    for batch, (quantity, notes) in sorted(per_batch.items(), key=lambda item: item[0].id):
        details: dict[str, object] = {
            "from": order.producer.name,
            "receiver": institution.name,
            "order": order.number,
            "quantity": quantity,
        }
        if notes:
            details["condition"] = "; ".join(dict.fromkeys(notes))[:500]
        append_event(
            session,
            batch,
            EventKind.RECEIVING,
            actor=user,
            actor_name=institution.name,
            recorded_as=RecorderRole.INSTITUTION,
            occurred_at=now,
            place=trace_point(order),
            region=institution.region,
            details=details,
        )


def _apply_receipt(order: SupplierOrder, lines: Sequence[ReceiptLineInput]) -> None:
    by_id = {item.line_id: item for item in lines}
    known = {line.id for line in order.lines}
    with_goods = {line.id for line in order.lines if (line.confirmed_quantity or 0) > 0}
    if len(by_id) != len(lines) or not with_goods <= set(by_id) <= known:
        raise ReceiptIncomplete()
    for line in order.lines:
        item = by_id.get(line.id)
        confirmed = line.confirmed_quantity or 0
        quantity = item.quantity if item is not None else 0
        if not isinstance(quantity, int) or not 0 <= quantity <= confirmed:
            raise ReceivedQuantityInvalid(name=line.product_name, max=confirmed)
        if quantity > line.receivable_quantity:
            lots = sorted({a.batch.lot_code for a in line.allocations if a.batch.is_recalled})
            raise RecalledNotReceivable(
                name=line.product_name,
                recalled=line.recalled_quantity,
                lots=", ".join(lots),
                max=line.receivable_quantity,
            )
        rejected = (item.rejected if item is not None else 0) or 0
        not_received = line.receivable_quantity - quantity
        if not isinstance(rejected, int) or not 0 <= rejected <= not_received:
            raise RejectedQuantityInvalid(name=line.product_name, max=not_received)
        note = " ".join(((item.note if item is not None else None) or "").split())
        if len(note) > MAX_NOTE:
            raise InspectionNoteTooLong(name=line.product_name, max=MAX_NOTE)
        line.received_quantity, line.inspection_note = quantity, note or None
        line.rejected_quantity = rejected


def confirm_receipt(
    session: Session,
    user: User,
    order: SupplierOrder,
    lines: Sequence[ReceiptLineInput],
    invoice: StoredInvoice | None = None,
    *,
    now: datetime | None = None,
) -> SupplierOrder:
    """A buyer or approver confirms what arrived, line by line; shipped → received.

    Records a receiving event on each batch the delivery came from, keeps ``invoice`` when given, sends
    ``supplier_order_received`` (once: a second receipt is refused) and tells the producer's members; the
    institution's payers learn that payment is due (or waits for the producer's verified payee account).
    Units of a recalled lot cannot be received (so they are never counted nor paid for).
    Raises :class:`NotInstitutionMember`, :class:`NotReceiver`, :class:`NotShippedYet`,
    :class:`AlreadyReceived`, :class:`ReceiptIncomplete`, :class:`ReceivedQuantityInvalid`,
    :class:`RecalledNotReceivable`, :class:`DeliveryRecalled` (every unit recalled: cancel it instead),
    :class:`RejectedQuantityInvalid`, :class:`InspectionNoteTooLong`. Units refused at inspection
    (``rejected``) and units missing are not received; receivers of the signal see both (oversight opens an
    after-sales request for them). Does not commit.
    """
    ensure_institution_member(user, order)
    if not roles_in(user, order) & RECEIVERS:
        raise NotReceiver()
    order = lock_order(session, order)
    if order.status in (SupplierStatus.RECEIVED, SupplierStatus.SETTLED):
        raise AlreadyReceived()
    if order.status is not SupplierStatus.SHIPPED:
        raise NotShippedYet()
    if order.is_all_recalled:
        raise DeliveryRecalled(lots=", ".join(recalled_lots(order)))
    _apply_receipt(order, lines)
    now = now or utcnow()
    order.move(SupplierStatus.RECEIVED)
    order.received_at, order.received_by_id = now, user.id
    if invoice is not None:
        _keep_invoice(order, invoice)
    session.flush()
    _record_receiving(session, user, order, now)
    supplier_order_received.send(order, session=session)
    _tell_producer(
        session,
        order,
        "procurement.supplier_received",
        lambda: _("%(institution)s confirmed receipt of order %(number)s", **_names(order)),
        lambda: _("Received goods worth %(amount)s.", amount=format_fen(order.payable_fen)),
    )
    tell_receipt(session, order)
    session.flush()
    return order


def _keep_invoice(order: SupplierOrder, invoice: StoredInvoice) -> None:
    order.invoice_key, order.invoice_mimetype = invoice.key, invoice.mimetype
    order.invoice_filename = f"invoice-{order.number}.{invoice.extension}"


def attach_invoice(
    session: Session, user: User, order: SupplierOrder, invoice: StoredInvoice
) -> SupplierOrder:
    """A member of the institution uploads the invoice after receipt (when it came later than the goods).

    Raises :class:`NotInstitutionMember`, :class:`InvoiceNotAllowedNow` (before shipping, or once the
    payment is recorded), :class:`InvoiceAlreadyAttached`. Does not commit.
    """
    ensure_institution_member(user, order)
    order = lock_order(session, order)
    if order.status not in (SupplierStatus.SHIPPED, SupplierStatus.RECEIVED) or order.transfer_reference:
        raise InvoiceNotAllowedNow()
    if order.invoice_key:
        raise InvoiceAlreadyAttached()
    _keep_invoice(order, invoice)
    session.flush()
    return order


def record_transfer(session: Session, user: User, order: SupplierOrder, reference: str) -> SupplierOrder:
    """Finance staff (or an approver) record the bank-transfer reference of a received order's payment.

    Raises :class:`NotInstitutionMember`, :class:`NotPayer`, :class:`TransferReferenceInvalid`,
    :class:`NotReceivedYet`, :class:`TransferAlreadyRecorded`, :class:`InvoiceRequired`, :class:`NothingOwed`
    (every unit received was recalled afterwards), ``PayeeNotVerified`` (the producer has no verified payee
    account: money goes only into one, see :mod:`procurement.receiving.payment`). The amount owed leaves out
    units of recalled lots. The producer's members are told. Does not commit.
    """
    ensure_institution_member(user, order)
    if not roles_in(user, order) & PAYERS:
        raise NotPayer()
    reference = "".join((reference or "").split())
    if not 0 < len(reference) <= MAX_REFERENCE:
        raise TransferReferenceInvalid(max=MAX_REFERENCE)
    order = lock_order(session, order)
    if order.status is SupplierStatus.SETTLED or order.transfer_reference:
        raise TransferAlreadyRecorded()
    if order.status is not SupplierStatus.RECEIVED:
        raise NotReceivedYet()
    if order.payable_fen == 0:
        raise NothingOwed()
    if not order.invoice_key:
        raise InvoiceRequired()
    payee = ensure_payee(session, order)
    order.transfer_reference, order.transfer_recorded_at = reference, utcnow()
    session.flush()
    _tell_producer(
        session,
        order,
        "procurement.transfer_recorded",
        lambda: _("%(institution)s paid order %(number)s", **_names(order)),
        lambda: _(
            "Bank transfer of %(amount)s to your account %(account)s, reference %(reference)s. Confirm once "
            "the money has arrived.",
            amount=format_fen(order.payable_fen),
            account=payee["masked_number"],
            reference=reference,
        ),
    )
    return order


def confirm_payment(session: Session, user: User, order: SupplierOrder) -> SupplierOrder:
    """A producer member confirms the recorded transfer arrived: received → settled. When nothing is owed
    (every unit received comes from a lot recalled afterwards) the producer settles without a transfer.

    Raises ``NotSupplierMember``, :class:`TransferNotRecorded`, ``InvalidTransition``. The institution's
    buyer and finance staff are told; when the transfer also paid units an after-sales request conceded,
    ``supplier_concession_paid`` is sent (the ledger counts them). Does not commit.
    """
    ensure_supplier_member(user, order)
    order = lock_order(session, order)
    owed = order.payable_fen > 0
    if order.status is SupplierStatus.RECEIVED and owed and not order.transfer_reference:
        raise TransferNotRecorded()
    order.move(SupplierStatus.SETTLED)
    session.flush()
    if order.balance_fen == 0 and order.conceded_fen > 0:
        # the transfer paid units conceded after receipt too: the ledger counts them now
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
                "procurement.settled",
                _("%(producer)s confirmed payment of order %(number)s", **_names(order)),
                _(
                    "The bank transfer %(reference)s has arrived; the order is settled.",
                    reference=order.transfer_reference,
                )
                if owed
                else _("Nothing is owed (the goods were recalled); the order is settled."),
                link=delivery_path(order),
            )
    return order


def _names(order: SupplierOrder) -> dict[str, str]:
    return {
        "institution": order.purchase_order.institution.name,
        "producer": order.producer.name,
        "number": order.number,
    }


def _tell_producer(
    session: Session, order: SupplierOrder, kind: str, subject: Callable[[], str], body: Callable[[], str]
) -> None:
    """Notify every member of the producer, each in their own language (texts are built per language)."""
    for member in order.producer.members:
        with in_language_of(member.user):
            notify(session, member.user, kind, subject(), body(), link=supplier_path(order))
