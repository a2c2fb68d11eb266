"""The producer's procurement pages: queue, answering lines, shipping from batches, packing list, payment."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from procurement.ordering.models import (
    LineDecision,
    SupplierAllocation,
    SupplierOrder,
    SupplierStatus,
)
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.supplying.services import LineDecisionInput, decide_lines
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import shipped_order
from traceability.models import Batch, BatchStatus

Client = Callable[[Any], FlaskClient]


def new_order(pw: ProcurementWorld, submit: Callable, quantity: int = 120) -> SupplierOrder:
    """A Shule supplier order of tomatoes awaiting the producer's answer."""
    return submit({pw.tomatoes: quantity}).supplier_orders[0]


def confirmed_order(db: Session, pw: ProcurementWorld, submit: Callable) -> SupplierOrder:
    """A Shule supplier order of 120 kg tomatoes confirmed in full."""
    order = new_order(pw, submit)
    decide_lines(db, pw.shule_owner, order, [LineDecisionInput(order.lines[0].id, LineDecision.CONFIRMED)])
    return order


def batch(make_batch: Callable, pw: ProcurementWorld, quantity: int, days: int) -> Batch:
    """A tomato batch best before ``days`` from today."""
    return make_batch(pw.tomatoes, quantity=quantity, best_before=shanghai_date() + timedelta(days=days))


def test_the_queue_shows_the_members_orders_by_tab(
    db: Session, pw: ProcurementWorld, submit: Callable, as_user: Client
) -> None:
    waiting = new_order(pw, submit)
    confirmed = confirmed_order(db, pw, submit)
    page = as_user(pw.shule_owner).get("/producer/procurement/").get_data(as_text=True)
    assert waiting.number in page and confirmed.number not in page and pw.institution.name in page
    page = as_user(pw.shule_owner).get("/producer/procurement/?status=to_ship").get_data(as_text=True)
    assert confirmed.number in page and waiting.number not in page
    other = as_user(pw.chengkou_owner).get("/producer/procurement/").get_data(as_text=True)
    assert waiting.number not in other


def test_only_members_of_the_producer_open_an_order(
    db: Session, pw: ProcurementWorld, submit: Callable, as_user: Client
) -> None:
    order = new_order(pw, submit)
    url = f"/producer/procurement/{order.number}"
    page = as_user(pw.shule_owner).get(url)
    assert page.status_code == 200 and "测试西红柿" in page.get_data(as_text=True)
    assert as_user(pw.chengkou_owner).get(url).status_code == 403
    assert as_user(pw.buyer).get(url).status_code == 403
    assert as_user(pw.shule_owner).get("/producer/procurement/S000000000000").status_code == 404


def test_an_order_not_yet_approved_does_not_exist_for_the_producer(
    pw: ProcurementWorld, submit: Callable, as_user: Client
) -> None:
    pw.institution.requires_approval = True
    order = new_order(pw, submit)
    assert as_user(pw.shule_owner).get(f"/producer/procurement/{order.number}").status_code == 404


