"""The institution confirms receipt line by line (receiving events, the ledger's signal) and the invoice."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.notifications.models import Notification
from procurement.ordering.models import LineDecision, SupplierOrder, SupplierStatus
from procurement.receiving.errors import (
    AlreadyReceived,
    InvoiceAlreadyAttached,
    NotInstitutionMember,
    NotReceiver,
    NotShippedYet,
    ReceiptIncomplete,
    ReceivedQuantityInvalid,
)
from procurement.receiving.invoices import (
    MAX_INVOICE_BYTES,
    PDF_MIMETYPE,
    InvoiceImageRefused,
    InvoiceMissing,
    InvoiceNotAccepted,
    InvoicePdfDamaged,
    InvoiceTooLarge,
    delete_invoice,
    invoice_path,
    store_invoice,
)
from procurement.receiving.services import ReceiptLineInput, attach_invoice, confirm_receipt
from procurement.signals import supplier_order_received
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    ship_supplier_order,
)
from tests.procurement.conftest import ProcurementWorld
from traceability.models import Batch, EventKind, TraceEvent
from traceability.recall.services import recall_batch


def shipped_order(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, *, tomatoes: int = 120
) -> SupplierOrder:
    """A Shule supplier order of tomatoes, confirmed in full and shipped from two batches (100 + the rest)."""
    order = submit({pw.tomatoes: tomatoes}).supplier_orders[0]
    line = order.lines[0]
    decide_lines(db, pw.shule_owner, order, [LineDecisionInput(line.id, LineDecision.CONFIRMED)])
    today = shanghai_date()
    first = make_batch(pw.tomatoes, quantity=100, best_before=today + timedelta(days=10))
    second = make_batch(pw.tomatoes, quantity=500, best_before=today + timedelta(days=20))
    allocations = [
        AllocationInput(line.id, first.id, 100),
        AllocationInput(line.id, second.id, tomatoes - 100),
    ]
    return ship_supplier_order(db, pw.shule_owner, order, allocations, "顺丰速运", "SF100200300")


def pdf_bytes(text: str = "增值税电子普通发票") -> bytes:
    """A small real PDF."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    """A small real PNG photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture()
def received_signals() -> Iterator[list[tuple[Any, Any]]]:
    """Every ``supplier_order_received`` sent during the test: ``(order, session)``."""
    sent: list[tuple[Any, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append((sender, kwargs.get("session")))

    supplier_order_received.connect(receiver)
    yield sent
    supplier_order_received.disconnect(receiver)


@pytest.fixture()
def shipped(db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable) -> SupplierOrder:
    """120 kg of tomatoes shipped to the institution (100 from one batch, 20 from another)."""
    return shipped_order(db, pw, submit, make_batch)


def test_receipt_records_quantities_notes_and_receiving_events(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, received_signals: list
) -> None:
    line = shipped.lines[0]
    confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(line.id, 110, " 10 公斤 压伤\n退回 ")])

    assert shipped.status is SupplierStatus.RECEIVED and shipped.received_at is not None
    assert shipped.received_by_id == pw.buyer.id
    assert (line.received_quantity, line.inspection_note) == (110, "10 公斤 压伤 退回")
    assert shipped.received_fen == 110 * line.unit_price_fen
    events = db.scalars(
        select(TraceEvent).where(TraceEvent.kind == EventKind.RECEIVING).order_by(TraceEvent.batch_id)
    ).all()
    first, second = (a.batch_id for a in line.allocations)
    assert [(e.batch_id, e.details["quantity"]) for e in events] == [(first, 100), (second, 10)]
    event = events[0]
    assert event.actor_id == pw.buyer.id and event.actor_name == pw.institution.name
    assert pw.institution.name in event.place and "临沂市" in event.place
    assert event.details["receiver"] == pw.institution.name and event.details["order"] == shipped.number
    assert event.details["condition"] == "10 公斤 压伤 退回"
    assert received_signals == [(shipped, db)]
    told = db.scalars(select(Notification).where(Notification.kind == "procurement.supplier_received")).all()
    assert [n.user_id for n in told] == [pw.shule_owner.id]


