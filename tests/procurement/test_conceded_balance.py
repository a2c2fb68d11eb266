"""Units an institution did not receive but pays for after all: when its receipt request ends with less agreed
than claimed, the amount due grows or a balance is asked for, and the ledger counts them when paid."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.i18n import format_fen
from core.models import Region, User
from core.notifications.models import Notification
from oversight.aftersales import steps
from oversight.aftersales.concessions import concede_unagreed, owed_per_line
from oversight.aftersales.deadlines import apply_lapsed
from oversight.aftersales.models import AftersalesLine, AftersalesRequest
from oversight.aftersales.services import Windows
from procurement.ordering.models import SupplierLine, SupplierOrder, SupplierStatus
from procurement.receiving.balance import (
    BalanceAlreadyConfirmed,
    BalanceAlreadyRecorded,
    BalanceNotRecorded,
    NoBalanceDue,
    balance_due,
    concede,
    confirm_balance,
    record_balance,
)
from procurement.receiving.errors import NotPayer
from procurement.receiving.invoices import store_invoice
from procurement.receiving.payment import PayeeNotVerified
from procurement.receiving.services import ReceiptLineInput, confirm_payment, confirm_receipt, record_transfer
from settlement.payees.services import PayeeInput, submit_account, verify_account
from stats.models import EntryKind, EntrySource, SalesEntry
from stats.rebuild import check_ledger, rebuild_ledger
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import pdf_bytes, shipped_order
from tests.settlement.test_direct_payment import drop_payee


@pytest.fixture()
def short(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, tmp_path: Path
) -> SupplierOrder:
    """120 kg shipped, 110 received with the invoice: a request for 10 kg is open."""
    order = shipped_order(db, pw, submit, make_batch)
    invoice = store_invoice(io.BytesIO(pdf_bytes()), tmp_path)
    return confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 110)], invoice)


@pytest.fixture()
def reviewer(make_user: Callable[..., User], region: Callable[[str], Region]) -> User:
    """The reviewer of 疏勒县, the tomatoes' county."""
    return make_user(name="疏勒审核员", counties=[region("653122")])


def request_of(db: Session, order: SupplierOrder) -> AftersalesRequest:
    """The delivery's after-sales request."""
    query = select(AftersalesRequest).where(AftersalesRequest.supplier_order_id == order.id)
    return db.scalars(query).one()


def entries(db: Session, order: SupplierOrder, kind: EntryKind) -> list[tuple[int, int]]:
    """(amount, quantity) of the ledger entries of ``kind`` for the delivery's lines."""
    ids = [line.id for line in order.lines]
    query = select(SalesEntry.amount_fen, SalesEntry.quantity).where(
        SalesEntry.source == EntrySource.SUPPLIER_LINE, SalesEntry.source_id.in_(ids), SalesEntry.kind == kind
    )
    return [(int(a), int(q)) for a, q in db.execute(query)]