def test_answering_every_line_in_one_form(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable, as_user: Client
) -> None:
    melons = make_product(pw.shule, name="测试西瓜", price_fen=300, certified=True)
    order = submit({pw.tomatoes: 120, melons: 40}).supplier_orders[0]
    tomatoes, melon_line = order.lines
    form = {
        "lines-0-line_id": tomatoes.id,
        "lines-0-decision": "adjusted",
        "lines-0-quantity": "100",
        "lines-0-reason": "减产",
        "lines-1-line_id": melon_line.id,
        "lines-1-decision": "declined",
        "lines-1-reason": "已过季",
    }
    response = as_user(pw.shule_owner).post(f"/producer/procurement/{order.number}/decisions", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{order.number}/ship")
    db.expire_all()
    assert order.status is SupplierStatus.CONFIRMED
    assert [(line.decision, line.confirmed_quantity) for line in order.lines] == [
        (LineDecision.ADJUSTED, 100),
        (LineDecision.DECLINED, 0),
    ]


def test_an_adjustment_without_reason_is_shown_again_and_nothing_changes(
    db: Session, pw: ProcurementWorld, submit: Callable, as_user: Client
) -> None:
    order = new_order(pw, submit)
    form = {"lines-0-line_id": order.lines[0].id, "lines-0-decision": "adjusted", "lines-0-quantity": "60"}
    response = as_user(pw.shule_owner).post(f"/producer/procurement/{order.number}/decisions", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "give the reason" in page or "原因" in page
    assert 'value="60"' in page  # what was typed is kept
    db.expire_all()
    assert order.status is SupplierStatus.AWAITING_CONFIRMATION and order.lines[0].confirmed_quantity is None


def test_the_ship_page_proposes_the_earliest_batches(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = confirmed_order(db, pw, submit)
    later, sooner = batch(make_batch, pw, 500, 30), batch(make_batch, pw, 100, 5)
    page = as_user(pw.shule_owner).get(f"/producer/procurement/{order.number}/ship").get_data(as_text=True)
    assert page.index(sooner.lot_code) < page.index(later.lot_code)
    assert re.search(f'name="allocations-0-batch_id"[^>]* value="{sooner.id}"', page)
    assert re.search('name="allocations-0-quantity"[^>]* value="100"', page)
    assert re.search(f'name="allocations-1-batch_id"[^>]* value="{later.id}"', page)
    assert re.search('name="allocations-1-quantity"[^>]* value="20"', page)


def ship_form(order: SupplierOrder, rows: list[tuple[Batch, int]], **extra: str) -> dict[str, Any]:
    """The shipping form's fields for ``rows`` of the order's first line."""
    form: dict[str, Any] = {"carrier": "顺丰速运", "tracking_number": "SF998877", **extra}
    for index, (item, quantity) in enumerate(rows):
        form[f"allocations-{index}-line_id"] = order.lines[0].id
        form[f"allocations-{index}-batch_id"] = item.id
        form[f"allocations-{index}-quantity"] = str(quantity)
    return form


def test_shipping_from_the_chosen_batches(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = confirmed_order(db, pw, submit)
    first, second = batch(make_batch, pw, 100, 5), batch(make_batch, pw, 500, 30)
    form = ship_form(order, [(first, 40), (second, 80)])
    response = as_user(pw.shule_owner).post(f"/producer/procurement/{order.number}/ship", data=form)
    assert response.status_code == 302
    db.expire_all()
    assert order.status is SupplierStatus.SHIPPED and order.tracking_number == "SF998877"
    assert (first.quantity_available, second.quantity_available) == (60, 420)


def test_allocations_not_adding_up_ship_nothing(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = confirmed_order(db, pw, submit)
    first = batch(make_batch, pw, 500, 5)
    response = as_user(pw.shule_owner).post(
        f"/producer/procurement/{order.number}/ship", data=ship_form(order, [(first, 100)])
    )
    assert response.status_code == 400
    assert 'value="100"' in response.get_data(as_text=True)
    db.expire_all()
    assert order.status is SupplierStatus.CONFIRMED and first.quantity_available == 500
    assert db.scalar(select(func.count(SupplierAllocation.id))) == 0


def test_a_recalled_batch_is_refused_on_the_page(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = confirmed_order(db, pw, submit)
    recalled = batch(make_batch, pw, 500, 5)
    recalled.status = BatchStatus.RECALLED
    db.flush()
    response = as_user(pw.shule_owner).post(
        f"/producer/procurement/{order.number}/ship", data=ship_form(order, [(recalled, 120)])
    )
    assert response.status_code == 409 and recalled.lot_code in response.get_data(as_text=True)
    db.expire_all()
    assert order.status is SupplierStatus.CONFIRMED


def test_the_packing_list_shows_lots_and_trace_links(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    page = (
        as_user(pw.shule_owner)
        .get(f"/producer/procurement/{order.number}/packing-list")
        .get_data(as_text=True)
    )
    for allocation in order.lines[0].allocations:
        assert allocation.batch.lot_code in page
        assert f"http://trace.test/t/{allocation.batch.lot_code}" in page
    assert "北京路 1 号机关食堂" in page and "王食堂" in page


def test_the_packing_list_proposes_lots_before_shipping_and_waits_for_confirmation(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    waiting = new_order(pw, submit)
    client = as_user(pw.shule_owner)
    assert client.get(f"/producer/procurement/{waiting.number}/packing-list").status_code == 409
    order = confirmed_order(db, pw, submit)
    proposed = batch(make_batch, pw, 500, 5)
    page = client.get(f"/producer/procurement/{order.number}/packing-list").get_data(as_text=True)
    assert proposed.lot_code in page


def test_the_packing_list_pdf(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client, tmp_path: Any
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    response = as_user(pw.shule_owner).get(f"/producer/procurement/{order.number}/packing-list.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and b"STSong-Light" in response.data  # Chinese text
    assert (
        as_user(pw.chengkou_owner).get(f"/producer/procurement/{order.number}/packing-list.pdf").status_code
        == 403
    )
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "packing.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert order.number in text and "13912345678" in text  # Latin runs are set in Helvetica: searchable
    for allocation in order.lines[0].allocations:
        assert (
            allocation.batch.lot_code in text and f"http://trace.test/t/{allocation.batch.lot_code}" in text
        )


def test_the_producer_confirms_the_payment(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 120)])
    client = as_user(pw.shule_owner)
    assert client.post(f"/producer/procurement/{order.number}/payment").status_code == 409  # nothing recorded
    order.invoice_key, order.invoice_mimetype, order.transfer_reference = "0" * 32, "application/pdf", "HX1"
    db.flush()
    assert "HX1" in client.get(f"/producer/procurement/{order.number}").get_data(as_text=True)
    response = client.post(f"/producer/procurement/{order.number}/payment")
    assert response.status_code == 302
    db.expire_all()
    assert order.status is SupplierStatus.SETTLED
