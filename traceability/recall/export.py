"""The recall list as a sortable spreadsheet (CSV and XLSX): every event of the batch's genealogy and every
order and purchase order holding units of the batch or of anything made from it, with the buyer's contact.

FSMA 204 asks a food business to hand over such a list as an electronic sortable spreadsheet within 24 hours;
county offices here read it the same way. One table, one row per record, a fixed Chinese header, each column
one kind of value (dates as dates, quantities as numbers), rows in a stable order (kind, lot, date, number)
that a spreadsheet can re-sort by any column. The orders come from the layers that own them, through
:data:`traceability.signals.collect_recall_orders` (traceability cannot import them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from core.i18n import in_language_of
from traceability.models import Batch
from traceability.processing.services import descendants
from traceability.recall.services import RecallRow, recall_rows
from traceability.signals import AffectedOrder, collect_recall_orders

HEADER = (
    "类型", "方向", "批次号", "产品", "数量", "单位", "环节或状态", "日期", "发货日期", "地点",
    "发出方", "接收方", "联系人", "联系电话", "收货地址", "电子邮箱", "单号", "所属采购单", "单据",
)  # fmt: skip
KINDS = {"event": "追溯环节", "order": "消费者订单", "purchase_order": "采购订单"}
DIRECTIONS = {"backward": "上游(原料)", "this": "本批次", "forward": "下游(制成品)"}
EVENT_KINDS = {
    "commissioning": "采收/屠宰/生产", "inspection": "检验", "processing": "加工", "packing": "包装",
    "shipping": "发运", "receiving": "收货", "selling": "销售", "recall": "召回", "correction": "更正",
    "observation": "合作方上报",
}  # fmt: skip
_KIND_ORDER = {"event": 0, "order": 1, "purchase_order": 2}
#: Columns written as numbers and as dates (XLSX cells of those types; CSV as plain digits / ISO dates).
_NUMBER_COLUMNS = frozenset({"数量"})
_DATE_COLUMNS = frozenset({"日期", "发货日期"})

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportRow:
    """One line of the recall list; the fields follow :data:`HEADER`."""

    kind: str
    direction: str
    lot: str
    product: str
    quantity: int
    unit: str
    step: str
    day: date
    shipped_on: date | None
    place: str
    sender: str
    receiver: str
    recipient: str
    phone: str
    address: str
    email: str
    number: str
    purchase_order: str
    documents: str
    #: Position within its lot (an event's sequence), so equal dates keep their order.
    seq: int = 0

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Kind, lot, date, number, position: the same data always sort the same."""
        return (_KIND_ORDER.get(self.kind, 9), self.lot, self.day, self.number, self.seq)

    def cells(self) -> tuple[Any, ...]:
        """The values under :data:`HEADER`, in order."""
        return (
            KINDS.get(self.kind, self.kind), DIRECTIONS.get(self.direction, self.direction), self.lot,
            self.product, self.quantity, self.unit, self.step, self.day, self.shipped_on, self.place,
            self.sender, self.receiver, self.recipient, self.phone, self.address, self.email, self.number,
            self.purchase_order, self.documents,
        )  # fmt: skip


def export_rows(session: Session, batch: Batch) -> list[ExportRow]:
    """Every row of ``batch``'s recall list, sorted (see :attr:`ExportRow.sort_key`). Read-only.

    Orders are asked for the batch and every batch made from it: those are what its recall reaches. Step,
    status and unit names are in the marketplace's language, like the header.
    """
    with in_language_of(None):
        rows = [_event_row(row) for row in recall_rows(session, batch)]
        made = descendants(session, batch)
        reached = {batch.lot_code: "this", **{b.lot_code: "forward" for b in made}}
        ids = sorted([batch.id, *(b.id for b in made)])
        for _receiver, found in collect_recall_orders.send(session, batch_ids=ids):
            orders: Sequence[AffectedOrder] = found or []
            rows += [_order_row(order, reached.get(order["lot"], "forward")) for order in orders]
    return sorted(rows, key=lambda row: row.sort_key)


def _event_row(row: RecallRow) -> ExportRow:
    return ExportRow(
        kind="event",
        direction=row.direction,
        lot=row.lot,
        product=row.product,
        quantity=row.quantity,
        unit=row.unit,
        step=EVENT_KINDS.get(row.event, row.event),
        day=row.occurred_on,
        shipped_on=None,
        place=row.place,
        sender=row.sender,
        receiver=row.receiver,
        recipient="",
        phone="",
        address="",
        email="",
        number="",
        purchase_order="",
        documents=row.documents,
        seq=row.seq,
    )


def _order_row(order: AffectedOrder, direction: str) -> ExportRow:
    return ExportRow(
        kind=order["kind"],
        direction=direction,
        lot=order["lot"],
        product=order["product"],
        quantity=order["quantity"],
        unit=order["unit"],
        step=order["status"],
        day=order["placed_on"],
        shipped_on=order["shipped_on"],
        place="",
        sender=order["seller"],
        receiver=order["buyer"],
        recipient=order["recipient"],
        phone=order["phone"],
        address=order["address"],
        email=order["email"],
        number=order["number"],
        purchase_order=order["purchase_order"],
        documents="",
    )


def _text(value: Any) -> str:
    """A text cell spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """The list as CSV, UTF-8 with a BOM (so Excel reads it), dates ISO 8601."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [
                str(value) if name in _NUMBER_COLUMNS
                else (value.isoformat() if value else "") if name in _DATE_COLUMNS
                else _text(value)
                for name, value in zip(HEADER, row.cells(), strict=True)
            ]
        )  # fmt: skip
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows: Sequence[ExportRow], title: str) -> bytes:
    """The list as one XLSX sheet: bold frozen header with filters (sort and filter by any column), dates as
    dates, quantities as numbers, text never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for column, name in enumerate(HEADER, start=1):
        cell = sheet.cell(row=1, column=column, value=name)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 24 if name in ("收货地址", "单据") else 14
    for number, row in enumerate(rows, start=2):
        for column, (name, value) in enumerate(zip(HEADER, row.cells(), strict=True), start=1):
            cell = sheet.cell(row=number, column=column)
            if name in _NUMBER_COLUMNS:
                cell.value = int(value)
            elif name in _DATE_COLUMNS:
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = "" if value is None else str(value)
                cell.data_type = "s"  # "=…" stays text
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADER))}{max(len(rows) + 1, 1)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
