"""Two administrators approve the same payout at the same moment: one payment recorded, the other told it was
already approved (409). Two proposals at once that together exceed the balance: one is refused (409).

Two app instances (as two gunicorn workers) post at once on committed data (tests/faults/committed.py),
deleted afterwards. Runs on PostgreSQL (the producer's row lock, the conditional UPDATE) and SQLite (its
write lock, retried).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_login import FlaskLoginClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.db import make_engine
from core.models import User
from core.notifications.models import Notification
from settlement.payees.services import in_force
from settlement.payouts.models import Payout, PayoutStatus
from settlement.statements.models import Statement
from settlement.statements.services import next_month
from shop import create_app
from tests.conftest import base_config
from tests.faults.committed import Committed, clean_up, seed
from tests.settlement.support import give_payee

ROUNDS = 2


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[tuple[Committed, list[int]]]:
    """A committed producer with a verified payee account, and three committed administrators (ids)."""
    data = seed(engine, quantities=(5,), buyers=1)
    tag = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        admins = [
            User(
                email=f"payout-{tag}-{i}@example.test",
                display_name="平台财务",
                password_hash="!",
                is_admin=True,
            )
            for i in range(3)
        ]
        session.add_all(admins)
        producer = session.get(Producer, data.producer_id)
        assert producer is not None
        give_payee(session, producer)
        session.commit()
        admin_ids = [a.id for a in admins]
    try:
        yield data, admin_ids
    finally:
        clean_up(engine, data)
        with Session(engine) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.actor_id.in_(admin_ids)))
            session.execute(delete(Notification).where(Notification.user_id.in_(admin_ids)))
            session.execute(delete(User).where(User.id.in_(admin_ids)))
            session.commit()


@pytest.fixture()
def workers(app: Flask, tmp_path: Path) -> Iterator[list[Flask]]:
    """Two app instances on the test database, as two worker processes would be."""
    config = base_config(app.config["DATABASE_URL"], str(tmp_path))
    config.update(WTF_CSRF_ENABLED=False)
    apps = [create_app(dict(config)) for _ in range(2)]
    for each in apps:
        each.test_client_class = FlaskLoginClient
    yield apps
    for each in apps:
        each.extensions["db"].engine.dispose()


def owed(engine: Engine, data: Committed, month: date, proposer: int | None) -> tuple[int, int | None]:
    """Commit a closed statement of ``month`` (¥100.00 owed) and, with ``proposer``, a ¥60.00 proposal."""
    with Session(engine) as session:
        previous = session.scalar(
            select(Statement.cumulative_net_fen)
            .where(Statement.producer_id == data.producer_id)
            .order_by(Statement.month.desc())
        )
        statement = Statement(
            producer_id=data.producer_id,
            month=month,
            period_start=month,
            period_end=next_month(month),
            sales_fen=10_000,
            shipping_fen=0,
            refunds_fen=0,
            refunded_goods_fen=0,
            fee_basis_points=0,
            fees_fen=0,
            net_fen=10_000,
            cumulative_net_fen=(previous or 0) + 10_000,
            held_at_close_fen=0,
            cash_collected_fen=0,
            procurement_received_fen=0,
        )
        session.add(statement)
        session.flush()
        payout_id = None
        if proposer is not None:
            account = in_force(session, data.producer_id)
            assert account is not None
            payout = Payout(
                producer_id=data.producer_id,
                statement_id=statement.id,
                payee_account_id=account.id,
                amount_fen=6000,
                status=PayoutStatus.PROPOSED,
                proposed_by_id=proposer,
            )
            session.add(payout)
            session.flush()
            payout_id = payout.id
        session.commit()
        return statement.id, payout_id


def race(workers: list[Flask], admins: list[User], posts: list[tuple[str, dict[str, str]]]) -> list[int]:
    """Post ``posts[i]`` as ``admins[i]`` on worker ``i``, both at once; the statuses, sorted."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def click(index: int) -> None:
        client = workers[index].test_client(user=admins[index])
        barrier.wait()
        url, form = posts[index]
        statuses.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_two_approvals_at_once_record_one_payment(
    engine: Engine, committed: tuple[Committed, list[int]], workers: list[Flask]
) -> None:
    data, admin_ids = committed
    with Session(engine) as session:
        admins = [session.get(User, ident) for ident in admin_ids]
        for admin in admins:
            session.expunge(admin)
    months = [date(2024, m, 1) for m in (1, 3, 5, 7)]
    paid_on = shanghai_date().isoformat()
    for round_ in range(ROUNDS):
        _statement, payout_id = owed(engine, data, months[round_], proposer=admin_ids[0])
        url = f"/settlement/payouts/{payout_id}/approve"
        statuses = race(
            workers,
            [admins[1], admins[2]],  # type: ignore[list-item]
            [
                (url, {"bank_reference": f"R{round_}-{i}-{uuid.uuid4().hex[:6]}", "paid_on": paid_on})
                for i in (1, 2)
            ],
        )
        assert statuses == [302, 409], (round_, statuses)
        with Session(engine) as session:
            payout = session.get(Payout, payout_id)
            assert payout is not None and payout.status is PayoutStatus.PAID
            assert payout.approved_by_id in admin_ids[1:]


def test_two_proposals_at_once_never_exceed_the_balance(
    engine: Engine, committed: tuple[Committed, list[int]], workers: list[Flask]
) -> None:
    data, admin_ids = committed
    with Session(engine) as session:
        admins = [session.get(User, ident) for ident in admin_ids]
        for admin in admins:
            session.expunge(admin)
    statement_id, _none = owed(engine, data, date(2024, 2, 1), proposer=None)
    url = f"/settlement/statements/{statement_id}/payouts"
    statuses = race(workers, [admins[0], admins[1]], [(url, {"amount": "60.00"}), (url, {"amount": "60.00"})])  # type: ignore[list-item]
    assert statuses == [302, 409]
    with Session(engine) as session:
        proposed = session.scalars(select(Payout).where(Payout.statement_id == statement_id)).all()
        assert [p.amount_fen for p in proposed] == [6000]
