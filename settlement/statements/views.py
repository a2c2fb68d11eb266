"""Statement pages: a producer's members see and download their statements; administrators see everyone's.

A producer's statements are for its members and administrators (403 for other signed-in users, 404 for an
unknown producer or a month that has neither a closed statement nor is the running one).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import admin_required, ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.pagination import paginate
from settlement.payees.services import in_force
from settlement.payouts.services import awaiting_approval
from settlement.statements import services as statements
from settlement.statements.exports import statement_report
from settlement.statements.models import Statement
from settlement.statements.pages import render_statement
from stats import exports, report_pdf

bp = Blueprint("statements", __name__, url_prefix="/settlement")


def _producer(producer_id: int) -> Producer:
    """A producer whose statements the user may read: its members and administrators (404, 403)."""
    producer = get_or_404(Producer, producer_id)
    ensure(bool(current_user.is_admin) or is_member(current_user, producer))
    return producer


def _statement(producer: Producer, month_text: str) -> Statement:
    """The closed statement of ``month_text`` (YYYY-MM), or the running month's live one; 404 otherwise."""
    month = statements.parse_month(month_text)
    if month is None:
        abort(404)
    closed = statements.statement_of(db_session, producer.id, month)
    if closed is not None:
        return closed
    if month != statements.running_month():
        abort(404)
    return statements.live_statement(db_session, producer, statements.fee_basis_points(current_app.config))


@bp.get("/producers/<id:producer_id>/statements")
@login_required
def index(producer_id: int) -> ResponseReturnValue:
    """The producer's statements, newest first, with the running month on top."""
    producer = _producer(producer_id)
    live = statements.live_statement(db_session, producer, statements.fee_basis_points(current_app.config))
    return render_template(
        "settlement/statements/index.html",
        producer=producer,
        live=live,
        live_position=statements.position(db_session, live),
        closed=statements.statements_of(db_session, producer.id),
        month_label=statements.month_label,
        payee=in_force(db_session, producer.id),
    )


@bp.get("/producers/<id:producer_id>/statements/<month>")
@login_required
def detail(producer_id: int, month: str) -> ResponseReturnValue:
    """One statement: the period's money, what is held, payable, paid and the balance."""
    producer = _producer(producer_id)
    return render_statement(producer, _statement(producer, month))


@bp.get("/producers/<id:producer_id>/statements/<month>/export.<any(csv, xlsx, pdf):fmt>")
@login_required
def export(producer_id: int, month: str, fmt: str) -> ResponseReturnValue:
    """The statement as a printable PDF, an XLSX workbook or a CSV file (UTF-8 with BOM, for Excel)."""
    producer = _producer(producer_id)
    statement = _statement(producer, month)
    report = statement_report(
        db_session,
        producer,
        statement,
        statements.position(db_session, statement),
        in_force(db_session, producer.id),
    )
    if fmt == "pdf":
        body: str | bytes = report_pdf.to_pdf(report)
        mimetype = report_pdf.PDF_MIMETYPE
    elif fmt == "xlsx":
        body, mimetype = exports.to_xlsx(report), exports.XLSX_MIMETYPE
    else:
        body, mimetype = exports.to_csv(report), exports.CSV_MIMETYPE
    name = f"statement-{producer.id}-{statements.month_label(statement.month)}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    return Response(body, mimetype=mimetype, headers=headers)


def _month_filter() -> date:
    """The month the administrators' list shows: ``?month=YYYY-MM``, else the last one that has ended."""
    chosen = statements.parse_month(request.args.get("month"))
    if chosen is not None:
        return chosen
    running = statements.running_month(shanghai_date())
    return date(running.year - (running.month == 1), (running.month - 2) % 12 + 1, 1)


@bp.get("/statements/")
@admin_required
def admin_index() -> ResponseReturnValue:
    """Administrators: payouts awaiting approval, and every producer's statement of a month (paged)."""
    month = _month_filter()
    query = select(Statement).where(Statement.month == month).order_by(Statement.net_fen.desc(), Statement.id)
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template(
        "settlement/statements/admin.html",
        month=statements.month_label(month),
        page=page,
        proposals=awaiting_approval(db_session, request.args.get("proposals", type=int) or 1),
        month_label=statements.month_label,
    )
