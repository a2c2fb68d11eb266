"""The spending limit is what one buyer may have go straight to the producers in a calendar month.

The issue: two ¥17,700 orders for the same product, 76 ms apart, both went through against a ¥20,000 limit.
The limit is cumulative per buyer and Asia/Shanghai month, and checked under a lock on the institution (the
race itself: tests/procurement/test_spending_limit_concurrency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from procurement.institutions.models import InstitutionMember, InstitutionRole
from procurement.ordering.approval import approve_purchase_order
from procurement.ordering.cancellation import cancel_supplier_order
from procurement.ordering.models import PurchaseOrder, PurchaseStatus
from procurement.ordering.services import month_start
from tests.procurement.conftest import ProcurementWorld

Client = Callable[[User | None], FlaskClient]
LIMIT = 2_000_000  # ¥20,000


@pytest.fixture()
def honey(pw: ProcurementWorld, make_product: Callable[..., Product]) -> Product:
    """¥177 a jar: 100 jars are the issue's ¥17,700 order."""
    pw.institution.spending_limit_fen = LIMIT
    return make_product(pw.chengkou, name="城口土蜂蜜", price_fen=17_700, certified=True)


def test_a_second_order_that_passes_the_monthly_limit_waits_for_an_approver(
    pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], honey: Product
) -> None:
    first, second = submit({honey: 100}), submit({honey: 100})

    assert first.status is PurchaseStatus.APPROVED and first.approver is None
    assert second.status is PurchaseStatus.AWAITING_APPROVAL
    small = submit({honey: 10})  # ¥1,770 more still fits: ¥17,700 + ¥1,770 ≤ ¥20,000
    assert small.status is PurchaseStatus.APPROVED


def test_orders_approved_by_an_approver_cancelled_or_of_last_month_do_not_use_the_limit(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], honey: Product
) -> None:
    last_month = submit({honey: 100})
    last_month.submitted_at = month_start(datetime.now(UTC)) - timedelta(minutes=1)
    this_month = submit({honey: 100})
    assert this_month.status is PurchaseStatus.APPROVED  # last month's order does not count
    waiting = submit({honey: 100})
    assert waiting.status is PurchaseStatus.AWAITING_APPROVAL
    approve_purchase_order(db, pw.approver, waiting)  # an approver said yes: it did not go "straight"
    cancel_supplier_order(db, pw.buyer, this_month.supplier_orders[0], "重复下单")
    assert this_month.status is PurchaseStatus.CANCELLED

    assert submit({honey: 100}).status is PurchaseStatus.APPROVED


def test_the_limit_is_each_buyers_own(
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    honey: Product,
    make_user: Callable[..., User],
) -> None:
    colleague = make_user(name="第二采购员")
    pw.institution.members.append(InstitutionMember(user=colleague, role=InstitutionRole.BUYER))
    db.flush()

    assert submit({honey: 100}).status is PurchaseStatus.APPROVED
    assert submit({honey: 100}, buyer=colleague).status is PurchaseStatus.APPROVED


def test_the_month_begins_at_midnight_in_beijing() -> None:
    assert month_start(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == datetime(
        2026, 11, 30, 16, 0, tzinfo=UTC
    )
    assert month_start(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == datetime(
        2026, 10, 31, 16, 0, tzinfo=UTC
    )


def test_the_settings_and_review_pages_say_what_the_limit_means(
    english: None, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], honey: Product, as_user: Client
) -> None:
    submit({honey: 100})
    settings = as_user(pw.approver).get(f"/institution/{pw.institution.id}/settings").get_data(as_text=True)
    assert "Monthly spending limit per buyer" in settings and "calendar month" in settings
    review = as_user(pw.buyer).post(
        "/procurement/review",
        data={
            "institution": str(pw.institution.id),
            "ref": [str(honey.id)],
            "qty": ["10"],
            "action": "check",
        },
    )
    page = review.get_data(as_text=True)
    assert "Within your monthly limit of ¥20,000.00" in page and "¥530.00 left this month" in page
