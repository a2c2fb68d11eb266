"""Consumption-assistance dashboards: public results, county, producer; their CSV and XLSX exports.

Every figure comes from :mod:`stats.summaries` (daily roll-ups), so a page, its export and the
statistics API agree to the fen. Filters come from the query string; bad values are a 400 with a message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import producer_member_required, producers_of
from catalog.producers.models import Producer
from catalog.public import CATALOG
from core import http_cache, versions
from core.access import can_review, ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.models import Region, RegionLevel
from core.regions import counties, get_region
from procurement.institutions.members import is_member_of
from procurement.institutions.models import Institution, InstitutionRole
from procurement.institutions.plans import plan_years
from stats import exports, report_pdf, reserved_report, summaries
from stats.dashboards import (
    CHANNEL_LABELS,
    CHANNEL_RULES,
    Filters,
    InvalidFilters,
    Row,
)
from stats.forms import StatsFilterForm
from stats.progress import overview
from stats.targets.warnings import first_help_sell_products

bp = Blueprint("stats", __name__, url_prefix="/stats")
#: The institution members' start page: progress toward the reserved share (under ``/institution``).
progress_bp = Blueprint("progress", __name__, url_prefix="/institution")

#: How many help-sell products the institution dashboard features.
HELP_SELL_SHOWN = 8
#: How many of its largest products the county dashboard lists (its download lists every product).
PRODUCTS_SHOWN = 50

#: County reviewers and administrators (the county itself is checked per request).
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)

FORMATS = "<any(csv, xlsx):fmt>"
#: The kind of data (core.versions) of the sales ledger and its roll-ups.
SALES = "sales"


def _form() -> StatsFilterForm:
    """The filter form read from the query string."""
    return StatsFilterForm(request.args, shanghai_date())


def _channel_name(form: StatsFilterForm) -> str | None:
    """The chosen channel's name, or None for all channels."""
    data = form.channel.data
    return str(CHANNEL_LABELS[next(c for c in CHANNEL_LABELS if c.value == data)]) if data else None


def _chart(rows: list[Row], *, horizontal: bool = False) -> dict[str, Any]:
    """Chart data for stats.js: one stacked bar per row, counted and ordinary sales in fen."""
    return {
        "horizontal": horizontal,
        "labels": [row.name for row in rows],
        "series": [
            {"label": _("Counted toward assistance"), "fen": [r.figures.counted_fen for r in rows]},
            {"label": _("Ordinary sales"), "fen": [r.figures.ordinary_fen for r in rows]},
        ],
    }


def _download(report: exports.Report, fmt: str, stem: str) -> Response:
    """The report as a CSV or XLSX attachment named ``<stem>.<fmt>``."""
    if fmt == "xlsx":
        body: str | bytes = exports.to_xlsx(report)
        mimetype = exports.XLSX_MIMETYPE
    else:
        body, mimetype = exports.to_csv(report), exports.CSV_MIMETYPE
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    return Response(body, mimetype=mimetype, headers=headers)


def _stem(prefix: str, filters: Filters) -> str:
    """An ASCII file name: what, year and months, e.g. ``stats-653122-2026-01-12``."""
    start, end = filters.start, filters.end
    if start is None or end is None:
        return prefix
    return f"{prefix}-{start.year}-{start.month:02d}-{end.month:02d}"


# --- public results ---------------------------------------------------------------------------------------


def _public() -> tuple[StatsFilterForm, summaries.PublicDashboard]:
    """The validated filters and the public dashboard they select."""
    form = _form()
    filters = form.to_filters()
    return form, summaries.public_dashboard(db_session, filters, counties(db_session), shanghai_date())


def _public_version() -> tuple[object, ...]:
    """What the public results show, read at once: the ledger's and the catalog's versions, and the day."""
    return (*versions.stamp(db_session, SALES, CATALOG), shanghai_date())


@bp.get("/")
@http_cache.conditional(_public_version)
def public() -> ResponseReturnValue:
    """消费帮扶成效: totals by county this period and all time, the monthly trend, the catalog's figures."""
    form, dashboard = _public()
    county_rows = [Row(line.county.code, line.county.name, line.period) for line in dashboard.counties]
    charts = {"monthly": _chart(dashboard.monthly), "counties": _chart(county_rows)}
    return render_template(
        "stats/public.html",
        form=form,
        d=dashboard,
        charts=charts,
        args=form.args(),
        channel_rules=[(CHANNEL_LABELS[c], rule) for c, rule in CHANNEL_RULES.items()],
    )


@bp.get(f"/export.{FORMATS}")
def public_export(fmt: str) -> ResponseReturnValue:
    """The public results for the chosen filters as CSV or XLSX."""
    form, dashboard = _public()
    return _download(
        exports.public_report(dashboard, _channel_name(form)), fmt, _stem("stats", dashboard.filters)
    )


# --- county dashboard --------------------------------------------------------------------------------------


def _scope() -> list[Region]:
    """The counties the signed-in user may see (every county for admins)."""
    return counties(db_session) if current_user.is_admin else list(current_user.reviewer_counties)


def _county(
    code: str, products: int | None = None
) -> tuple[Region, StatsFilterForm, summaries.CountyDashboard]:
    """The county (404 unknown, 403 not the user's), the filters and its dashboard (``products``: only that
    many of the largest products)."""
    region = get_region(db_session, code) if code.isdigit() and len(code) == 6 else None
    if region is None or region.level != RegionLevel.COUNTY:
        abort(404)
    ensure(can_review(current_user, region))
    form = _form()
    filters = form.to_filters(county_ids=(region.id,))
    dashboard = summaries.county_dashboard(db_session, region, filters, shanghai_date(), products=products)
    return region, form, dashboard


