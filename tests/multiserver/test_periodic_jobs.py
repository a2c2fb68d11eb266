"""Every periodic command, started by two machines' cron at the same moment, does each thing exactly once.

Each command runs twice at once, in two threads with an app context each (so a session and a database
connection each, as two machines have), on committed data in a database of this module's own. Whatever the
interleaving, each unit of work happens once: one e-mail per notification, one release of each expired
reservation (its units back once, its buyer told once), one refund per recalled order (in the database
and at Stripe, localstripe), one cancellation of each stale purchase order, one digest per day, one ledger,
one escalation of each late complaint (its administrators told once).
What the two runs report adds up to the work there was: nothing done twice, nothing lost.

The locks themselves (``core.jobs``) are proven deterministically too: a run that finds the lock held, or
the row claimed, does nothing. PostgreSQL is where several machines run; on SQLite (one machine, whose cron
may still start a run while a slow one goes on) the same runs queue for its single writer, and the same
assertions hold.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import click
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.db import db_session, utcnow
from core.jobs import claim_row, lock_key, single_run
from core.models import User
from core.notifications.cli import send_notifications_command
from core.notifications.models import Notification
from core.notifications.services import notify
from orders.cart.checkout import place_checkout
from orders.cart.cli import release_reservations_command
from orders.models import Checkout, Order, OrderStatus, PaymentMethod
from payments.cli import refund_recalled_command
from payments.gateway import StripeGateway
from payments.models import Refund
from payments.services import apply_payment_intent, start_stripe_payment
from procurement.cli import expire_command
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.ordering.models import FundingSource, PurchaseOrder, PurchaseStatus
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from shop import create_app
from stats.cli import rebuild_command
from stats.models import SalesEntry
from stats.rebuild import check_ledger
from tests.conftest import base_config
from tests.faults.committed import ADDRESS, Committed, seed
from tests.multiserver.servers import free_port
from tests.payments import localstripe as ls
from tests.procurement.conftest import ADDRESS as CANTEEN
from tests.support import append_only_lifted
from traceability.chain import compute_hash
from traceability.cli import publish_digests_command
from traceability.models import Batch, DailyDigest, TraceEvent
from traceability.recall.services import recall_batch

ON_POSTGRES = (
    make_url(os.environ.get("SHOP_TEST_DATABASE_URL") or "sqlite://").get_backend_name() == "postgresql"
)


# --- running a command twice at once -------------------------------------------------------------------


class _ThreadOutput(io.TextIOBase):
    """``sys.stdout`` while commands run in threads: what each thread prints goes to a buffer of its own."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        self.buffers: dict[int, io.StringIO] = {}

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click asks whether this is a binary stream: it is not
            raise TypeError("text only")
        self.buffers.setdefault(threading.get_ident(), io.StringIO()).write(text)
        return len(text)

    def writable(self) -> bool:
        return True

    def of_this_thread(self) -> str:
        buffer = self.buffers.get(threading.get_ident())
        return buffer.getvalue() if buffer else ""


def run_at_once(app: Flask, command: click.Command, *args: str, runs: int = 2) -> list[str]:
    """Run ``command`` ``runs`` times at the same moment, each in a thread with its own app context (its own
    session and database connection), as every machine's cron would; return what each run printed."""
    output = _ThreadOutput()
    start = threading.Barrier(runs)
    printed: list[str] = [""] * runs
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with app.app_context():
                context = command.make_context(
                    command.name, list(args), obj=ScriptInfo(create_app=lambda: app)
                )
                start.wait()
                with context:
                    command.invoke(context)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        printed[index] = output.of_this_thread()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", output)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not failures, failures
    return printed


def numbers(pattern: str, outputs: list[str]) -> int:
    """The sum over ``outputs`` of the number in ``pattern`` (``(\\d+)``); a run that found the lock held
    says "Another run" instead and counts 0."""
    total = 0
    for printed in outputs:
        found = re.search(pattern, printed)
        assert found or "Another run" in printed, printed
        total += int(found.group(1)) if found else 0
    return total


