"""The printable purchase-order document: an A4 PDF with Chinese text (reportlab's built-in CID font).

``STSong-Light`` is one of the Adobe CJK fonts every PDF reader carries, so no font file is embedded and the
document stays small. Dates are Asia/Shanghai; money is formatted from integer fen.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from catalog.labels import label
from core.clock import SHANGHAI
from core.db import utcnow
from core.i18n import format_fen
from core.numbers import readable_number
from core.pdf import CJK_FONT, register_cjk_font
from procurement.ordering.funding import funding_source_label
from procurement.ordering.labels import purchase_status_label, supplier_status_label
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierOrder

FONT = CJK_FONT


_BASE = ParagraphStyle("po-base", fontName=FONT, fontSize=9.5, leading=13)
_STYLES = {
    "title": ParagraphStyle("po-title", parent=_BASE, fontSize=17, leading=22, alignment=1, spaceAfter=2),
    "subtitle": ParagraphStyle("po-subtitle", parent=_BASE, fontSize=10, alignment=1, textColor=colors.grey),
    "h2": ParagraphStyle("po-h2", parent=_BASE, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3),
    "body": _BASE,
    "small": ParagraphStyle("po-small", parent=_BASE, fontSize=8, leading=11, textColor=colors.grey),
    "cell": ParagraphStyle("po-cell", parent=_BASE, fontSize=9, leading=12),
    "num": ParagraphStyle("po-num", parent=_BASE, fontSize=9, leading=12, alignment=2),
    "total": ParagraphStyle("po-total", parent=_BASE, fontSize=13, leading=17),
}


def _p(text: Any, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped) in one of the document's styles."""
    return Paragraph(escape(str(text)), _STYLES[style])


def local_time(moment: datetime | None) -> str:
    """A UTC timestamp as an Asia/Shanghai date and time (empty for none)."""
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _facts(rows: list[tuple[str, str]], value_style: str = "body") -> Table:
    """A two-column table of labels and values."""
    table = Table(
        [[_p(name, "small"), _p(value, value_style)] for name, value in rows],
        colWidths=[32 * mm, 142 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _supplier_table(order: SupplierOrder) -> Table:
    """One producer's lines: product, unit, quantity, unit price, total, then the subtotal."""
    head = [_("Product"), _("Unit"), _("Quantity"), _("Unit price"), _("Amount")]
    rows: list[list[Any]] = [[_p(text, "cell") for text in head]]
    for line in order.lines:
        rows.append(
            [
                _p(line.product_name, "cell"),
                _p(label("unit", line.unit), "cell"),
                _p(f"{line.requested_quantity:,}", "num"),
                _p(format_fen(line.unit_price_fen), "num"),
                _p(format_fen(line.requested_quantity * line.unit_price_fen), "num"),
            ]
        )
    rows.append(["", "", "", _p(_("Subtotal"), "num"), _p(format_fen(order.requested_fen), "num")])
    table = Table(rows, colWidths=[64 * mm, 26 * mm, 24 * mm, 28 * mm, 32 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.lightgrey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.94, 0.94, 0.94)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _approval_rows(purchase: PurchaseOrder) -> list[tuple[str, str]]:
    """State of the approval: who decided when, with their note."""
    rows = [(_("State"), purchase_status_label(purchase.status))]
    if purchase.approver is not None:
        rows.append((_("Decided by"), purchase.approver.display_name))
    if purchase.decided_at is not None:
        rows.append((_("Decided at"), local_time(purchase.decided_at)))
    if purchase.decision_note:
        rows.append((_("Note"), purchase.decision_note))
    if purchase.status is PurchaseStatus.APPROVED and purchase.approver is None:
        rows.append((_("Approval"), _("Within the spending limit: no approval needed.")))
    return rows


def _story(purchase: PurchaseOrder) -> list[Any]:
    """The document's flowables, top to bottom."""
    institution = purchase.institution
    parts = (purchase.province, purchase.city, purchase.district, purchase.address_detail)
    address = " ".join(part for part in parts if part)
    story: list[Any] = [
        _p(_("Purchase order"), "title"),
        _p(_("Consumption assistance procurement"), "subtitle"),
        Spacer(1, 5 * mm),
        _facts(
            [
                (_("Number"), readable_number(purchase.number)),
                (_("Institution"), institution.name),
                *([(_("Credit code"), institution.credit_code)] if institution.credit_code else []),
                (_("Buyer"), purchase.buyer.display_name),
                (_("Submitted"), local_time(purchase.submitted_at)),
                (_("Funding source"), funding_source_label(purchase.funding_source)),
            ]
        ),
        _p(_("Delivery"), "h2"),
        _facts(
            [
                (_("Delivery date"), purchase.delivery_date.isoformat()),
                (_("Recipient"), f"{purchase.recipient}  {purchase.mobile}"),
                (_("Address"), address),
                *([(_("Note"), purchase.note)] if purchase.note else []),
            ]
        ),
    ]
    for order in purchase.supplier_orders:
        county = order.producer.county.name if order.producer.county is not None else ""
        heading = f"{order.producer.name}（{county}）" if county else order.producer.name
        story.append(
            KeepTogether(
                [
                    _p(heading, "h2"),
                    _p(
                        f"{_('Supplier order %(number)s', number=readable_number(order.number))}    "
                        f"{supplier_status_label(order.status)}",
                        "small",
                    ),
                    Spacer(1, 1.5 * mm),
                    _supplier_table(order),
                ]
            )
        )
    story += [
        Spacer(1, 4 * mm),
        _facts([(_("Grand total"), format_fen(purchase.total_fen))], "total"),
        _p(_("Approval"), "h2"),
        _facts(_approval_rows(purchase)),
        Spacer(1, 12 * mm),
        _signatures(),
    ]
    return story


def _signatures() -> Table:
    """Blank lines for the signatures a printed purchase order collects (with gaps between them)."""
    names = [_("Buyer (signature)"), _("Approver (signature)"), _("Producer (confirmation)")]
    head = [_p(names[0], "small"), "", _p(names[1], "small"), "", _p(names[2], "small")]
    table = Table([head, [""] * 5], colWidths=[52 * mm, 9 * mm] * 2 + [52 * mm], rowHeights=[6 * mm, 14 * mm])
    lines = [("LINEBELOW", (col, 1), (col, 1), 0.5, colors.black) for col in (0, 2, 4)]
    table.setStyle(TableStyle([*lines, ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def purchase_order_pdf(purchase: PurchaseOrder) -> bytes:
    """Render ``purchase`` as an A4 PDF (labels in the request's language) and return its bytes."""
    register_cjk_font()
    buffer = io.BytesIO()
    printed = local_time(utcnow())
    number = readable_number(purchase.number)
    footer = f"{_('Purchase order %(number)s', number=number)}    {_('Printed %(when)s', when=printed)}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Purchase order')} {purchase.number}",
        author=purchase.institution.name,
        invariant=1,
    )
    doc.build(_story(purchase), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
