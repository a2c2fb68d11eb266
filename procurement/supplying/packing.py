"""The packing list of a supplier order: what to pack from which lots, as a page and as an A4 PDF.

Before shipping the lots are the proposal (earliest best-before first); from shipping on they are the
allocations the stock was drawn from. Each lot carries its public trace URL (and, in the PDF, its QR code),
so the institution can check on arrival that the labels on the packages match.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from catalog.labels import label
from core.clock import shanghai_date
from core.errors import InvalidTransition
from core.i18n import format_local
from core.pdf import CJK_FONT, register_cjk_font
from procurement.ordering.models import SupplierLine, SupplierOrder, SupplierStatus
from procurement.supplying.services import lines_to_ship, propose_allocation
from traceability.links import trace_url
from traceability.models import Batch

FONT = CJK_FONT
LATIN_FONT = "Helvetica"
_LATIN_RUN = re.compile(r"([\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)")
SHIPPED_STATES = frozenset({SupplierStatus.SHIPPED, SupplierStatus.RECEIVED, SupplierStatus.SETTLED})


class PackingListNotReady(InvalidTransition):
    """There is nothing to pack before the producer has confirmed the order (or after declining it)."""

    message = _l("The packing list is ready once the order has been confirmed.")


@dataclass(frozen=True)
class PackingLot:
    """Units of a line from one lot, with the lot's public trace URL."""

    batch: Batch
    quantity: int
    url: str


@dataclass(frozen=True)
class PackingItem:
    """One line of the packing list."""

    line: SupplierLine
    quantity: int
    lots: list[PackingLot]


@dataclass(frozen=True)
class PackingList:
    """What to pack for a supplier order; ``proposed`` while the lots are only the proposal."""

    order: SupplierOrder
    items: list[PackingItem]
    proposed: bool


def packing_list(session: Session, order: SupplierOrder, base_url: str) -> PackingList:
    """The lines to pack with their lots: the allocations once shipped, else the proposal.

    Raises :class:`PackingListNotReady` before confirmation and for declined orders.
    """
    if order.status in SHIPPED_STATES:
        items = [
            PackingItem(
                line,
                line.confirmed_quantity or 0,
                [PackingLot(a.batch, a.quantity, trace_url(base_url, a.batch)) for a in line.allocations],
            )
            for line in lines_to_ship(order)
        ]
        return PackingList(order, items, proposed=False)
    if order.status is not SupplierStatus.CONFIRMED:
        raise PackingListNotReady()
    proposal = propose_allocation(session, order)
    items = [
        PackingItem(
            line,
            line.confirmed_quantity or 0,
            [PackingLot(b, q, trace_url(base_url, b)) for b, q in proposal.get(line.id, []) if q > 0],
        )
        for line in lines_to_ship(order)
    ]
    return PackingList(order, items, proposed=True)


def _qr(url: str, size: float = 20 * mm) -> Drawing:
    widget = QrCodeWidget(url, barBorder=2)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


def _styles() -> dict[str, ParagraphStyle]:
    font = register_cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=10.5, textColor=colors.HexColor("#444")
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=3),
    }


def _markup(text: str) -> str:
    """Escape ``text`` for a Paragraph, setting Latin runs (numbers, codes, URLs) in Helvetica.

    The CID font is not embedded, so its text cannot be searched or copied in every viewer; Latin runs
    in a standard font can.
    """
    parts = []
    for run in _LATIN_RUN.split(text):
        if _LATIN_RUN.fullmatch(run) and run.strip():
            parts.append(f'<font name="{LATIN_FONT}">{escape(run)}</font>')
        else:
            parts.append(escape(run))
    return "".join(parts).replace("\n", "<br/>")


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(str(text)), style)


def _header(plist: PackingList, s: dict[str, ParagraphStyle]) -> list[object]:
    order = plist.order
    purchase = order.purchase_order
    facts = [
        (_("Supplier order"), order.number),
        (_("Purchase order"), purchase.number),
        (_("Producer"), order.producer.name),
        (_("Institution"), purchase.institution.name),
        (_("Deliver by"), purchase.delivery_date.isoformat()),
        (
            _("Ship to"),
            f"{purchase.recipient} {purchase.mobile}\n{purchase.province} {purchase.city} "
            f"{purchase.district} {purchase.address_detail}",
        ),
    ]
    if order.carrier:
        facts.append((_("Carrier"), f"{order.carrier} {order.tracking_number or ''}"))
    if order.shipped_at:
        facts.append((_("Shipped"), format_local(order.shipped_at)))
    table = Table([[_p(k, s["small"]), _p(v, s["base"])] for k, v in facts], colWidths=[32 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return [_p(_("Packing list"), s["title"]), table]


def _lines_table(plist: PackingList, s: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[object]] = [
        [_p("√", s["small"]), _p(_("Product"), s["small"]), _p(_("Quantity"), s["small"]),
         _p(_("Lot and trace page"), s["small"]), ""],
    ]  # fmt: skip
    for item in plist.items:
        unit = label("unit", item.line.unit)
        lots: list[PackingLot | None] = list(item.lots) or [None]
        for index, lot in enumerate(lots):
            first = index == 0
            lot_text = (
                f"{lot.batch.lot_code} × {lot.quantity} {unit}\n"
                f"{_('Best before %(date)s', date=lot.batch.best_before.isoformat())}\n{lot.url}"
                if lot is not None
                else _("No lot in stock")
            )
            rows.append(
                [
                    _p("□" if first else "", s["base"]),
                    _p(item.line.product_name if first else "", s["base"]),
                    _p(f"{item.quantity} {unit}" if first else "", s["base"]),
                    _p(lot_text, s["small"]),
                    _qr(lot.url) if lot is not None else "",
                ]
            )
    table = Table(rows, colWidths=[8 * mm, 44 * mm, 24 * mm, None, 22 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("SPAN", (3, 0), (4, 0)),
            ]
        )
    )
    return table


def packing_pdf(plist: PackingList) -> bytes:
    """The packing list as an A4 PDF (Chinese text in the built-in CID font STSong-Light)."""
    s = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{_('Packing list')} {plist.order.number}",
        author=plist.order.producer.name,
    )
    story: list[object] = [*_header(plist, s), Spacer(1, 4 * mm)]
    if plist.proposed:
        story.append(_p(_("Proposed lots: the lots are fixed when the order is shipped."), s["small"]))
        story.append(Spacer(1, 2 * mm))
    story.append(_lines_table(plist, s))
    story.append(Spacer(1, 8 * mm))
    story.append(
        _p(_("Packed by: ____________    Received by: ____________    Date: ____________"), s["base"])
    )
    story.append(Spacer(1, 2 * mm))
    story.append(_p(_("Printed %(date)s", date=shanghai_date().isoformat()), s["small"]))
    doc.build(story)
    return buffer.getvalue()