# --- the module's app, data and outside services --------------------------------------------------------


class Mailbox:
    """aiosmtpd handler that keeps every message, a little slowly (so two senders overlap)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        await asyncio.sleep(0.005)
        with self.lock:
            self.messages.append(bytes(envelope.content or b""))
        return "250 OK"

    def notification_ids(self) -> list[int]:
        """The notification id in each message's Message-ID, in arrival order."""
        return [int(n) for m in self.messages for n in re.findall(rb"notification-(\d+)@", m)]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A live SMTP server for this module: ``(mailbox, port)``."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def jobs_app(
    committed_url: str,
    mailbox: tuple[Mailbox, int],
    localstripe: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    """The app the commands run in: the module's database, SMTP on, Stripe at localstripe."""
    config = base_config(committed_url, str(tmp_path_factory.mktemp("jobs")))
    config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=mailbox[1],
        STRIPE_SECRET_KEY=ls.SECRET_KEY,
        STRIPE_API_BASE=localstripe,
        STRIPE_WEBHOOK_SECRET=ls.WEBHOOK_SECRET,
        STRIPE_PAYMENT_METHOD_TYPES=[],
    )
    app = create_app(config)
    yield app
    app.extensions["db"].engine.dispose()


def _checkout(data: Committed, buyer_id: int, method: PaymentMethod, units: int, **kwargs: Any) -> Checkout:
    """Place a checkout of ``units`` units for buyer ``buyer_id`` through the real service (not committed)."""
    buyer = db_session.get_one(User, buyer_id)
    return place_checkout(
        db_session, buyer, {data.product_id: units}, ADDRESS, method, secrets.token_urlsafe(16), **kwargs
    )


# --- the locks themselves --------------------------------------------------------------------------------


def test_a_job_lock_is_held_by_one_run_until_its_transaction_ends(committed_engine: Engine) -> None:
    with Session(committed_engine) as first, Session(committed_engine) as second:
        assert single_run(first, "probe") is True
        if ON_POSTGRES:
            assert single_run(second, "probe") is False  # another machine's run: it stops at once
            assert single_run(second, "another job") is True
        else:  # one machine: the write lock is taken, a second run waits for it (here: not at all)
            second.execute(text("PRAGMA busy_timeout = 0"))
            with pytest.raises(OperationalError, match="database is locked"):
                single_run(second, "probe")
            second.rollback()
        first.commit()  # the lock ends with the transaction
        assert single_run(second, "probe") is True
    assert lock_key("probe") == lock_key("probe") != lock_key("another job")
    assert -(2**63) <= lock_key("probe") < 2**63


def test_a_claimed_row_is_skipped_by_other_runs(committed_engine: Engine) -> None:
    with Session(committed_engine) as setup:
        user = User(email=f"claim-{secrets.token_hex(4)}@example.test", display_name="锁", password_hash="!")
        setup.add(user)
        setup.commit()
        user_id = user.id
    with Session(committed_engine) as first, Session(committed_engine) as second:
        assert claim_row(first, User, user_id) is True
        assert claim_row(second, User, user_id) is (not ON_POSTGRES)
        first.rollback()
        assert claim_row(second, User, user_id) is True
        assert claim_row(second, User, 2**31 - 1) is False  # no such row


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's advisory locks (SQLite: one machine)")
def test_a_command_whose_lock_is_held_does_nothing(jobs_app: Flask, committed_engine: Engine) -> None:
    data = seed(committed_engine, quantities=(10,), buyers=1)
    with jobs_app.app_context():
        _checkout(data, data.buyer_ids[0], PaymentMethod.BANK_TRANSFER, 2, now=utcnow() - timedelta(hours=1))
        db_session.commit()
    with committed_engine.connect() as other_machine:
        other_machine.execute(select(func.pg_advisory_xact_lock(lock_key("release-reservations"))))
        held = jobs_app.test_cli_runner().invoke(release_reservations_command)
        other_machine.rollback()
    released = jobs_app.test_cli_runner().invoke(release_reservations_command)

    assert "Another run is releasing reservations; nothing done." in held.output, held.output
    assert "Released 1 expired reservation(s)." in released.output, released.output


