"""The dashboard's figures: received amount toward budget × share (exact fen, Asia/Shanghai years),
breakdowns by funding source, county and month, open purchase orders and quotes waiting."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import SHANGHAI, shanghai_date
from core.models import User
from procurement.institutions.models import AnnualPlan, Institution, InstitutionRole
from procurement.ordering.models import (
    FundingSource,
    LineDecision,
    PurchaseOrder,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
    SupplierStatus,
)
from stats.ledger import record_supplier_order_received
from stats.progress import (
    open_purchase_orders,
    quotes_waiting,
    received_progress,
    year_bounds,
)
from tests.access_rows.institutions import in_english
from tests.conftest import make_certificate
from tests.procurement.conftest import ProcurementWorld
from tests.stats.ledger_support import make_order, pay, refund

YEAR = 2025


def shanghai(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant given as Asia/Shanghai wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture(autouse=True)
def certified_back_then(db: Session, pw: ProcurementWorld) -> None:
    """The products held certificates over the years these tests receive in (only certified goods count)."""
    for product in (pw.tomatoes, pw.pork):
        make_certificate(db, product, valid_from=date(YEAR - 5, 1, 1), valid_to=date(YEAR + 1, 12, 31))


@pytest.fixture()
def receive(db: Session, submit: Callable[..., PurchaseOrder]) -> Callable[..., PurchaseOrder]:
    """``receive({product: (ordered, received)}, at=..., funding=...)``: a purchase order whose supplier
    orders were confirmed in full and received (``received`` units) at ``at``, written to the sales ledger
    as a receipt is (the dashboard reads the ledger's roll-up)."""

    def do(lines: dict[Product, tuple[int, int]], at: datetime, **kwargs: object) -> PurchaseOrder:
        purchase = submit({product: ordered for product, (ordered, _got) in lines.items()}, **kwargs)
        received = {product.id: got for product, (_ordered, got) in lines.items()}
        for order in purchase.supplier_orders:
            for line in order.lines:
                line.decision = LineDecision.CONFIRMED
                line.confirmed_quantity = line.requested_quantity
                line.received_quantity = received[line.product_id]
            order.status = SupplierStatus.RECEIVED
            order.received_at = at
            db.flush()
            record_supplier_order_received(db, order)
        return purchase

    return do


def _plan(
    db: Session, institution: Institution, year: int, budget_fen: int, permille: int = 300
) -> AnnualPlan:
    plan = AnnualPlan(
        institution=institution, year=year, canteen_budget_fen=budget_fen, reserved_share_permille=permille
    )
    db.add(plan)
    db.flush()
    return plan


def test_year_bounds_are_shanghai_midnights() -> None:
    start, end = year_bounds(YEAR)
    assert start == datetime(YEAR - 1, 12, 31, 16, tzinfo=UTC)
    assert end == datetime(YEAR, 12, 31, 16, tzinfo=UTC)


def test_a_receipt_at_2330_on_new_years_eve_counts_in_that_year_not_the_next(
    db: Session, pw: ProcurementWorld, receive: Callable[..., PurchaseOrder]
) -> None:
    receive({pw.tomatoes: (60, 55)}, at=shanghai(YEAR, 12, 31, 23, 30))  # 55 × 6.00 = 330.00
    receive({pw.pork: (3, 3)}, at=shanghai(YEAR + 1, 1, 1, 0, 30))  # 3 × 98.00, next year
    this_year = received_progress(db, pw.institution, YEAR)
    next_year = received_progress(db, pw.institution, YEAR + 1)
    assert this_year.received_fen == 55 * 600 == 33_000
    assert this_year.by_month[11] == (12, 33_000) and sum(fen for _m, fen in this_year.by_month) == 33_000
    assert next_year.received_fen == 3 * 9800
    assert next_year.by_month[0] == (1, 29_400)


def test_progress_is_received_over_budget_times_share_to_the_fen(
    db: Session, pw: ProcurementWorld, receive: Callable[..., PurchaseOrder]
) -> None:
    _plan(db, pw.institution, YEAR, budget_fen=1_000_001, permille=275)  # target 275,000.275 → 275,000 fen
    receive({pw.tomatoes: (120, 100)}, at=shanghai(YEAR, 3, 5, 10))  # tier 5.00: 500.00
    receive({pw.pork: (2, 2)}, at=shanghai(YEAR, 6, 1, 9), funding=FundingSource.UNION_FUNDS)  # 196.00
    receive({pw.tomatoes: (50, 50), pw.pork: (1, 1)}, at=shanghai(YEAR, 6, 20, 9))  # 300.00 + 98.00
    progress = received_progress(db, pw.institution, YEAR)
    assert progress.target_fen == 275_000
    assert progress.received_fen == 50_000 + 19_600 + 30_000 + 9_800 == 109_400
    assert progress.permille == 109_400 * 1000 // 275_000 == 397
    assert progress.remaining_fen == 275_000 - 109_400
    assert progress.by_funding == [(FundingSource.BUDGET, 89_800), (FundingSource.UNION_FUNDS, 19_600)]
    assert [(county.code, fen) for county, fen in progress.by_county] == [
        ("653122", 80_000),
        ("500229", 29_400),
    ]
    months = dict(progress.by_month)
    assert (months[3], months[6], months[1]) == (50_000, 59_400, 0)
    assert progress.month_max_fen == 59_400


def test_only_received_units_of_this_institution_count(
    db: Session,
    pw: ProcurementWorld,
    receive: Callable[..., PurchaseOrder],
    submit: Callable[..., PurchaseOrder],
    make_institution: Callable[..., Institution],
    make_user: Callable[..., User],
) -> None:
    receive({pw.tomatoes: (200, 0)}, at=shanghai(YEAR, 5, 1, 12))  # refused at inspection: nothing received
    submit({pw.pork: 5})  # confirmed and shipped at most, never received
    other_buyer = make_user()
    other = make_institution(other_buyer)
    receive({pw.pork: (4, 4)}, at=shanghai(YEAR, 5, 1, 12), institution=other, buyer=other_buyer)
    progress = received_progress(db, pw.institution, YEAR)
    assert progress.received_fen == 0 and progress.by_funding == [] and progress.by_county == []
    assert progress.permille is None  # no plan: nothing to measure against
    assert received_progress(db, other, YEAR).received_fen == 4 * 9800


def test_staff_purchases_count_toward_the_institution_but_not_its_reserved_share(
    db: Session,
    pw: ProcurementWorld,
    receive: Callable[..., PurchaseOrder],
    make_user: Callable[..., User],
) -> None:
    _plan(db, pw.institution, YEAR, budget_fen=1_000_000)  # target 300,000 fen
    receive({pw.tomatoes: (60, 60)}, at=shanghai(YEAR, 3, 5, 10))  # 60 × 6.00 received
    staff, stranger = make_user(), make_user()
    linked = make_order(db, staff, [(pw.tomatoes, 10, 600)], staff_institution=pw.institution)
    pay(db, linked, shanghai(YEAR, 4, 1, 9))  # 60.00 from Shule
    refund(db, linked, {linked.lines[0]: 4}, shanghai(YEAR, 4, 2, 9))  # 24.00 back
    pork = make_order(db, staff, [(pw.pork, 1, 9800)], staff_institution=pw.institution)
    pay(db, pork, shanghai(YEAR, 4, 1, 9))  # 98.00 from Chengkou
    pay(db, make_order(db, stranger, [(pw.pork, 3, 9800)]), shanghai(YEAR, 4, 1, 9))  # not linked
    late = make_order(db, staff, [(pw.pork, 2, 9800)], staff_institution=pw.institution)
    pay(db, late, shanghai(YEAR + 1, 1, 1, 0, 5))  # next year in Shanghai
    progress = received_progress(db, pw.institution, YEAR)
    assert progress.received_fen == 36_000 and progress.permille == 120  # receipts only
    assert progress.by_funding == [(FundingSource.BUDGET, 36_000)]
    assert progress.staff_fen == 6 * 600 + 9800 == 13_400
    assert progress.counted_fen == 49_400
    assert [
        (line.county.code, line.received_fen, line.staff_fen, line.total_fen)
        for line in progress.counted_by_county
    ] == [
        ("653122", 36_000, 3_600, 39_600),
        ("500229", 0, 9_800, 9_800),
    ]
    assert received_progress(db, pw.institution, YEAR + 1).staff_fen == 2 * 9800


def test_open_orders_are_those_awaiting_approval_or_not_yet_finished(
    db: Session,
    pw: ProcurementWorld,
    receive: Callable[..., PurchaseOrder],
    submit: Callable[..., PurchaseOrder],
) -> None:
    done = receive({pw.pork: (1, 1)}, at=shanghai(YEAR, 5, 1, 12))
    going = submit({pw.pork: 2})  # awaiting the producer's confirmation
    half = receive({pw.tomatoes: (50, 50), pw.pork: (1, 1)}, at=shanghai(YEAR, 5, 2, 12))
    half.supplier_orders[1].status = SupplierStatus.SHIPPED  # one producer's part still on the way
    half.supplier_orders[1].received_at = None
    pw.institution.requires_approval = True
    waiting = submit({pw.pork: 3})
    rejected = submit({pw.pork: 4})
    rejected.reject(pw.approver, "预算不足")
    db.flush()
    found = open_purchase_orders(db, pw.institution)
    assert {p.number for p in found} == {going.number, half.number, waiting.number}
    assert done.number not in {p.number for p in found}


def _request(
    db: Session, pw: ProcurementWorld, number: str, status: QuoteRequestStatus, *answers: QuoteStatus
) -> QuoteRequest:
    request = QuoteRequest(
        number=number,
        institution_id=pw.institution.id,
        requested_by_id=pw.buyer.id,
        item="腊肉 500 kg",
        quantity=500,
        unit="kg",
        wanted_by=shanghai_date() + timedelta(days=30),
        status=status,
    )
    for producer, answer in zip((pw.chengkou, pw.shule), answers, strict=False):
        request.quotes.append(Quote(producer_id=producer.id, status=answer))
    db.add(request)
    db.flush()
    return request


def test_quotes_waiting_are_open_requests_with_an_answer(db: Session, pw: ProcurementWorld) -> None:
    answered = _request(db, pw, "Q1", QuoteRequestStatus.OPEN, QuoteStatus.ANSWERED, QuoteStatus.ANSWERED)
    _request(db, pw, "Q2", QuoteRequestStatus.OPEN, QuoteStatus.INVITED, QuoteStatus.DECLINED)
    _request(db, pw, "Q3", QuoteRequestStatus.ACCEPTED, QuoteStatus.ACCEPTED, QuoteStatus.NOT_CHOSEN)
    _request(db, pw, "Q4", QuoteRequestStatus.CLOSED, QuoteStatus.ANSWERED)
    assert [(r.number, count) for r, count in quotes_waiting(db, pw.institution)] == [(answered.number, 2)]


@pytest.fixture()
def client_of(as_user: Callable[[User | None], FlaskClient]) -> Callable[[User], FlaskClient]:
    """Signed-in test clients that read English."""
    return lambda user: in_english(as_user(user))


def test_the_dashboard_moves_by_exactly_the_received_amount(
    db: Session,
    pw: ProcurementWorld,
    receive: Callable[..., PurchaseOrder],
    submit: Callable[..., PurchaseOrder],
    client_of: Callable[[User], FlaskClient],
) -> None:
    year = shanghai_date().year
    _plan(db, pw.institution, year, budget_fen=120_000_000)  # ¥1,200,000 × 30 % = ¥360,000
    client = client_of(pw.finance)
    before = client.get("/institution/").get_data(as_text=True)
    assert "¥0.00 counted of ¥360,000.00" in before and "0.0%" in before
    receive({pw.pork: (10, 10)}, at=datetime.now(UTC) - timedelta(minutes=1))
    going = submit({pw.tomatoes: 50})
    _request(db, pw, "Q9", QuoteRequestStatus.OPEN, QuoteStatus.ANSWERED)
    page = client.get("/institution/").get_data(as_text=True)
    assert "¥980.00 counted of ¥360,000.00" in page and "0.2%" in page  # 98,000 / 36,000,000 = 2.7 ‰
    assert re.search(r'<progress class="progress-bar" value="98000" max="36000000">', page)
    assert "Budget funds" in page and "城口县" in page
    assert f'href="/procurement/orders/{going.number}"' in page and 'href="/rfq/Q9"' in page


def test_a_pending_institution_sees_a_notice_and_no_figures(
    db: Session,
    make_institution: Callable[..., Institution],
    make_user: Callable[..., User],
    client_of: Callable[[User], FlaskClient],
) -> None:
    user = make_user()
    make_institution(user, role=InstitutionRole.APPROVER, verified=False)
    page = client_of(user).get("/institution/").get_data(as_text=True)
    assert "An administrator checks the registration" in page
    assert "Progress toward the reserved share" not in page


def test_the_year_selector_shows_an_earlier_year(
    db: Session,
    pw: ProcurementWorld,
    receive: Callable[..., PurchaseOrder],
    client_of: Callable[[User], FlaskClient],
) -> None:
    last = shanghai_date().year - 1
    _plan(db, pw.institution, last, budget_fen=1_000_000)
    receive({pw.pork: (1, 1)}, at=shanghai(last, 7, 1, 12))
    page = client_of(pw.buyer).get(f"/institution/?year={last}").get_data(as_text=True)
    assert "¥98.00 counted of ¥3,000.00" in page and f"{last}-07" in page
