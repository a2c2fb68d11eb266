"""Institution buyers' pages: the bulk order grid, the CSV upload and the review that submits the list.

The list travels in the pages' forms (see :mod:`procurement.ordering.forms`): nothing is stored until
the buyer submits the whole list on the review page. The purchase-order pages are in
:mod:`procurement.purchase_orders.views`, on the same blueprint.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from catalog.search_filters import RESULT_WINDOW
from core.access import user_passes
from core.clock import shanghai_date
from core.db import db_session, utcnow
from core.errors import DomainError
from core.i18n import format_fen
from core.idempotency import is_valid_key, new_key
from core.ids import query_id
from core.numbers import readable_number
from core.transactions import run_unit_of_work
from orders.addresses import PROVINCES, AddressInvalid
from procurement.institutions.models import Institution
from procurement.ordering import bulk
from procurement.ordering import queries as ordering
from procurement.ordering.bulk_csv import (
    ListFileError,
    ListLine,
    ParsedFile,
    read_upload,
)
from procurement.ordering.forms import (
    ListForm,
    ReviewForm,
    UploadForm,
    read_list,
    review_form,
)
from procurement.ordering.models import PurchaseOrder, PurchaseStatus
from procurement.ordering.services import (
    MAX_LEAD_DAYS,
    Delivery,
    needs_approval,
    spent_without_approval,
    submit_purchase_order,
)

bp = Blueprint("procurement", __name__, url_prefix="/procurement")

#: Only the buyers of an institution open the ordering pages.
buyer_required = user_passes(lambda user: bool(ordering.buyer_institutions(user)))
#: Default lead time proposed for delivery, in days.
DEFAULT_LEAD_DAYS = 3


def acting() -> Institution:
    """The institution the signed-in buyer orders for (``institution`` parameter, else their first)."""
    return ordering.acting_institution(current_user, query_id("institution"))


def _grid_rows(products: list[Any], lines: list[ListLine]) -> tuple[list[tuple[Any, str]], list[ListLine]]:
    """Pair each shown product with the quantity the list has for it; the other lines stay hidden."""
    rows, hidden = [], list(lines)
    for product in products:
        refs = {str(product.id), f"#{product.id}"}
        matched = [line for line in hidden if line.reference in refs]
        hidden = [line for line in hidden if line.reference not in refs]
        texts = [line.quantity for line in matched]
        value = str(sum(int(t) for t in texts)) if len(texts) > 1 and all(t.isdigit() for t in texts) else ""
        rows.append((product, value or (texts[0] if texts else "")))
    return rows, hidden


@bp.route("/", methods=["GET", "POST"])
@buyer_required
def grid() -> ResponseReturnValue:
    """Search orderable products and type quantities for many at once; the list goes on to the review."""
    institution = acting()
    form = ListForm()  # CSRF is checked app-wide before the view runs
    lines = read_list(request.form) if request.method == "POST" else []
    today = shanghai_date()
    query = ordering.GridQuery(
        q=(request.values.get("q") or "").strip()[:100] or None,
        county_id=query_id("county"),
        page=max(1, request.values.get("page", type=int) or 1),
    )
    featured = ordering.featured_county_ids(institution, today)
    page = ordering.grid_products(db_session, query, featured, today)
    rows, hidden = _grid_rows(page.items, lines)
    return render_template(
        "procurement/ordering/grid.html",
        form=form,
        institution=institution,
        institutions=[i for i in ordering.buyer_institutions(current_user) if i.is_verified],
        query=query,
        page=page,
        rows=rows,
        hidden=hidden,
        list_count=len(lines),
        featured=set(featured),
        counties=ordering.grid_counties(db_session, today),
        search_window=RESULT_WINDOW,
    )


@bp.route("/upload", methods=["GET", "POST"])
@buyer_required
def upload() -> ResponseReturnValue:
    """Upload a CSV list; a readable file goes straight to the review with its line-by-line report."""
    institution = acting()
    form = UploadForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            parsed = read_upload(form.file.data.stream)
            report = bulk.check_list(db_session, parsed.lines, shanghai_date())
        except ListFileError as exc:
            error, status = str(exc), exc.status
        else:
            report.notes.extend(_file_notes(parsed))
            review = review_form(formdata=None)
            _prefill(review, institution)
            return render_review(institution, review, report)
    elif form.is_submitted():
        status = 400
    return render_template(
        "procurement/ordering/upload.html", form=form, institution=institution, error=error
    ), status


def _file_notes(parsed: ParsedFile) -> list[str]:
    """What the reader noticed about the file as a whole, for the report's summary."""
    read = len(parsed.lines)
    notes = [ngettext("%(num)d line was read from the file.", "%(num)d lines were read from the file.", read)]
    if parsed.header_line is not None:
        notes.append(_("Line %(line)s was read as column headings.", line=parsed.header_line))
    if parsed.blank_lines:
        blank = parsed.blank_lines
        notes.append(ngettext("%(num)d blank line was ignored.", "%(num)d blank lines were ignored.", blank))
    if parsed.encoding == "gb18030":
        notes.append(_("The file was read as GBK/GB18030 text."))
    return notes