# --- each command twice at once --------------------------------------------------------------------------


def test_two_senders_at_once_email_each_notification_once(
    jobs_app: Flask, committed_engine: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    box = mailbox[0]
    data = seed(committed_engine, quantities=(1,), buyers=4)
    with jobs_app.app_context():
        for index in range(40):
            user = db_session.get_one(User, data.buyer_ids[index % 4])
            notify(db_session, user, "order_paid", f"订单 {index} 已付款", "您的订单已付款。")
        db_session.commit()
        pending = db_session.scalar(
            select(func.count()).select_from(Notification).where(Notification.email_status.is_(None))
        )
    box.messages.clear()

    outputs = run_at_once(jobs_app, send_notifications_command, "--limit", "5")

    assert numbers(r"(\d+) e-mails sent", outputs) == pending
    sent = box.notification_ids()
    assert len(sent) == len(set(sent)) == pending  # every message once, none twice
    with Session(committed_engine) as session:
        statuses = session.scalars(select(Notification.email_status).where(Notification.id.in_(sent))).all()
        assert set(statuses) == {"sent"}
        left = select(func.count()).select_from(Notification).where(Notification.email_status.is_(None))
        assert session.scalar(left) == 0


def test_two_releases_at_once_give_each_expired_reservation_back_once(
    jobs_app: Flask, committed_engine: Engine
) -> None:
    data = seed(committed_engine, quantities=(40,), buyers=6)
    with jobs_app.app_context():
        for buyer_id in data.buyer_ids:
            _checkout(data, buyer_id, PaymentMethod.BANK_TRANSFER, 3, now=utcnow() - timedelta(hours=1))
        db_session.commit()

    outputs = run_at_once(jobs_app, release_reservations_command)

    assert numbers(r"Released (\d+) expired", outputs) == len(data.buyer_ids)
    with Session(committed_engine) as session:
        assert session.get_one(Batch, data.batch_ids[0]).quantity_available == 40  # back once, not twice
        orders = session.scalars(select(Order).where(Order.producer_id == data.producer_id)).all()
        assert {o.status for o in orders} == {OrderStatus.CANCELLED} and len(orders) == len(data.buyer_ids)
        for order in orders:
            assert [(a.quantity, a.returned_quantity) for a in order.lines[0].allocations] == [(3, 3)]
        told = session.scalars(
            select(Notification.user_id).where(
                Notification.kind == "order_cancelled", Notification.user_id.in_(data.buyer_ids)
            )
        ).all()
        assert sorted(told) == sorted(data.buyer_ids)  # each buyer told once


def test_two_refunders_at_once_refund_each_recalled_order_once(
    jobs_app: Flask, committed_engine: Engine
) -> None:
    data = seed(committed_engine, quantities=(20,), buyers=4)
    gateway = StripeGateway.from_config(jobs_app.config)
    with jobs_app.test_request_context():  # Stripe is told where to send the buyer back
        for buyer_id in data.buyer_ids:
            checkout = _checkout(data, buyer_id, PaymentMethod.STRIPE, 2)
            intent = start_stripe_payment(db_session, checkout, gateway)
            db_session.commit()
            apply_payment_intent(db_session, ls.pay_at_stripe(gateway, intent.id), gateway)
            db_session.commit()
        owner = db_session.get_one(User, data.owner_id)
        recall_batch(db_session, owner, db_session.get_one(Batch, data.batch_ids[0]), "抽检不合格")
        db_session.commit()

    outputs = run_at_once(jobs_app, refund_recalled_command)

    assert numbers(r"Refunded (\d+) order", outputs) == len(data.buyer_ids)
    assert all("0 failed" in printed for printed in outputs), outputs
    with Session(committed_engine) as session:
        orders = session.scalars(select(Order).where(Order.producer_id == data.producer_id)).all()
        assert len(orders) == len(data.buyer_ids)
        for order in orders:
            (refund,) = session.scalars(select(Refund).where(Refund.order_id == order.id))  # one, not two
            assert order.status is OrderStatus.REFUNDED and refund.amount_fen == order.total_fen
            at_stripe = gateway.client.v1.refunds.retrieve(refund.stripe_refund_id or "").to_dict()
            assert at_stripe["amount"] == order.total_fen
            intent = order.checkout.stripe_payment_intent or ""
            charge = gateway.client.v1.payment_intents.retrieve(intent).to_dict()["latest_charge"]
            assert (
                charge["amount_refunded"] == order.total_fen and len(charge["refunds"]["data"]) == 1
            )  # once at Stripe


def test_two_expiries_at_once_cancel_each_stale_purchase_order_once(
    jobs_app: Flask, committed_engine: Engine
) -> None:
    data = seed(committed_engine, quantities=(100,), buyers=2)
    with jobs_app.app_context():
        buyer, approver = (db_session.get_one(User, i) for i in data.buyer_ids)
        canteen = Institution(
            name=f"测试机关食堂{data.tag}",
            kind=InstitutionKind.BUDGET_UNIT,
            status=InstitutionStatus.VERIFIED,
            requires_approval=True,
        )
        canteen.members.append(InstitutionMember(user=buyer, role=InstitutionRole.BUYER))
        canteen.members.append(InstitutionMember(user=approver, role=InstitutionRole.APPROVER))
        db_session.add(canteen)
        db_session.flush()
        stale = [
            submit_purchase_order(
                db_session,
                buyer,
                canteen,
                [PurchaseLineInput(data.product_id, 2)],
                Delivery(CANTEEN, shanghai_date() + timedelta(days=7)),
                FundingSource.BUDGET,
                secrets.token_urlsafe(16),
            )
            for _ in range(4)
        ]
        for purchase in stale:
            purchase.submitted_at = utcnow() - timedelta(days=8)
        db_session.commit()
        ids = [p.id for p in stale]

    outputs = run_at_once(jobs_app, expire_command)

    assert numbers(r"Expired (\d+) purchase order", outputs) == len(ids)
    with Session(committed_engine) as session:
        statuses = session.scalars(select(PurchaseOrder.status).where(PurchaseOrder.id.in_(ids))).all()
        assert set(statuses) == {PurchaseStatus.CANCELLED}
        audited = session.scalars(
            select(AuditEntry.subject_id).where(AuditEntry.action == "purchase_order.expire")
        ).all()
        assert sorted(audited) == sorted(ids)  # one entry per order
        told = session.scalars(
            select(Notification.user_id).where(
                Notification.kind == "procurement.cancelled", Notification.user_id.in_(data.buyer_ids)
            )
        ).all()
        assert sorted(told) == sorted(data.buyer_ids * len(ids))  # buyer and approver, once per order


def test_two_publishers_at_once_store_each_days_digest_once(
    jobs_app: Flask, committed_engine: Engine
) -> None:
    data = seed(committed_engine, quantities=(5, 6, 7), buyers=0)
    with Session(committed_engine) as session, session.no_autoflush:
        session.execute(delete(DailyDigest))
        for days_ago, batch_id in zip((3, 2, 2), data.batch_ids, strict=True):
            batch = session.get_one(Batch, batch_id)
            events = session.scalars(
                select(TraceEvent).where(TraceEvent.batch_id == batch_id).order_by(TraceEvent.seq)
            )
            previous = None
            for event in events:
                event.recorded_at -= timedelta(days=days_ago)
                event.prev_hash = previous
                event.hash = compute_hash(event, batch.lot_code, previous)
                previous = event.hash
            batch.head_hash = previous
        with append_only_lifted(
            session
        ):  # arranging the past: the database refuses to rewrite events otherwise
            session.flush()
        session.commit()
        first_day = shanghai_date(session.scalar(select(func.min(TraceEvent.recorded_at))))
    days = (shanghai_date() - first_day).days  # every complete day up to yesterday

    outputs = run_at_once(jobs_app, publish_digests_command)

    assert numbers(r"(\d+) daily digest", outputs) == days
    with Session(committed_engine) as session:
        stored = session.scalars(select(DailyDigest.day)).all()
        assert sorted(stored) == [first_day + timedelta(days=n) for n in range(days)]


def test_two_rebuilds_at_once_leave_one_correct_ledger(jobs_app: Flask, committed_engine: Engine) -> None:
    data = seed(committed_engine, quantities=(30,), buyers=3)
    gateway = StripeGateway.from_config(jobs_app.config)
    with jobs_app.test_request_context():  # Stripe is told where to send the buyer back
        for buyer_id in data.buyer_ids:
            checkout = _checkout(data, buyer_id, PaymentMethod.STRIPE, 1)
            intent = start_stripe_payment(db_session, checkout, gateway)
            db_session.commit()
            apply_payment_intent(db_session, ls.pay_at_stripe(gateway, intent.id), gateway)
            db_session.commit()
    with Session(committed_engine) as session:  # the ledger loses a sale: the rebuild has work to do
        lost = session.scalars(
            select(SalesEntry.id).where(SalesEntry.producer_id == data.producer_id)
        ).first()
        session.execute(delete(SalesEntry).where(SalesEntry.id == lost))
        session.commit()
        assert not check_ledger(session).is_consistent

    outputs = run_at_once(jobs_app, rebuild_command)

    rewrote = [printed for printed in outputs if "rewritten" in printed]
    assert len(rewrote) == 1, outputs  # the other found the lock held, or (after it) nothing to do
    assert all("Another run" in p or ", 0 differences" in p for p in outputs if p not in rewrote), outputs
    with Session(committed_engine) as session:
        report = check_ledger(session)
        assert report.is_consistent, [d.describe() for d in report.differences[:5]]
        count = session.scalar(
            select(func.count()).select_from(SalesEntry).where(SalesEntry.producer_id == data.producer_id)
        )
        assert count == len(data.buyer_ids)


def test_two_escalations_at_once_escalate_each_late_complaint_once(
    jobs_app: Flask, committed_engine: Engine
) -> None:
    from oversight.complaints.cli import escalate_command
    from oversight.complaints.models import Complaint, ComplaintKind
    from oversight.complaints.services import ComplaintInput, Deadlines, file_complaint

    data = seed(committed_engine, quantities=(5,), buyers=1)
    with jobs_app.app_context():
        db_session.get_one(User, data.buyer_ids[0]).is_admin = True
        late = [
            file_complaint(
                db_session,
                None,
                ComplaintInput(
                    kind=ComplaintKind.QUALITY,
                    description="收到的产品已经变质，无法食用。",
                    contact="13912345678",
                    lot_code=data.lots[0],
                ),
                Deadlines(),
                now=utcnow() - timedelta(days=30),
            )[0]
            for _ in range(4)
        ]
        db_session.commit()
        ids = [c.id for c in late]
        admins = db_session.scalars(select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True)))
        admin_ids = sorted(admins)

    outputs = run_at_once(jobs_app, escalate_command)
    again = jobs_app.test_cli_runner().invoke(escalate_command)

    assert numbers(r"(\d+) complaints escalated", outputs) == len(ids)
    assert "0 complaints escalated" in again.output
    with Session(committed_engine) as session:
        marked = session.scalars(select(Complaint.escalated_at).where(Complaint.id.in_(ids))).all()
        assert all(at is not None for at in marked)
        audited = session.scalars(
            select(AuditEntry.subject_id).where(
                AuditEntry.action == "complaint.escalate", AuditEntry.subject_id.in_(ids)
            )
        ).all()
        assert sorted(audited) == sorted(ids)  # one entry per complaint
        links = [f"/oversight/desk/{i}" for i in ids]
        told = session.execute(
            select(Notification.user_id, Notification.link).where(
                Notification.kind == "complaint.escalated", Notification.link.in_(links)
            )
        ).all()
        assert sorted(told) == sorted((admin, link) for admin in admin_ids for link in links)  # once each
