"""The institution's reserved-share report: the dashboard's figures to the fen, and each delivery behind
them with its invoice and payment; CSV, XLSX and PDF for the institution's members only."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.models import User
from procurement.institutions.models import AnnualPlan
from procurement.ordering.models import LineDecision, PurchaseOrder, SupplierStatus
from stats.ledger import record_supplier_order_received
from stats.progress import received_progress
from stats.reserved_report import report, reserved_share
from tests.conftest import make_certificate
from tests.procurement.conftest import ProcurementWorld

YEAR = 2025


def shanghai(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=SHANGHAI).astimezone(UTC)


def received(
    db: Session, submit: Callable[..., PurchaseOrder], pw: ProcurementWorld, at: datetime, **lines: int
) -> PurchaseOrder:
    """A purchase order of ``tomatoes``/``pork`` units, confirmed, received in full at ``at`` and entered
    in the ledger as a receipt is."""
    products = {"tomatoes": pw.tomatoes, "pork": pw.pork}
    purchase = submit({products[name]: quantity for name, quantity in lines.items()})
    for order in purchase.supplier_orders:
        for line in order.lines:
            line.decision = LineDecision.CONFIRMED
            line.confirmed_quantity = line.received_quantity = line.requested_quantity
        order.status = SupplierStatus.RECEIVED
        order.received_at = at
        db.flush()
        record_supplier_order_received(db, order)
    return purchase


def test_the_deliveries_add_up_to_the_dashboard_to_the_fen(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder]
) -> None:
    make_certificate(db, pw.tomatoes, valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31))
    # pork's certificate starts in June: the March pork is received but never counted
    make_certificate(db, pw.pork, valid_from=date(YEAR, 6, 1), valid_to=date(YEAR, 12, 31))
    db.add(AnnualPlan(institution=pw.institution, year=YEAR, canteen_budget_fen=10_000_000))
    first = received(db, submit, pw, shanghai(YEAR, 3, 5), tomatoes=100, pork=2)
    second = received(db, submit, pw, shanghai(YEAR, 7, 1), tomatoes=60, pork=3)
    received(db, submit, pw, shanghai(YEAR + 1, 1, 2), tomatoes=50)  # next year's
    first.supplier_orders[0].invoice_key = "a" * 32
    first.supplier_orders[0].transfer_reference = "ABC0001"

    share = reserved_share(db, pw.institution, YEAR)
    progress = received_progress(db, pw.institution, YEAR)
    assert share.progress.received_fen == progress.received_fen
    assert sum(d.counted_fen for d in share.deliveries) == progress.received_fen
    assert sum(d.uncounted_fen for d in share.deliveries) == progress.uncounted_fen == 2 * 9800
    assert [d.number for d in share.deliveries] == [
        o.number for p in (first, second) for o in sorted(p.supplier_orders, key=lambda o: o.id)
    ]
    assert progress.received_fen == 100 * 500 + 60 * 600 + 3 * 9800
    pork = next(line for line in share.products if line.name == pw.pork.name)
    assert (pork.quantity, pork.counted_fen, pork.sales_fen) == (5, 3 * 9800, 5 * 9800)

    exported = report(share, lambda number: f"https://example.org/invoice/{number}")
    (deliveries,) = [s for s in exported.sections if len(s.columns) == 9]
    invoice_cells = [row[7] for row in deliveries.rows]
    assert invoice_cells[0] == f"https://example.org/invoice/{share.deliveries[0].number}"
    assert deliveries.rows[0][8] == "ABC0001"


def test_members_download_it_as_csv_xlsx_and_pdf_and_nobody_else(
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
) -> None:
    make_certificate(db, pw.tomatoes, valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31))
    purchase = received(db, submit, pw, shanghai(YEAR, 4, 1), tomatoes=80)
    number = purchase.supplier_orders[0].number
    base = f"/institution/{pw.institution.id}/reserved-share/{YEAR}"

    finance = as_user(pw.finance)
    csv = finance.get(f"{base}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert number in csv.get_data(as_text=True) and "480.00" in csv.get_data(as_text=True)
    assert csv.headers["Cache-Control"] == "private, no-store"

    xlsx = finance.get(f"{base}.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    amounts = [Decimal(str(c)) for c in cells if isinstance(c, int | float) and not isinstance(c, bool)]
    assert number in cells and Decimal("480") in amounts

    pdf = as_user(pw.buyer).get(f"{base}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    assert as_user(make_user()).get(f"{base}.csv").status_code == 403
    assert as_user(pw.shule_owner).get(f"{base}.csv").status_code == 403
    assert as_user(None).get(f"{base}.csv").status_code in (302, 401)
    assert finance.get(f"/institution/999999/reserved-share/{YEAR}.csv").status_code == 404
    assert finance.get(f"/institution/{pw.institution.id}/reserved-share/1999.csv").status_code == 404
    assert finance.get(f"{base}.doc").status_code == 404

    page = finance.get(f"/institution/?year={YEAR}").get_data(as_text=True)
    assert f"{base}.pdf" in page and f"{base}.xlsx" in page