def notices(db: Session, user: User, kind: str) -> list[Notification]:
    """The notifications of ``kind`` ``user`` received."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    return list(db.scalars(query.order_by(Notification.id)))


def uphold_refusal(db: Session, pw: ProcurementWorld, order: SupplierOrder, reviewer: User) -> None:
    """The producer refuses, the buyer escalates, the reviewer upholds the refusal (nothing agreed)."""
    request = request_of(db, order)
    steps.refuse(db, pw.shule_owner, request, "120 公斤已全部交付", Windows())
    steps.escalate(db, pw.buyer, request)
    steps.arbitrate(db, reviewer, request, 0, "签收单显示全部交付")


def test_refusal_upheld_after_the_transfer_asks_for_a_balance_counted_once_confirmed(
    db: Session, pw: ProcurementWorld, short: SupplierOrder, reviewer: User
) -> None:
    price = short.lines[0].unit_price_fen
    record_transfer(db, pw.finance, short, "HX0001")
    confirm_payment(db, pw.shule_owner, short)
    assert short.status is SupplierStatus.SETTLED
    uphold_refusal(db, pw, short, reviewer)
    line = short.lines[0]
    assert (line.conceded_quantity, line.conceded_fen) == (10, 10 * price)
    assert short.payable_fen == 120 * price and short.balance_fen == 10 * price and balance_due(short)
    [due] = notices(db, pw.finance, "procurement.balance_due")
    assert short.balance_note in due.body and format_fen(10 * price) in due.body
    assert notices(db, pw.shule_owner, "procurement.conceded")
    assert entries(db, short, EntryKind.CONCESSION) == []  # not paid yet
    with pytest.raises(BalanceNotRecorded):
        confirm_balance(db, pw.shule_owner, short)
    with pytest.raises(NotPayer):
        record_balance(db, pw.buyer, short, "HX0002")
    record_balance(db, pw.finance, short, " HX 0002 ")
    assert short.balance_reference == "HX0002" and not balance_due(short)
    with pytest.raises(BalanceAlreadyRecorded):
        record_balance(db, pw.finance, short, "HX0003")
    assert notices(db, pw.shule_owner, "procurement.balance_recorded")
    confirm_balance(db, pw.shule_owner, short)
    assert short.balance_confirmed_at is not None
    assert entries(db, short, EntryKind.CONCESSION) == [(10 * price, 10)]
    assert entries(db, short, EntryKind.SALE) == [(110 * price, 110)]
    with pytest.raises(BalanceAlreadyConfirmed):
        confirm_balance(db, pw.shule_owner, short)
    assert check_ledger(db).is_consistent


def test_a_concession_before_the_transfer_grows_the_amount_due_and_counts_at_settlement(
    db: Session, pw: ProcurementWorld, short: SupplierOrder
) -> None:
    price = short.lines[0].unit_price_fen
    request = request_of(db, short)
    steps.propose(db, pw.shule_owner, request, 4 * price, None, Windows())
    steps.take_proposal(db, pw.buyer, request)
    # 4 kg refunded of 10 claimed: 6 kg owed after all, and no balance (nothing was paid yet)
    assert short.lines[0].conceded_fen == 6 * price and short.balance_fen == 0
    assert short.payable_fen == 116 * price
    due = notices(db, pw.finance, "procurement.payment_due")
    assert len(due) == 2 and format_fen(116 * price) in due[-1].body
    with pytest.raises(NoBalanceDue):
        record_balance(db, pw.finance, short, "HX0002")
    record_transfer(db, pw.finance, short, "HX0001")
    assert entries(db, short, EntryKind.CONCESSION) == []
    confirm_payment(db, pw.shule_owner, short)
    assert entries(db, short, EntryKind.CONCESSION) == [(6 * price, 6)]
    assert check_ledger(db).is_consistent


def test_a_full_acceptance_owes_nothing_more(db: Session, pw: ProcurementWorld, short: SupplierOrder) -> None:
    price = short.lines[0].unit_price_fen
    record_transfer(db, pw.finance, short, "HX0001")
    steps.accept(db, pw.shule_owner, request_of(db, short))
    assert short.lines[0].conceded_fen == 0 and short.balance_fen == 0
    assert short.payable_fen == 110 * price and not balance_due(short)
    assert notices(db, pw.finance, "procurement.balance_due") == []
    confirm_payment(db, pw.shule_owner, short)
    assert entries(db, short, EntryKind.CONCESSION) == []


def test_deciding_twice_never_doubles(db: Session, pw: ProcurementWorld, short: SupplierOrder) -> None:
    price = short.lines[0].unit_price_fen
    record_transfer(db, pw.finance, short, "HX0001")
    request = request_of(db, short)
    steps.withdraw(db, pw.buyer, request)
    assert short.balance_fen == 10 * price
    assert concede_unagreed(db, request) == 0
    assert concede(db, short, {short.lines[0].id: 10 * price}) == 0
    assert short.balance_fen == 10 * price and short.lines[0].conceded_fen == 10 * price
    assert len(notices(db, pw.finance, "procurement.balance_due")) == 1


def test_a_concession_never_exceeds_the_units_not_received(
    db: Session, pw: ProcurementWorld, short: SupplierOrder
) -> None:
    price = short.lines[0].unit_price_fen
    assert concede(db, short, {short.lines[0].id: 50 * price}) == 10 * price
    assert short.payable_fen == 120 * price


def test_the_pages_show_the_balance_and_record_and_confirm_it(
    db: Session,
    pw: ProcurementWorld,
    short: SupplierOrder,
    reviewer: User,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    price = short.lines[0].unit_price_fen
    record_transfer(db, pw.finance, short, "HX0001")
    uphold_refusal(db, pw, short, reviewer)
    db.flush()
    page_url = f"/procurement/deliveries/{short.number}"
    page = as_user(pw.finance).get(page_url).get_data(as_text=True)
    assert short.balance_note in page and f"{page_url}/balance" in page and format_fen(10 * price) in page
    assert f"{page_url}/balance" not in as_user(pw.buyer).get(page_url).get_data(as_text=True)
    purchase_page = as_user(pw.finance).get(f"/procurement/orders/{short.purchase_order.number}")
    assert format_fen(10 * price) in purchase_page.get_data(as_text=True) and f"{page_url}#balance" in (
        purchase_page.get_data(as_text=True)
    )
    assert as_user(pw.buyer).post(f"{page_url}/balance", data={"balance-reference": "HX2"}).status_code == 403
    assert as_user(pw.finance).post(f"{page_url}/balance", data={"balance-reference": ""}).status_code == 400
    producer_url = f"/producer/procurement/{short.number}"
    assert as_user(pw.shule_owner).post(f"{producer_url}/balance").status_code == 409  # not recorded yet
    finance = as_user(pw.finance)
    assert finance.post(f"{page_url}/balance", data={"balance-reference": "HX 0002"}).status_code == 302
    db.expire_all()
    assert short.balance_reference == "HX0002"
    assert finance.post(f"{page_url}/balance", data={"balance-reference": "HX3"}).status_code == 409
    producer_page = as_user(pw.shule_owner).get(producer_url).get_data(as_text=True)
    assert "HX0002" in producer_page and f"{producer_url}/balance" in producer_page
    assert as_user(pw.chengkou_owner).post(f"{producer_url}/balance").status_code in (403, 404)
    assert as_user(pw.shule_owner).post(f"{producer_url}/balance").status_code == 302
    db.expire_all()
    assert short.balance_confirmed_at is not None
    assert entries(db, short, EntryKind.CONCESSION) == [(10 * price, 10)]
    assert as_user(pw.shule_owner).post(f"{producer_url}/balance").status_code == 409


def test_a_refusal_left_standing_owes_the_claim_and_an_odd_arbitration_owes_whole_units_and_the_rest(
    db: Session, pw: ProcurementWorld, short: SupplierOrder, reviewer: User
) -> None:
    price = short.lines[0].unit_price_fen
    request = request_of(db, short)
    steps.refuse(db, pw.shule_owner, request, "120 公斤已全部交付", Windows())
    assert request.next_due_at is not None
    apply_lapsed(db, now=request.next_due_at + timedelta(minutes=1))
    assert request.outcome == "refusal_kept"
    assert (short.lines[0].conceded_quantity, short.lines[0].conceded_fen) == (10, 10 * price)
    assert short.payable_fen == 120 * price and short.balance_fen == 0


def test_an_arbitrated_amount_not_in_whole_units_is_owed_to_the_fen(
    db: Session, pw: ProcurementWorld, short: SupplierOrder, reviewer: User
) -> None:
    price = short.lines[0].unit_price_fen
    request = request_of(db, short)
    steps.refuse(db, pw.shule_owner, request, "120 公斤已全部交付", Windows())
    steps.escalate(db, pw.buyer, request)
    steps.arbitrate(db, reviewer, request, 4 * price + 1, "少四公斤多一点")
    line = short.lines[0]
    assert (line.conceded_quantity, line.conceded_fen) == (5, 6 * price - 1)
    assert short.payable_fen == 116 * price - 1


def test_owed_money_is_split_over_lines_by_their_claimed_value() -> None:
    request = AftersalesRequest(claimed_fen=1000, agreed_fen=401)
    for line_id, quantity, price in ((1, 2, 300), (2, 4, 100)):
        supplier_line = SupplierLine(id=line_id, unit_price_fen=price)
        request.lines.append(
            AftersalesLine(supplier_line_id=line_id, quantity=quantity, supplier_line=supplier_line)
        )
    shares = owed_per_line(request)
    assert sum(shares.values()) == 599 and shares == {1: 360, 2: 239}
    request.agreed_fen = 1000
    assert owed_per_line(request) == {}


def test_the_ledger_rebuild_restores_a_lost_concession_entry(
    db: Session, pw: ProcurementWorld, short: SupplierOrder, reviewer: User
) -> None:
    record_transfer(db, pw.finance, short, "HX0001")
    uphold_refusal(db, pw, short, reviewer)
    record_balance(db, pw.finance, short, "HX0002")
    confirm_balance(db, pw.shule_owner, short)
    db.execute(delete(SalesEntry).where(SalesEntry.kind == EntryKind.CONCESSION))
    report = check_ledger(db)
    assert [d.key[2] for d in report.differences if d.table == "entry"] == ["concession"]
    rebuild_ledger(db)
    assert check_ledger(db).is_consistent
    assert len(entries(db, short, EntryKind.CONCESSION)) == 1


def test_a_balance_waiting_for_a_verified_account_is_told_again_once_there_is_one(
    db: Session,
    pw: ProcurementWorld,
    short: SupplierOrder,
    reviewer: User,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
) -> None:
    record_transfer(db, pw.finance, short, "HX0001")
    drop_payee(db, pw)
    uphold_refusal(db, pw, short, reviewer)
    [waiting] = notices(db, pw.finance, "procurement.balance_due")
    with pytest.raises(PayeeNotVerified):
        record_balance(db, pw.finance, short, "HX0002")
    account = submit_account(
        db,
        pw.shule_owner,
        pw.shule,
        PayeeInput(
            account_name=pw.shule.name,
            bank_name="中国农业银行",
            branch_name="疏勒县支行",
            account_number="6228480099990000123",
        ),
    )
    verify_account(db, make_user(counties=[region("653122")]), account)
    told = notices(db, pw.finance, "procurement.balance_due")
    assert len(told) == 2 and "0123" in told[-1].body and "0123" not in waiting.body
    record_balance(db, pw.finance, short, "HX0002")
    assert short.balance_reference == "HX0002"
