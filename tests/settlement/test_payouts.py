"""Payouts need two administrators, go only into the verified payee account, never exceed the balance, and
show on the statement (paid, balance); each step is audited and the producer told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.models import User
from core.notifications.models import Notification
from orders.models import Order
from settlement.payees.models import PayeeStatus
from settlement.payees.services import in_force
from settlement.payouts.errors import (
    AlreadyDecided,
    AmountExceedsBalance,
    NotAdministrator,
    NotLatestStatement,
    NoVerifiedPayee,
    PaidOnInvalid,
    PayeeChanged,
    SameAdministrator,
)
from settlement.payouts.models import Payout, PayoutStatus
from settlement.payouts.services import approve_payout, cancel_payout, propose_payout
from settlement.statements.models import Statement
from settlement.statements.services import close_month, position
from tests.settlement.farm import PRICE, SHIPPING, Farm
from tests.settlement.support import give_payee

Client = Callable[[User | None], FlaskClient]
NOV, DEC = date(2025, 11, 1), date(2025, 12, 1)
TODAY = date(2026, 2, 3)
PAID_ON = date(2026, 1, 15)


@pytest.fixture()
def owed(db: Session, farm: Farm) -> Statement:
    """November closed with ¥40.00 owed (3 units and 2 shipping fees, card and bank transfer); a verified
    payee account."""
    farm.sell(db, 2, date(2025, 11, 3))
    farm.sell(db, 1, date(2025, 11, 4))
    give_payee(db, farm.producer, number="6228480012345678901")
    [statement] = close_month(db, NOV, 0, TODAY).created
    return statement


def test_one_administrator_proposes_another_approves(db: Session, farm: Farm, owed: Statement) -> None:
    payout = propose_payout(db, farm.maker, owed, 3000, "十一月结算", 0)
    assert payout.status is PayoutStatus.PROPOSED and payout.payee_account.masked_number == "•••• 8901"
    assert position(db, owed).balance_fen == 4000  # a proposal is not a payment
    with pytest.raises(SameAdministrator):
        approve_payout(db, farm.maker, payout, "ABC123", PAID_ON, 0, TODAY)
    with pytest.raises(NotAdministrator):
        approve_payout(db, farm.owner, payout, "ABC123", PAID_ON, 0, TODAY)

    approve_payout(db, farm.checker, payout, " ABC 123 ", PAID_ON, 0, TODAY)
    assert payout.status is PayoutStatus.PAID and payout.bank_reference == "ABC123"
    assert (payout.approved_by_id, payout.paid_on) == (farm.checker.id, PAID_ON)
    where = position(db, owed)
    assert (where.payable_fen, where.paid_fen, where.balance_fen) == (4000, 3000, 1000)
    with pytest.raises(AlreadyDecided):
        approve_payout(db, farm.checker, payout, "ABC124", PAID_ON, 0, TODAY)
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "payout").order_by(AuditEntry.id)
    ).all()
    assert actions == ["payout.propose", "payout.approve"]
    [told] = db.scalars(select(Notification).where(Notification.kind == "settlement.payout_paid"))
    assert told.user_id == farm.owner.id and "ABC123" in told.body and "•••• 8901" in told.body
    assert "6228480012345678901" not in told.body


def test_the_database_keeps_the_two_people_apart_too(db: Session, farm: Farm, owed: Statement) -> None:
    payout = propose_payout(db, farm.maker, owed, 1000, None, 0)
    savepoint = db.begin_nested()
    payout.status, payout.approved_by_id = PayoutStatus.PAID, farm.maker.id
    with pytest.raises(IntegrityError):
        db.flush()
    savepoint.rollback()


def test_payouts_never_exceed_what_is_owed(db: Session, farm: Farm, owed: Statement) -> None:
    with pytest.raises(AmountExceedsBalance):
        propose_payout(db, farm.maker, owed, 4001, None, 0)
    first = propose_payout(db, farm.maker, owed, 3000, None, 0)
    with pytest.raises(AmountExceedsBalance):  # ¥30.00 of the ¥40.00 is proposed already
        propose_payout(db, farm.checker, owed, 1001, None, 0)
    spare = propose_payout(db, farm.checker, owed, 1000, None, 0)
    cancel_payout(db, farm.maker, spare, "重复提交")
    assert spare.status is PayoutStatus.CANCELLED and spare.cancel_reason == "重复提交"
    # a refund after the close is deducted at once from what may be paid out
    order = db.scalars(select(Order).where(Order.producer_id == farm.producer.id).order_by(Order.id)).first()
    assert order is not None
    farm.refund(db, order, 1, date(2025, 12, 9))
    approve_payout(db, farm.checker, first, "R1", PAID_ON, 0, TODAY)
    with pytest.raises(AmountExceedsBalance):  # ¥40.00 − ¥30.00 paid − ¥10.00 refunded since
        propose_payout(db, farm.maker, owed, 1, None, 0)
    with pytest.raises(AlreadyDecided):
        cancel_payout(db, farm.maker, first, "太晚了")


def test_no_payout_without_a_verified_account_or_after_it_changed(
    db: Session, farm: Farm, owed: Statement
) -> None:
    payout = propose_payout(db, farm.maker, owed, 1000, None, 0)
    payout.payee_account.status = PayeeStatus.SUPERSEDED
    give_payee(db, farm.producer, number="6217000011112222333")  # a newer version verified meanwhile
    with pytest.raises(PayeeChanged):
        approve_payout(db, farm.checker, payout, "R1", PAID_ON, 0, TODAY)
    current = in_force(db, farm.producer.id)
    assert current is not None
    current.status = PayeeStatus.REJECTED
    db.flush()
    with pytest.raises(NoVerifiedPayee):
        propose_payout(db, farm.maker, owed, 1000, None, 0)


def test_only_the_latest_statement_is_paid_out_and_dates_are_checked(
    db: Session, farm: Farm, owed: Statement
) -> None:
    farm.sell(db, 1, date(2025, 12, 2))
    close_month(db, DEC, 0, TODAY)
    with pytest.raises(NotLatestStatement):
        propose_payout(db, farm.maker, owed, 1000, None, 0)
    [december] = db.scalars(select(Statement).where(Statement.month == DEC)).all()
    payout = propose_payout(db, farm.maker, december, 4000 + PRICE + SHIPPING, None, 0)
    for day in (date(2025, 12, 31), date(2026, 2, 4)):  # before December ended; after today
        with pytest.raises(PaidOnInvalid):
            approve_payout(db, farm.checker, payout, "R9", day, 0, TODAY)


def test_the_statement_page_carries_the_steps_with_clear_refusals(
    db: Session, farm: Farm, owed: Statement, as_user: Client
) -> None:
    url = f"/settlement/producers/{farm.producer.id}/statements/2025-11"
    maker, checker = as_user(farm.maker), as_user(farm.checker)
    assert "Available to pay out now: ¥40.00" in maker.get(url).get_data(as_text=True)
    propose = f"/settlement/statements/{owed.id}/payouts"
    bad = maker.post(propose, data={"amount": "abc"})
    assert bad.status_code == 400 and "Enter an amount in yuan" in bad.get_data(as_text=True)
    too_much = maker.post(propose, data={"amount": "40.01"})
    assert too_much.status_code == 409 and "at most ¥40.00" in too_much.get_data(as_text=True)
    assert maker.post(propose, data={"amount": "40.00", "note": "十一月"}).status_code == 302
    payout = db.scalars(select(Payout).where(Payout.statement_id == owed.id)).one()

    approve = f"/settlement/payouts/{payout.id}/approve"
    same = maker.post(approve, data={"bank_reference": "ICBC1", "paid_on": "2026-01-15"})
    assert same.status_code == 403 and "another administrator must approve" in same.get_data(as_text=True)
    undated = checker.post(approve, data={"bank_reference": "ICBC1", "paid_on": "15/01/2026"})
    assert undated.status_code == 400
    assert (
        as_user(farm.owner).post(approve, data={"bank_reference": "X", "paid_on": "2026-01-15"}).status_code
        == 403
    )
    assert checker.post(approve, data={"bank_reference": "ICBC1", "paid_on": "2026-01-15"}).status_code == 302
    page = as_user(farm.owner).get(url).get_data(as_text=True)
    assert "ICBC1" in page and "¥0.00" in page and "Paid" in page