@bp.get("/county/")
@reviewer_or_admin
def my_county() -> ResponseReturnValue:
    """Open the dashboard of the user's first county."""
    scope = _scope()
    if not scope:
        abort(404)
    filters: dict[str, Any] = request.args.to_dict()  # the query string's values, passed on as they are
    return redirect(url_for("stats.county", code=scope[0].code, **filters))


@bp.get("/county/<code>")
@reviewer_or_admin
def county(code: str) -> ResponseReturnValue:
    """A county's sales by month, product (the largest), buyer kind, channel and partner; targets; idle
    producers."""
    region, form, dashboard = _county(code, PRODUCTS_SHOWN)
    charts = {
        "monthly": _chart(dashboard.monthly),
        "products": _chart(dashboard.by_product[:10], horizontal=True),
        "buyers": _chart(dashboard.by_buyer_kind, horizontal=True),
        "channels": _chart(dashboard.by_channel),
        "partners": _chart(dashboard.by_partner),
    }
    return render_template(
        "stats/county.html",
        form=form,
        d=dashboard,
        charts=charts,
        args=form.args(),
        scope=_scope(),
        channel_name=_channel_name(form),
        printed_on=shanghai_date(),
        benefit=summaries.benefit_next_to_sales(db_session, region, shanghai_date().year, dashboard),
    )


@bp.get(f"/county/<code>/export.{FORMATS}")
@reviewer_or_admin
def county_export(code: str, fmt: str) -> ResponseReturnValue:
    """The county dashboard for the chosen filters as CSV or XLSX."""
    region, form, dashboard = _county(code)
    report = exports.county_report(dashboard, _channel_name(form))
    return _download(report, fmt, _stem(f"stats-{region.code}", dashboard.filters))


# --- producer dashboard ------------------------------------------------------------------------------------


def _producer() -> tuple[Producer, StatsFilterForm, summaries.ProducerDashboard]:
    """The member's producer (``?producer=<id>``, default the first; 403 not theirs), filters, dashboard."""
    mine = producers_of(current_user)
    wanted = request.args.get("producer", "")
    if wanted and not wanted.isdigit():
        raise InvalidFilters(_("The producer must be given by its number."))
    found = next((p for p in mine if str(p.id) == wanted), None) if wanted else mine[0]
    ensure(found is not None)
    assert found is not None  # noqa: S101 (ensure aborted otherwise)
    form = _form()
    filters = form.to_filters(producer_ids=(found.id,))
    return found, form, summaries.producer_dashboard(db_session, found, filters)


@bp.get("/producer")
@producer_member_required
def producer() -> ResponseReturnValue:
    """A producer's own sales and counted sales by month and channel."""
    found, form, dashboard = _producer()
    charts = {"monthly": _chart(dashboard.monthly), "channels": _chart(dashboard.by_channel)}
    args = form.args() | ({"producer": str(found.id)} if len(producers_of(current_user)) > 1 else {})
    return render_template(
        "stats/producer.html",
        form=form,
        d=dashboard,
        charts=charts,
        args=args,
        mine=producers_of(current_user),
    )


@bp.get(f"/producer/export.{FORMATS}")
@producer_member_required
def producer_export(fmt: str) -> ResponseReturnValue:
    """The producer dashboard for the chosen filters as CSV or XLSX."""
    found, form, dashboard = _producer()
    report = exports.producer_report(dashboard, _channel_name(form))
    return _download(report, fmt, _stem(f"stats-producer-{found.id}", dashboard.filters))


@progress_bp.get("/")
@user_passes(lambda user: bool(getattr(user, "institution_memberships", [])))
def dashboard() -> ResponseReturnValue:
    """Member's start page: per institution its state, plan and progress, open orders, quotes."""
    years = plan_years()
    year = request.args.get("year", type=int)
    if year not in years:
        year = shanghai_date().year
    return render_template(
        "stats/institution_dashboard.html",
        overviews=overview(db_session, current_user, year),
        year=year,
        years=years,
        # featured to institutions: products that need buyers most (滞销预警)
        help_sell=first_help_sell_products(db_session, shanghai_date(), HELP_SELL_SHOWN),
        buyer_of_any=any(m.role is InstitutionRole.BUYER for m in current_user.institution_memberships),
    )


@progress_bp.get("/<id:institution_id>/reserved-share/<year>.<any(csv, xlsx, pdf):fmt>")
@login_required
def reserved_share_report(institution_id: int, year: str, fmt: str) -> ResponseReturnValue:
    """The institution's reserved-share report for ``year`` (CSV, XLSX or printable PDF), for its members:
    the dashboard's figures and the deliveries, invoices and payments behind them."""
    institution = get_or_404(Institution, institution_id)
    ensure(is_member_of(current_user, institution))
    if not (year.isascii() and year.isdigit() and int(year) in plan_years()):
        abort(404)
    share = reserved_report.reserved_share(db_session, institution, int(year))
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    report = reserved_report.report(share, lambda number: base + url_for("delivery.invoice", number=number))
    stem = f"reserved-share-{institution.id}-{year}"
    if fmt == "pdf":
        response = Response(report_pdf.to_pdf(report), mimetype=report_pdf.PDF_MIMETYPE)
        response.headers["Content-Disposition"] = f'inline; filename="{stem}.pdf"'
    else:
        response = _download(report, fmt, stem)
    response.headers["Cache-Control"] = "private, no-store"
    return response
