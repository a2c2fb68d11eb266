"""The buyer's ordering pages (grid, upload, review, submit) and the purchase-order pages (maker–checker).

Users read English here, so the assertions on messages hold whatever the Chinese catalogue says.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.models import User
from core.notifications.models import Notification
from procurement.institutions.models import AnnualPlan, InstitutionRole
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierStatus
from tests.conftest import row_count
from tests.procurement.conftest import ProcurementWorld

DELIVERY = {
    "recipient": "王食堂",
    "mobile": "13912345678",
    "province": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "detail": "北京路 1 号机关食堂",
    "funding_source": "budget",
    "note": "请走后门",
}


def list_form(*lines: tuple[Any, Any], **extra: Any) -> dict[str, Any]:
    """Form data of an order list: ``ref``/``qty``/``origin`` fields for each ``(reference, quantity)``."""
    return {
        "ref": [str(ref) for ref, _qty in lines],
        "qty": [str(qty) for _ref, qty in lines],
        "origin": [""] * len(lines),
        **extra,
    }


def submit_form(*lines: tuple[Any, Any], days: int = 5, **extra: Any) -> dict[str, Any]:
    """A complete review form that submits ``lines``."""
    data = list_form(*lines, action="submit", idempotency_key="k" * 20, **DELIVERY)
    data["delivery_date"] = (shanghai_date() + timedelta(days=days)).isoformat()
    data.update(extra)
    return data


def upload(client: FlaskClient, text: str | bytes, name: str = "list.csv") -> Any:
    """Upload ``text`` as a CSV order list."""
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/procurement/upload", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


@pytest.fixture(autouse=True)
def english(db: Session, pw: ProcurementWorld) -> None:
    """Everyone in the procurement world reads English."""
    for user in (pw.buyer, pw.approver, pw.finance):
        user.locale = "en"
    db.flush()


def purchases(db: Session) -> int:
    """How many purchase orders exist."""
    return int(db.scalar(select(func.count(PurchaseOrder.id))) or 0)


# --- the grid -----------------------------------------------------------------------------------------------


def test_grid_shows_only_certified_products_with_tiers_and_minimum(
    pw: ProcurementWorld, as_user: Callable[[User], FlaskClient], make_product: Callable
) -> None:
    make_product(pw.shule, name="未认定的南瓜")
    page = as_user(pw.buyer).get("/procurement/").get_data(as_text=True)
    assert "测试西红柿" in page and "测试老腊肉" in page and "未认定的南瓜" not in page
    assert "¥5.00" in page and "¥4.50" in page  # the tomato tiers
    assert f'name="qty-{pw.tomatoes.id}"' in page


def test_grid_search_keeps_the_quantities_typed_before(
    pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    client = as_user(pw.buyer)
    data = {"q": "腊肉", "shown": [str(pw.tomatoes.id), str(pw.pork.id)], f"qty-{pw.tomatoes.id}": "120"}
    page = client.post("/procurement/", data=data).get_data(as_text=True)
    assert "测试老腊肉" in page and "测试西红柿" not in page
    assert f'name="ref" value="{pw.tomatoes.id}"' in page and 'name="qty" value="120"' in page
    assert "1 line in your list" in page


def test_paired_counties_come_first(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient], region: Callable
) -> None:
    pw.institution.plans.append(
        AnnualPlan(year=shanghai_date().year, featured_county_ids=[region("500229").id])
    )
    db.flush()
    page = as_user(pw.buyer).get("/procurement/").get_data(as_text=True)
    assert page.index("测试老腊肉") < page.index("测试西红柿")  # Chengkou featured, Shule not


def test_grid_sends_quantities_to_the_review(
    pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    data = {
        "shown": [str(pw.tomatoes.id), str(pw.pork.id)],
        f"qty-{pw.tomatoes.id}": "100",
        f"qty-{pw.pork.id}": "",
    }
    page = as_user(pw.buyer).post("/procurement/review", data=data).get_data(as_text=True)
    assert "测试西红柿" in page and "测试老腊肉" not in page
    assert "¥500.00" in page  # 100 kg at the tier price of 5.00
    assert re.search(r'name="idempotency_key"[^>]*value="[A-Za-z0-9_-]{16,}"', page)


def test_only_buyers_of_verified_institutions_order(
    pw: ProcurementWorld,
    as_user: Callable[[User], FlaskClient],
    make_user: Callable,
    make_institution: Callable,
) -> None:
    assert as_user(pw.approver).get("/procurement/").status_code == 403
    waiting = make_user()
    waiting.locale = "en"  # saved with the institution below
    make_institution(waiting, verified=False)
    response = as_user(waiting).get("/procurement/upload")
    assert response.status_code == 403
    assert "has not been verified yet" in response.get_data(as_text=True)


# --- upload and the report ----------------------------------------------------------------------------------


def test_upload_reports_every_line_and_orders_nothing(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    text = (
        f"产品编号,数量\n{pw.tomatoes.id},20\n999999,5\n\n{pw.pork.id},2.5\n6901234567890,3\n{pw.pork.id},4\n"
    )
    response = upload(as_user(pw.buyer), text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "the minimum order for institutions is 50" in page  # file line 2
    assert "No product has the id 999999" in page
    assert "“2.5” is not a whole number of units" in page
    assert "should be 2, not 0" in page  # the barcode's check digit
    assert "Line 1 was read as column headings" in page and "1 blank line was ignored" in page
    assert "4 to fix or remove" in page and "file line 7" in page
    assert purchases(db) == 0


def test_upload_of_a_spreadsheet_is_refused(
    pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    response = upload(as_user(pw.buyer), b"PK\x03\x04 not a csv", "list.csv")
    assert response.status_code == 400 and "Save as" in response.get_data(as_text=True)
    assert upload(as_user(pw.buyer), "12,3", "list.xlsx").status_code == 400


def test_a_rejected_line_is_fixed_and_another_removed(
    pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    client = as_user(pw.buyer)
    bad = list_form((pw.tomatoes.id, "20"), ("999999", "5"), (pw.pork.id, "2"), action="check")
    page = client.post("/procurement/review", data=bad).get_data(as_text=True)
    assert "2 to fix or remove" in page
    fixed = list_form((pw.tomatoes.id, "60"), ("999999", "5"), (pw.pork.id, "2"), remove="2")
    page = client.post("/procurement/review", data=fixed).get_data(as_text=True)
    assert "999999" not in page and "2 ready" in page and "to fix" not in page
    assert "¥360.00" in page and "¥196.00" in page and "¥556.00" in page  # lines and the total


# --- submitting ---------------------------------------------------------------------------------------------


def test_submit_with_problems_is_refused_and_writes_nothing(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    response = as_user(pw.buyer).post("/procurement/review", data=submit_form((pw.tomatoes.id, "10")))
    assert response.status_code == 400
    assert "Fix or remove the marked lines first" in response.get_data(as_text=True)
    assert purchases(db) == 0 and row_count(db, "shop_supplier_order") == 0


def test_submit_with_a_bad_address_shows_the_field(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    data = submit_form((pw.pork.id, "1"), mobile="12345", detail="")
    response = as_user(pw.buyer).post("/procurement/review", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Enter the street address" in page
    assert purchases(db) == 0


def test_submit_splits_per_producer_and_a_repeat_creates_nothing_new(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    client = as_user(pw.buyer)
    data = submit_form((pw.tomatoes.id, "120"), (pw.pork.id, "3"))
    first = client.post("/procurement/review", data=data)
    assert first.status_code == 302
    again = client.post("/procurement/review", data=data)
    assert again.headers["Location"] == first.headers["Location"]
    db.expire_all()
    purchase = db.scalars(select(PurchaseOrder)).one()
    assert purchase.total_fen == 120 * 500 + 3 * 9800 and purchase.note == "请走后门"
    assert purchase.status is PurchaseStatus.APPROVED and len(purchase.supplier_orders) == 2
    assert first.headers["Location"].endswith(f"/procurement/orders/{purchase.number}")


def test_review_says_when_an_approver_must_approve(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    pw.institution.spending_limit_fen = 50_000
    db.flush()
    client = as_user(pw.buyer)
    page = client.post("/procurement/review", data=list_form((pw.pork.id, "10"))).get_data(as_text=True)
    assert "limit of ¥500.00: an approver must approve" in page
    page = client.post("/procurement/review", data=list_form((pw.pork.id, "1"))).get_data(as_text=True)
    assert "limit of ¥500.00: it goes straight to the producers" in page


# --- purchase orders: list, detail, maker–checker -----------------------------------------------------------


def submitted(db: Session, pw: ProcurementWorld, client: FlaskClient, **institution: Any) -> PurchaseOrder:
    """Submit tomatoes and pork through the review page (after setting ``institution`` attributes)."""
    for name, value in institution.items():
        setattr(pw.institution, name, value)
    db.flush()
    response = client.post("/procurement/review", data=submit_form((pw.tomatoes.id, "60"), (pw.pork.id, "1")))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    return db.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id.desc())).first()


def test_detail_shows_lines_per_producer_and_their_delivery_pages(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    purchase = submitted(db, pw, as_user(pw.buyer))
    page = as_user(pw.finance).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    for order in purchase.supplier_orders:
        assert f'href="/procurement/deliveries/{order.number}"' in page
    assert pw.shule.name in page and pw.chengkou.name in page
    assert "Waiting for the producer to confirm" in page and "Not decided yet" in page


def test_other_institutions_and_outsiders_get_not_found(
    db: Session,
    pw: ProcurementWorld,
    as_user: Callable[[User], FlaskClient],
    make_user: Callable,
    make_institution: Callable,
) -> None:
    purchase = submitted(db, pw, as_user(pw.buyer), requires_approval=True)
    stranger = make_user()
    stranger.locale = "en"  # saved with the institution below
    make_institution(stranger, role=InstitutionRole.APPROVER)
    for path in ("", ".pdf", "/approve", "/cancel"):
        method = "post" if path.startswith("/") else "get"
        response = getattr(as_user(stranger), method)(f"/procurement/orders/{purchase.number}{path}")
        assert response.status_code == 404
    assert purchase.number not in as_user(stranger).get("/procurement/orders").get_data(as_text=True)


def test_approver_approves_and_the_producers_are_told(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    purchase = submitted(db, pw, as_user(pw.buyer), spending_limit_fen=10_000)
    assert purchase.status is PurchaseStatus.AWAITING_APPROVAL
    page = as_user(pw.buyer).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    assert "/approve" not in page and "Withdraw purchase order" in page
    assert as_user(pw.buyer).post(f"/procurement/orders/{purchase.number}/approve").status_code == 403
    page = as_user(pw.approver).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    assert "/approve" in page and "Withdraw purchase order" not in page
    response = as_user(pw.approver).post(
        f"/procurement/orders/{purchase.number}/approve", data={"note": "同意"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert purchase.status is PurchaseStatus.APPROVED and purchase.approver_id == pw.approver.id
    assert {o.status for o in purchase.supplier_orders} == {SupplierStatus.AWAITING_CONFIRMATION}
    told = db.scalar(select(func.count(Notification.id)).where(Notification.user_id == pw.chengkou_owner.id))
    assert told == 1


def test_rejection_needs_a_reason(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    purchase = submitted(db, pw, as_user(pw.buyer), requires_approval=True)
    client = as_user(pw.approver)
    assert (
        client.post(f"/procurement/orders/{purchase.number}/reject", data={"reason": " "}).status_code == 400
    )
    db.expire_all()
    assert purchase.status is PurchaseStatus.AWAITING_APPROVAL
    client.post(f"/procurement/orders/{purchase.number}/reject", data={"reason": "超出本月预算"})
    db.expire_all()
    assert purchase.status is PurchaseStatus.REJECTED and purchase.decision_note == "超出本月预算"
    page = as_user(pw.buyer).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    assert "超出本月预算" in page and "Not approved" in page


def test_buyer_withdraws_while_awaiting_approval_only(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    purchase = submitted(db, pw, as_user(pw.buyer), requires_approval=True)
    assert as_user(pw.approver).post(f"/procurement/orders/{purchase.number}/cancel").status_code == 403
    assert as_user(pw.buyer).post(f"/procurement/orders/{purchase.number}/cancel").status_code == 302
    db.expire_all()
    assert purchase.status is PurchaseStatus.CANCELLED
    assert {o.status for o in purchase.supplier_orders} == {SupplierStatus.CANCELLED}
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == pw.approver.id)).all()
    assert sorted(kinds) == ["procurement.approval_needed", "procurement.withdrawn"]
    assert as_user(pw.buyer).post(f"/procurement/orders/{purchase.number}/cancel").status_code == 409


def test_list_filters_by_state(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient]
) -> None:
    waiting = submitted(db, pw, as_user(pw.buyer), requires_approval=True)
    pw.institution.requires_approval = False
    data = submit_form((pw.pork.id, "1"), idempotency_key="second-key-" + "x" * 10)
    assert as_user(pw.buyer).post("/procurement/review", data=data).status_code == 302
    db.expire_all()
    approved = db.scalars(select(PurchaseOrder).where(PurchaseOrder.id != waiting.id)).one()
    client = as_user(pw.approver)
    page = client.get("/procurement/orders?status=awaiting_approval").get_data(as_text=True)
    assert waiting.number in page and approved.number not in page
    page = client.get("/procurement/orders").get_data(as_text=True)
    assert waiting.number in page and approved.number in page


def test_buyer_of_two_institutions_chooses_one(
    db: Session, pw: ProcurementWorld, as_user: Callable[[User], FlaskClient], make_institution: Callable
) -> None:
    other = make_institution(pw.buyer)
    page = as_user(pw.buyer).get(f"/procurement/?institution={other.id}").get_data(as_text=True)
    assert f"Ordering for {other.name}" in page
    assert as_user(pw.buyer).get("/procurement/?institution=999999").status_code == 403