def test_receiving_events_continue_each_batch_chain(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    confirm_receipt(db, pw.approver, shipped, [ReceiptLineInput(shipped.lines[0].id, 120)])
    batch = db.get(Batch, shipped.lines[0].allocations[0].batch_id)
    assert batch is not None
    kinds = [event.kind for event in batch.events]
    assert kinds[-2:] == [EventKind.SHIPPING, EventKind.RECEIVING]
    assert batch.events[-1].prev_hash == batch.events[-2].hash
    assert batch.head_hash == batch.events[-1].hash


def test_receiving_twice_is_refused_and_the_signal_fires_once(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, received_signals: list
) -> None:
    lines = [ReceiptLineInput(shipped.lines[0].id, 120)]
    confirm_receipt(db, pw.buyer, shipped, lines)
    with pytest.raises(AlreadyReceived) as caught:
        confirm_receipt(db, pw.approver, shipped, lines)
    assert caught.value.status == 409
    assert len(received_signals) == 1
    assert (
        db.scalars(select(TraceEvent.id).where(TraceEvent.kind == EventKind.RECEIVING)).all().__len__() == 2
    )


@pytest.mark.parametrize("quantity", [121, -1])
def test_received_quantity_stays_within_the_confirmed_quantity(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, received_signals: list, quantity: int
) -> None:
    with pytest.raises(ReceivedQuantityInvalid) as caught:
        confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(shipped.lines[0].id, quantity)])
    assert "120" in str(caught.value)
    assert shipped.status is SupplierStatus.SHIPPED and received_signals == []


def test_every_line_with_goods_needs_a_quantity(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    with pytest.raises(ReceiptIncomplete):
        confirm_receipt(db, pw.buyer, shipped, [])
    with pytest.raises(ReceiptIncomplete):
        confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(shipped.lines[0].id + 999, 1)])


def test_only_buyers_and_approvers_of_the_institution_receive(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    lines = [ReceiptLineInput(shipped.lines[0].id, 120)]
    with pytest.raises(NotReceiver):
        confirm_receipt(db, pw.finance, shipped, lines)
    for outsider in (pw.shule_owner, pw.chengkou_owner):
        with pytest.raises(NotInstitutionMember):
            confirm_receipt(db, outsider, shipped, lines)
    assert shipped.status is SupplierStatus.SHIPPED


def test_nothing_is_received_before_shipping(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    order = submit({pw.tomatoes: 120}).supplier_orders[0]
    with pytest.raises(NotShippedYet):
        confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 120)])


def test_declined_lines_count_as_nothing_received(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable, make_batch: Callable
) -> None:
    melons = make_product(pw.shule, name="测试西瓜", price_fen=300, certified=True)
    order = submit({pw.tomatoes: 120, melons: 40}).supplier_orders[0]
    tomatoes, melon_line = order.lines
    decide_lines(
        db,
        pw.shule_owner,
        order,
        [
            LineDecisionInput(tomatoes.id, "adjusted", 90, "减产"),
            LineDecisionInput(melon_line.id, "declined", None, "无"),
        ],
    )
    batch = make_batch(pw.tomatoes, quantity=100)
    ship_supplier_order(
        db, pw.shule_owner, order, [AllocationInput(tomatoes.id, batch.id, 90)], "自送", "鲁Q12345"
    )
    confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(tomatoes.id, 90)])
    assert (tomatoes.received_quantity, melon_line.received_quantity) == (90, 0)
    assert order.received_fen == 90 * tomatoes.unit_price_fen


def test_the_invoice_can_come_with_the_receipt(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, tmp_path: Path
) -> None:
    data = pdf_bytes()
    stored = store_invoice(io.BytesIO(data), tmp_path)
    confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(shipped.lines[0].id, 120)], stored)
    assert (shipped.invoice_key, shipped.invoice_mimetype) == (stored.key, PDF_MIMETYPE)
    assert shipped.invoice_filename == f"invoice-{shipped.number}.pdf"
    assert invoice_path(tmp_path, stored).read_bytes() == data


