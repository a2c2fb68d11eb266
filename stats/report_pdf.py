"""Any :class:`stats.exports.Report` as a printable A4 PDF: title, facts, then each section as a table.

Chinese text uses the CJK font every PDF reader carries (``core.pdf``), so no font file is
embedded. Money cells are formatted from integer fen; long tables run
over pages with their heading repeated.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.i18n import format_fen
from core.pdf import CJK_FONT, register_cjk_font
from stats.exports import INT, MONEY, Report, Section

PDF_MIMETYPE = "application/pdf"
FONT = CJK_FONT
#: The printable width of the page (A4 less 18 mm margins each side).
WIDTH = A4[0] - 36 * mm


_BASE = ParagraphStyle("report-base", fontName=FONT, fontSize=9.5, leading=13)
_STYLES = {
    "title": ParagraphStyle("report-title", parent=_BASE, fontSize=15, leading=20, spaceAfter=6),
    "h2": ParagraphStyle("report-h2", parent=_BASE, fontSize=11.5, leading=16, spaceBefore=10, spaceAfter=3),
    "label": ParagraphStyle("report-label", parent=_BASE, fontSize=8.5, textColor=colors.grey),
    "cell": ParagraphStyle("report-cell", parent=_BASE, fontSize=8.5, leading=11),
    "num": ParagraphStyle("report-num", parent=_BASE, fontSize=8.5, leading=11, alignment=2),
    "small": ParagraphStyle("report-small", parent=_BASE, fontSize=8, textColor=colors.grey),
}


def _p(text: Any, style: str) -> Paragraph:
    """A paragraph of plain text (escaped: nothing in a cell is markup)."""
    return Paragraph(escape("" if text is None else str(text)), _STYLES[style])


def _cell(value: Any, kind: str) -> Paragraph:
    """One table cell: money from fen with the currency symbol, numbers right-aligned, text as is."""
    if kind == MONEY:
        return _p(format_fen(int(value)), "num")
    if kind == INT:
        return _p(value, "num")
    return _p(value, "cell")


def _table(section: Section) -> Table:
    """A section as a table whose heading row repeats on every page it runs over."""
    width = WIDTH / len(section.columns)
    rows = [[_p(heading, "label") for heading, _kind in section.columns]]
    rows += [
        [_cell(value, kind) for value, (_heading, kind) in zip(cells, section.columns, strict=True)]
        for cells in section.rows
    ]
    table = Table(rows, colWidths=[width] * len(section.columns), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def to_pdf(report: Report) -> bytes:
    """The report as an A4 PDF document."""
    register_cjk_font()
    story: list[Any] = [_p(report.title, "title")]
    facts = Table(
        [[_p(label, "label"), _p(value, "cell")] for label, value in report.facts],
        colWidths=[45 * mm, WIDTH - 45 * mm],
    )
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(facts)
    for section in report.sections:
        story.append(_p(section.title, "h2"))
        story.append(_table(section) if section.rows else _p(_("None."), "small"))
    story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=report.title,
    )
    document.build(story)
    return buffer.getvalue()
