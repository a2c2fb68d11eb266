"""The platform's bank-transfer desk: who paid what into the platform's account, and confirming it.

A consumer checkout paid by bank transfer is ONE transfer to the platform's account, carrying the checkout's
reference (:mod:`orders.collection`). A platform administrator finds it by that reference, enters the amount
the bank statement shows and the bank's own transaction reference, and confirms it once for the whole
checkout: every order still awaiting payment becomes paid (one :class:`Payment` per order, as the ledger and
the order pages expect), the buyer and each producer are told, and it is audited. Orders cancelled meanwhile
(the buyer, the reservation's end, a recall) are not due and are left out; an amount other than exactly what
is due is refused — there is no partial or over-payment bookkeeping.

Sized for millions of checkouts: the waiting list reads only checkouts with an order awaiting payment (the
order status index; such orders live at most the offline reservation's 48 hours), a search is an equality
lookup on the unique payment reference or checkout number. Nothing here reads every checkout.
Functions flush but never commit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.db import utcnow
from core.errors import PermissionDenied
from core.i18n import format_fen
from core.models import User
from core.notifications.services import tell
from core.pagination import Page, paginate
from core.urls import path_for
from orders.collection import platform_confirms
from orders.models import Checkout, Order, OrderStatus, PaymentMethod
from orders.recall import ensure_no_recalled_goods
from payments.errors import (
    BankReferenceUsed,
    NotBankTransfer,
    NothingDue,
    TransferAlreadyConfirmed,
    WrongTransferAmount,
)
from payments.locks import lock_orders, lock_row
from payments.models import Payment, PaymentStatus
from payments.offline import offline_reference
from payments.signals import orders_paid

#: The methods whose money reaches the platform's bank account and is confirmed on this desk.
DESK_METHODS = [method for method in PaymentMethod if platform_confirms(method)]
#: What a reference or checkout number looks like once upper-cased (letters and digits).
_TOKEN = re.compile(r"[A-Z0-9]{6,20}")
#: How many candidate references one search looks up at most.
MAX_CANDIDATES = 10

TRANSFER_RECEIVED = (
    _l("Bank transfer received for checkout %(number)s"),
    _l(
        "The platform received your bank transfer of %(amount)s for your orders %(orders)s. The producers "
        "will now prepare them."
    ),
)
ORDER_PAID_BY_TRANSFER = (
    _l("The platform received payment for order %(number)s"),
    _l(
        "The platform received the buyer's bank transfer for your order %(number)s (%(amount)s): ship it. "
        "The money is in the platform's account, not yours."
    ),
)


@dataclass(frozen=True)
class TransferDue:
    """What a bank-transfer checkout's transfer pays: its orders still awaiting payment, and the others."""

    checkout: Checkout
    #: Awaiting payment: what the transfer pays.
    payable: list[Order] = field(default_factory=list)
    #: Cancelled meanwhile (buyer, reservation's end, recall): not due.
    cancelled: list[Order] = field(default_factory=list)
    #: Paid already.
    paid: list[Order] = field(default_factory=list)

    @property
    def due_fen(self) -> int:
        """The exact amount the transfer must bring: the payable orders' totals."""
        return sum(order.total_fen for order in self.payable)

    @property
    def is_confirmed(self) -> bool:
        """Nothing left to pay and something was paid: the transfer was confirmed."""
        return not self.payable and bool(self.paid)

    @property
    def cancel_reasons(self) -> str:
        """Why the cancelled orders were cancelled, once each."""
        return "; ".join(dict.fromkeys(o.cancel_reason or "" for o in self.cancelled if o.cancel_reason))


def transfer_due(checkout: Checkout, orders: list[Order] | None = None) -> TransferDue:
    """Split the checkout's orders (or ``orders``, read under a lock) into payable, cancelled and paid."""
    listed = list(checkout.orders) if orders is None else orders
    return TransferDue(
        checkout=checkout,
        payable=[o for o in listed if o.status is OrderStatus.PENDING_PAYMENT],
        cancelled=[o for o in listed if o.status is OrderStatus.CANCELLED],
        paid=[o for o in listed if o.paid_at is not None],
    )


def awaiting_transfers(session: Session, page: int = 1, per_page: int = 20) -> Page[Checkout]:
    """One page of the checkouts whose bank transfer is awaited, the earliest reservation deadline first.

    Reads only checkouts that still have an order awaiting payment (found through the order status index),
    with their orders and producers loaded in one more query per page.
    """
    awaiting = select(Order.checkout_id).where(Order.status == OrderStatus.PENDING_PAYMENT)
    query = (
        select(Checkout)
        .where(Checkout.id.in_(awaiting), Checkout.method.in_(DESK_METHODS))
        .order_by(Checkout.reserved_until, Checkout.id)
        .options(selectinload(Checkout.orders).selectinload(Order.producer), selectinload(Checkout.buyer))
    )
    return paginate(session, query, page, per_page)


def reference_candidates(text: str | None) -> list[str]:
    """The references a search text may hold, upper-cased: the buyer's transfer remark pasted whole
    ("货款 xf7k-q3m9tp 张三") finds ``XF7KQ3M9TP``; spaces inside the code are tolerated too."""
    value = unicodedata.normalize("NFKC", text or "")[:200].upper().replace("-", "")
    tokens = _TOKEN.findall(value) + _TOKEN.findall(re.sub(r"\s+", "", value))
    return list(dict.fromkeys(tokens))[:MAX_CANDIDATES]