def test_the_invoice_can_follow_once(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, tmp_path: Path
) -> None:
    confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(shipped.lines[0].id, 120)])
    photo = store_invoice(io.BytesIO(png_bytes()), tmp_path)
    attach_invoice(db, pw.finance, shipped, photo)
    assert shipped.invoice_mimetype == "image/webp"
    with pytest.raises(InvoiceAlreadyAttached):
        attach_invoice(db, pw.buyer, shipped, photo)
    with pytest.raises(NotInstitutionMember):
        attach_invoice(db, pw.shule_owner, shipped, photo)


# --- invoice files ----------------------------------------------------------------------------------


def test_a_pdf_invoice_is_kept_byte_for_byte_under_a_random_key(tmp_path: Path) -> None:
    data = pdf_bytes()
    stored = store_invoice(io.BytesIO(data), tmp_path)
    path = invoice_path(tmp_path, stored)
    assert path.parent == tmp_path / "invoices" and path.name == f"{stored.key}.pdf" and len(stored.key) == 32
    assert path.read_bytes() == data
    delete_invoice(tmp_path, stored)
    assert not path.exists()


def test_an_image_invoice_is_re_encoded_without_metadata(tmp_path: Path) -> None:
    stored = store_invoice(io.BytesIO(png_bytes()), tmp_path)
    with Image.open(invoice_path(tmp_path, stored)) as image:
        assert image.format == "WEBP" and image.size == (64, 48)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", InvoiceMissing),
        (b"MZ\x90\x00 this is a Windows program", InvoiceNotAccepted),
        (b"<html><script>alert(1)</script></html>", InvoiceNotAccepted),
        (b"GIF89a......", InvoiceNotAccepted),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", InvoicePdfDamaged),  # truncated: no xref, no %%EOF
        (b"%PDF-1.4\n%%EOF", InvoicePdfDamaged),
        (b"%PDF-x.y" + b"A" * 100, InvoiceNotAccepted),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, InvoiceImageRefused),  # a PNG header over garbage
    ],
)
def test_anything_but_a_sound_pdf_or_photo_is_refused_and_nothing_is_stored(
    tmp_path: Path, data: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store_invoice(io.BytesIO(data), tmp_path)
    assert not (tmp_path / "invoices").exists() or list((tmp_path / "invoices").iterdir()) == []


def test_an_invoice_over_ten_megabytes_is_refused(tmp_path: Path) -> None:
    data = pdf_bytes()
    padded = data[:-6] + b" " * (MAX_INVOICE_BYTES - len(data) + 1) + data[-6:]
    with pytest.raises(InvoiceTooLarge):
        store_invoice(io.BytesIO(padded), tmp_path)
    assert not (tmp_path / "invoices").exists()


def test_a_recall_reaches_the_institution_once_per_lot(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    first, second = (a.batch for a in shipped.lines[0].allocations)
    recall_batch(db, pw.shule_owner, first, "农残超标")
    notices = db.scalars(select(Notification).where(Notification.kind == "procurement.recall_notice")).all()
    institution = sorted([pw.buyer.id, pw.approver.id, pw.finance.id])
    assert sorted(n.user_id for n in notices) == sorted([*institution, pw.shule_owner.id])  # and the producer
    assert all(
        first.lot_code in n.body and "农残超标" in n.body and second.lot_code not in n.body for n in notices
    )
    links = {n.user_id: n.link for n in notices}
    assert links[pw.buyer.id] == f"/procurement/deliveries/{shipped.number}"
    assert links[pw.shule_owner.id] == f"/producer/procurement/{shipped.number}"
    recall_batch(db, pw.shule_owner, second, "同批次风险")
    later = db.scalars(select(Notification).where(Notification.kind == "procurement.recall_notice")).all()
    assert len(later) == 8  # the second lot is announced; the first is not announced again
    assert all(n.data["lots"] == [second.lot_code] for n in later if n not in notices)
