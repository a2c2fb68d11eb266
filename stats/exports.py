"""Dashboard exports: the same figures as the page, as CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl).

A dashboard becomes a :class:`Report` (title, facts about the period, sections of rows); the CSV writer puts
the sections one under the other, the XLSX writer gives each a sheet. Money stays integer fen until the cell
is written, as an exact two-decimal yuan value (Decimal, never float arithmetic).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from catalog.labels import label as catalog_label
from stats.dashboards import Figures, Filters, Row
from stats.summaries import CountyDashboard, ProducerDashboard, PublicDashboard

TEXT, INT, MONEY = "text", "int", "money"

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Section:
    """One table of a report: a title, ``(heading, kind)`` columns and rows of cells (money in fen)."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Report:
    """A whole export: its title, ``(label, value)`` facts (period, filters) and its sections."""

    title: str
    facts: list[tuple[str, str]]
    sections: list[Section]


def yuan_text(amount_fen: int) -> str:
    """Fen as plain yuan text for a spreadsheet, e.g. -12345 → ``-123.45`` (no symbol, no separators)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(int(amount_fen)), 100)
    return f"{sign}{yuan}.{fen:02d}"


def _figure_columns(quantity: bool = False) -> list[tuple[str, str]]:
    """The columns every breakdown ends with; the quantity only where every row is one product, so
    kilograms, jin and pieces are never added together."""
    money = [
        (_("Counted toward assistance (yuan)"), MONEY),
        (_("Ordinary sales (yuan)"), MONEY),
        (_("All sales (yuan)"), MONEY),
    ]
    return [*money, (_("Quantity"), INT)] if quantity else money


def _figure_cells(figures: Figures, quantity: bool = False) -> list[Any]:
    """The cells of :func:`_figure_columns` for ``figures``."""
    money = [figures.counted_fen, figures.ordinary_fen, figures.sales_fen]
    return [*money, figures.quantity] if quantity else money


#: An extra column of a breakdown: heading, kind and how to get the cell from the row.
Extra = tuple[str, str, Callable[[Row], Any]]


def _breakdown(
    title: str, heading: str, rows: list[Row], extra: Sequence[Extra] = (), *, quantity: bool = False
) -> Section:
    """A section of one row per group; ``extra`` columns come between the name and the figures; the
    quantity column only for rows of one product each (``quantity``)."""
    columns = [(heading, TEXT)] + [(h, kind) for h, kind, _get in extra] + _figure_columns(quantity)
    section = Section(title, columns)
    for row in rows:
        cells = [row.name] + [get(row) for _h, _kind, get in extra] + _figure_cells(row.figures, quantity)
        section.rows.append(cells)
    return section


def _period_facts(filters: Filters, channel_name: str | None) -> list[tuple[str, str]]:
    """Facts naming the period (Asia/Shanghai dates) and channel of an export."""
    start = filters.start.isoformat() if filters.start else "—"
    end = filters.end.isoformat() if filters.end else "—"
    return [
        (_("Period (Beijing time)"), f"{start} – {end}"),
        (_("Channel"), channel_name or _("All channels")),
    ]


def _summary(rows: list[tuple[str, Figures]]) -> Section:
    """The totals section."""
    section = Section(_("Totals"), [(_("Figure"), TEXT), *_figure_columns()])
    section.rows = [[name, *_figure_cells(figures)] for name, figures in rows]
    return section


def public_report(dashboard: PublicDashboard, channel_name: str | None) -> Report:
    """The public results page as a report."""
    d = dashboard
    counts = Section(_("Catalog"), [(_("Figure"), TEXT), (_("Count"), INT)])
    counts.rows = [
        [_("Certified products (valid today)"), d.catalog.certified_products],
        [_("Approved producers"), d.catalog.approved_producers],
        [_("Lifted-out-of-poverty households brought along"), d.catalog.lifted_households],
        [_("Monitored households brought along"), d.catalog.monitored_households],
    ]
    by_county = Section(
        _("By county"),
        [
            (_("County"), TEXT),
            (_("Counted in period (yuan)"), MONEY),
            (_("All sales in period (yuan)"), MONEY),
            (_("Counted, all time (yuan)"), MONEY),
            (_("All sales, all time (yuan)"), MONEY),
        ],
    )
    for line in d.counties:
        by_county.rows.append(
            [
                line.county.name,
                line.period.counted_fen,
                line.period.sales_fen,
                line.all_time.counted_fen,
                line.all_time.sales_fen,
            ]
        )
    return Report(
        title=_("Consumption assistance results"),
        facts=_period_facts(d.filters, channel_name),
        sections=[
            _summary([(_("Chosen period"), d.period), (_("All time"), d.all_time)]),
            counts,
            by_county,
            _breakdown(_("By month"), _("Month"), d.monthly),
        ],
    )


def county_report(dashboard: CountyDashboard, channel_name: str | None) -> Report:
    """The county dashboard as a report (the monthly report reviewers print or file)."""
    d = dashboard
    targets = Section(
        _("Targets"),
        [
            (_("Target"), TEXT),
            (_("Years"), TEXT),
            (_("Target (yuan)"), MONEY),
            (_("Counted (yuan)"), MONEY),
            (_("Progress to target"), TEXT),
        ],
    )
    for line in d.targets:
        t = line.target
        targets.rows.append(
            [
                line.name,
                f"{t.start_year}–{t.end_year}",
                line.target_fen,
                line.counted_fen,
                line.percent_text,
            ]
        )
    idle = Section(
        _("Producers without sales from %(start)s to %(end)s", start=d.quarter[0], end=d.quarter[1]),
        [(_("Producer"), TEXT)],
    )
    idle.rows = [[p.name] for p in d.idle_producers]
    paired: list[Extra] = [(_("Paired partner"), TEXT, lambda r: _("yes") if r.extra["paired"] else _("no"))]
    producer: list[Extra] = [
        (_("Producer"), TEXT, lambda r: r.extra["producer"]),
        (_("Unit"), TEXT, lambda r: catalog_label("unit", r.extra["unit"])),
    ]
    return Report(
        title=_("Consumption assistance in %(county)s", county=d.county.name),
        facts=[(_("County"), f"{d.county.name} ({d.county.code})"), *_period_facts(d.filters, channel_name)],
        sections=[
            _summary([(_("Chosen period"), d.totals)]),
            _breakdown(_("By month"), _("Month"), d.monthly),
            _breakdown(_("By product"), _("Product"), d.by_product, producer, quantity=True),
            _breakdown(_("By buyer kind"), _("Buyer kind"), d.by_buyer_kind),
            _breakdown(_("By channel"), _("Channel"), d.by_channel),
            _breakdown(_("By partner"), _("Buyers"), d.by_partner),
            _breakdown(_("Top institutions"), _("Institution"), d.top_institutions, paired),
            targets,
            idle,
        ],
    )


def producer_report(dashboard: ProducerDashboard, channel_name: str | None) -> Report:
    """The producer dashboard as a report."""
    d = dashboard
    return Report(
        title=_("Sales of %(producer)s", producer=d.producer.name),
        facts=_period_facts(d.filters, channel_name),
        sections=[
            _summary([(_("Chosen period"), d.totals)]),
            _breakdown(_("By month"), _("Month"), d.monthly),
            _breakdown(_("By channel"), _("Channel"), d.by_channel),
        ],
    )


# --- writers ---------------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    """A text cell spreadsheet programs show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: Report) -> str:
    """The report as CSV text starting with a BOM (so Excel reads UTF-8); sections one under the other."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(report.title)])
    for label, value in report.facts:
        writer.writerow([_csv_text(label), _csv_text(value)])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([_csv_text(section.title)])
        writer.writerow([_csv_text(heading) for heading, _kind in section.columns])
        for cells in section.rows:
            writer.writerow(
                [
                    yuan_text(cell) if kind == MONEY else str(cell) if kind == INT else _csv_text(cell)
                    for cell, (_heading, kind) in zip(cells, section.columns, strict=True)
                ]
            )
    return "\ufeff" + buffer.getvalue()


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (at most 31 characters, none of ``[]:*?/\\``)."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        name, number = f"{base} {number}", number + 1
    taken.add(name.lower())
    return name


def _put(sheet: Any, row: int, column: int, value: Any, kind: str) -> None:
    """Write one cell: money as exact yuan with two decimals, text never as a formula."""
    cell = sheet.cell(row=row, column=column)
    if kind == MONEY:
        cell.value = Decimal(int(value)).scaleb(-2)
        cell.number_format = "#,##0.00"
    elif kind == INT:
        cell.value = int(value)
    else:
        cell.value = "" if value is None else str(value)
        cell.data_type = "s"  # a name starting with "=" stays text


def to_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook: a first sheet with the title and facts, then a sheet per section."""
    workbook = Workbook()
    taken: set[str] = set()
    cover = workbook.active
    cover.title = _sheet_title(_("Report"), taken)
    _put(cover, 1, 1, report.title, TEXT)
    cover.cell(row=1, column=1).font = Font(bold=True, size=14)
    for number, (label, value) in enumerate(report.facts, start=3):
        _put(cover, number, 1, label, TEXT)
        _put(cover, number, 2, value, TEXT)
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 40
    for section in report.sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, taken))
        for column, (heading, _kind) in enumerate(section.columns, start=1):
            _put(sheet, 1, column, heading, TEXT)
            sheet.cell(row=1, column=column).font = Font(bold=True)
            letter = sheet.cell(row=1, column=column).column_letter
            sheet.column_dimensions[letter].width = 30 if column == 1 else 20
        for number, cells in enumerate(section.rows, start=2):
            for column, (cell, (_heading, kind)) in enumerate(zip(cells, section.columns, strict=True), 1):
                _put(sheet, number, column, cell, kind)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