def find_transfers(session: Session, text: str | None) -> list[Checkout]:
    """Bank-transfer checkouts whose payment reference (or checkout number) appears in ``text``, whatever
    their state; an equality lookup on unique indexes."""
    tokens = reference_candidates(text)
    if not tokens:
        return []
    query = (
        select(Checkout)
        .where(
            or_(Checkout.payment_reference.in_(tokens), Checkout.number.in_(tokens)),
            Checkout.method.in_(DESK_METHODS),
        )
        .order_by(Checkout.id.desc())
        .limit(MAX_CANDIDATES)
        .options(selectinload(Checkout.orders).selectinload(Order.producer), selectinload(Checkout.buyer))
    )
    return list(session.scalars(query))


def confirmation_of(session: Session, checkout: Checkout) -> Payment | None:
    """The first payment confirmed by hand for the checkout (its date, who, the bank's reference)."""
    query = (
        select(Payment)
        .where(Payment.checkout_id == checkout.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)
        .limit(1)
    )
    return session.scalar(query)


def confirm_bank_transfer(
    session: Session, admin: User, checkout: Checkout, amount_fen: int, bank_reference: str
) -> list[Payment]:
    """A platform administrator confirms that the checkout's bank transfer reached the platform's account.

    Under the checkout's and its orders' locks (a second administrator confirming at the same moment waits,
    then gets :class:`TransferAlreadyConfirmed`): ``amount_fen`` must be exactly what the orders awaiting
    payment cost (cancelled ones are not due). Records one succeeded :class:`Payment` per payable order
    (``provider_reference`` unique per order, ``bank_reference`` the bank's transaction), marks them paid,
    sends :data:`orders_paid` once for them all (the ledger counts them), sets the checkout paid, audits each
    order and tells the buyer and every member of each producer to ship.

    Raises :class:`PermissionDenied` (not an administrator), :class:`NotBankTransfer`,
    :class:`TransferAlreadyConfirmed`, :class:`NothingDue` (every order cancelled),
    :class:`orders.recall.RecalledGoods`, :class:`WrongTransferAmount`, :class:`BankReferenceUsed` (the
    bank's transaction already paid another checkout); nothing is written then. Does not commit.
    """
    if not admin.is_authenticated or not admin.is_admin:
        raise PermissionDenied()
    if not platform_confirms(checkout.method):
        raise NotBankTransfer(number=checkout.number)
    checkout = lock_row(session, Checkout, checkout.id)
    due = transfer_due(checkout, lock_orders(session, checkout))
    if not due.payable:
        if due.paid or checkout.paid_at is not None:
            raise TransferAlreadyConfirmed(number=checkout.number)
        raise NothingDue(number=checkout.number, reason=due.cancel_reasons or "-")
    ensure_no_recalled_goods(due.payable)
    if amount_fen != due.due_fen:
        raise WrongTransferAmount(
            received=format_fen(amount_fen), due=format_fen(due.due_fen), number=checkout.number
        )
    _ensure_transaction_unused(session, checkout, bank_reference)
    payments = _record(session, admin, due, bank_reference)
    for order in due.payable:
        order.mark_paid()
        _audit(session, admin, order, bank_reference)
    orders_paid.send(session, orders=due.payable)
    checkout.paid_at = utcnow()
    session.flush()
    _notify(session, due)
    return payments


def _ensure_transaction_unused(session: Session, checkout: Checkout, bank_reference: str) -> None:
    """Raise :class:`BankReferenceUsed` when the bank's transaction already paid another checkout."""
    other = session.scalar(
        select(Checkout.number)
        .join(Payment, Payment.checkout_id == Checkout.id)
        .where(Payment.bank_reference == bank_reference, Payment.checkout_id != checkout.id)
        .limit(1)
    )
    if other is not None:
        raise BankReferenceUsed(reference=bank_reference, other=other)


def _record(session: Session, admin: User, due: TransferDue, bank_reference: str) -> list[Payment]:
    """One succeeded payment per payable order; a concurrent confirmation trips the unique reference."""
    now = utcnow()
    payments = [
        Payment(
            checkout_id=due.checkout.id,
            provider=due.checkout.method.value,
            provider_reference=offline_reference(order),
            amount_fen=order.total_fen,
            status=PaymentStatus.SUCCEEDED,
            confirmed_by_id=admin.id,
            bank_reference=bank_reference,
            succeeded_at=now,
        )
        for order in due.payable
    ]
    try:
        with session.begin_nested():
            session.add_all(payments)
    except IntegrityError as exc:  # confirmed concurrently
        raise TransferAlreadyConfirmed(number=due.checkout.number) from exc
    return payments


def _audit(session: Session, admin: User, order: Order, bank_reference: str) -> None:
    """Audit one order paid by the confirmed transfer, in its producer's county."""
    audit.record(
        session,
        admin,
        "order.transfer_confirmed",
        "order",
        order.id,
        before={"status": OrderStatus.PENDING_PAYMENT.value},
        after={"status": order.status.value, "amount_fen": order.total_fen},
        region_code=order.producer.county.code,
        note=f"{order.checkout.number} / {bank_reference}",
    )


def _notify(session: Session, due: TransferDue) -> None:
    """Tell the buyer the transfer arrived, and every member of each producer to ship."""
    checkout = due.checkout
    tell(
        session,
        checkout.buyer,
        "order_paid",
        TRANSFER_RECEIVED,
        path_for("payments.pay", number=checkout.number),
        number=checkout.number,
        amount=format_fen(due.due_fen),
        orders=", ".join(o.number for o in due.payable),
    )
    for order in due.payable:
        link = path_for("producer_orders.detail", number=order.number)
        for member in order.producer.members:
            tell(
                session,
                member.user,
                "order_paid",
                ORDER_PAID_BY_TRANSFER,
                link,
                number=order.number,
                amount=format_fen(order.total_fen),
            )