def _prefill(form: ReviewForm, institution: Institution) -> None:
    """A fresh idempotency key, a delivery date a few days ahead and the address of the last order."""
    form.idempotency_key.data = new_key()
    form.institution.data = str(institution.id)
    form.delivery_date.data = shanghai_date() + timedelta(days=DEFAULT_LEAD_DAYS)
    last = ordering.last_delivery(db_session, institution)
    if last is not None:
        form.recipient.data, form.mobile.data, form.city.data = last.recipient, last.mobile, last.city
        form.district.data, form.detail.data = last.district, last.address_detail
        form.province.data = next((p.code for p in PROVINCES if p.name == last.province), "")


def approval_notice(institution: Institution, total_fen: int) -> tuple[bool, str]:
    """Whether the list needs an approver, and the sentence that tells the buyer so before submitting.

    The limit is per buyer and calendar month (see :mod:`procurement.ordering.services`); submitting checks
    it again under a lock, so this is what the buyer can expect, not a promise.
    """
    limit = institution.spending_limit_fen
    spent = spent_without_approval(db_session, institution, current_user, utcnow())
    waits = needs_approval(institution, total_fen, spent)
    if institution.requires_approval:
        text = _("Every purchase order of %(name)s needs an approver's approval.", name=institution.name)
    elif waits and limit is not None:
        text = _(
            "Above your monthly limit of %(limit)s: an approver must approve before the producers see it "
            "(%(spent)s went through without approval this month).",
            limit=format_fen(limit),
            spent=format_fen(spent),
        )
    elif limit is not None:
        text = _(
            "Within your monthly limit of %(limit)s: it goes straight to the producers (%(left)s left this "
            "month).",
            limit=format_fen(limit),
            left=format_fen(limit - spent - total_fen),
        )
    else:
        text = _("No approval is needed: it goes straight to the producers.")
    return waits, text


def render_review(
    institution: Institution,
    form: ReviewForm,
    report: bulk.BulkReport,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The review page: the checked list, totals per producer, delivery, funding and the submit button."""
    waits, notice = approval_notice(institution, report.total_fen)
    today = shanghai_date()
    return render_template(
        "procurement/ordering/review.html",
        form=form,
        institution=institution,
        report=report,
        groups=report.groups(),
        waits=waits,
        approval_text=notice,
        error=error,
        min_date=(today + timedelta(days=1)).isoformat(),
        max_date=(today + timedelta(days=MAX_LEAD_DAYS)).isoformat(),
    ), status


def _submit(institution: Institution, form: ReviewForm, report: bulk.BulkReport) -> PurchaseOrder:
    """Submit the checked list from a valid form (retried when a concurrent writer got in the way)."""
    address = form.address()
    delivery = Delivery(address, form.delivery_date.data)
    buyer = current_user._get_current_object()  # a plain User for the service
    lines = report.order_lines()
    return run_unit_of_work(
        lambda: submit_purchase_order(
            db_session,
            buyer,
            institution,
            lines,
            delivery,
            form.funding_source.data or "",
            form.idempotency_key.data or "",
            note=form.note.data,
            now=utcnow(),
        ),
        db_session,
    )


def _show_error(form: ReviewForm, exc: DomainError) -> str | None:
    """Put an address error on its fields; return the message of any other error."""
    if isinstance(exc, AddressInvalid):
        for name, message in exc.errors.items():
            form[name].errors = [*form[name].errors, message]
        return None
    return str(exc)


@bp.route("/review", methods=["GET", "POST"])
@buyer_required
def review() -> ResponseReturnValue:
    """Re-check the list (fix or remove lines), then submit it with delivery and funding as one order."""
    if request.method == "GET":
        return redirect(url_for(".grid"))
    institution = acting()
    form = review_form()
    remove = request.form.get("remove", type=int)
    report = bulk.check_list(db_session, read_list(request.form, remove), shanghai_date())
    if "delivery_date" not in request.form:  # arriving from the grid
        _prefill(form, institution)
    if not is_valid_key(form.idempotency_key.data):
        form.idempotency_key.data = new_key()
    if request.form.get("action") != "submit" or remove is not None:
        return render_review(institution, form, report)
    if not form.validate_on_submit():
        return render_review(institution, form, report, status=400)
    if not report.is_ready:
        message = _("Fix or remove the marked lines first; nothing has been ordered yet.")
        return render_review(institution, form, report, message if report.lines else None, 400)
    try:
        purchase = _submit(institution, form, report)
    except DomainError as exc:
        db_session.rollback()
        return render_review(institution, form, report, _show_error(form, exc), exc.status)
    flash(_("Purchase order %(number)s submitted.", number=readable_number(purchase.number)), "success")
    if purchase.status is PurchaseStatus.AWAITING_APPROVAL:
        flash(_("It now waits for an approver; the producers see it once it is approved."), "info")
    return redirect(url_for("purchase_orders.order_detail", number=purchase.number))
