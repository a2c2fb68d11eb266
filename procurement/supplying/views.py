"""Producers' pages for purchase orders: confirm, adjust or decline lines, ship with batches, packing list.

Members of a supplier order's producer see it; other signed-in users get 403. Orders not yet approved by
the institution (or cancelled before approval) do not exist for the producer: 404.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from catalog.access import producer_member_required
from catalog.search_filters import MAX_INT
from core.access import ensure
from core.clock import shanghai_date
from core.db import db_session
from core.errors import DomainError
from core.transactions import run_unit_of_work
from procurement.ordering.cancellation import cancel_supplier_order
from procurement.ordering.forms import SupplierCancelForm
from procurement.ordering.labels import supplier_status_label
from procurement.ordering.lifecycle import Action, actors_of, may
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving import balance
from procurement.receiving import services as receiving
from procurement.supplying import services as supplying
from procurement.supplying.forms import ActionForm, DecisionForm, ShipForm
from procurement.supplying.packing import packing_list, packing_pdf
from procurement.supplying.queue import (
    SupplierTab,
    find_supplier_order,
    hidden_from_producer,
    queue_counts,
    supplier_queue,
)
from traceability.links import trace_path
from traceability.models import Batch

bp = Blueprint("supplier", __name__, url_prefix="/producer/procurement")

TAB_LABELS = {
    SupplierTab.TO_CONFIRM: _l("To confirm"),
    SupplierTab.TO_SHIP: _l("To ship"),
    SupplierTab.SHIPPED: _l("Shipped"),
    SupplierTab.DONE: _l("Done"),
}


def load_order(number: str) -> SupplierOrder:
    """The supplier order numbered ``number``: 404 if unknown or not sent yet, 403 unless a member acts."""
    order = find_supplier_order(db_session, number)
    if order is None or hidden_from_producer(order):
        abort(404)
    ensure(supplying.is_supplier_member(current_user, order))
    return order


def _user() -> Any:
    """The signed-in user as a plain model object (for services)."""
    return current_user._get_current_object()


def lines_with_lots(order: SupplierOrder) -> list[tuple[Any, list[tuple[Batch, int, str]]]]:
    """Each line with the lots it shipped from: ``(batch, quantity, trace page path)``."""
    return [
        (line, [(a.batch, a.quantity, trace_path(a.batch)) for a in line.allocations]) for line in order.lines
    ]


def render_detail(
    order: SupplierOrder,
    status: int = 200,
    error: str | None = None,
    form: DecisionForm | None = None,
    cancel_form: SupplierCancelForm | None = None,
) -> ResponseReturnValue:
    """The producer's page of one supplier order; ``form`` replaces the blank decision form after failing"""
    decision_form = form or DecisionForm.for_order(order)
    context = {
        "order": order,
        "purchase": order.purchase_order,
        "lines": lines_with_lots(order),
        "decision_form": decision_form,
        "entries": decision_form.entries_by_line(),
        "action_form": ActionForm(formdata=None),
        "may_decide": order.status is SupplierStatus.AWAITING_CONFIRMATION,
        "may_confirm_payment": order.status is SupplierStatus.RECEIVED
        and (bool(order.transfer_reference) or order.payable_fen == 0),
        "may_confirm_balance": balance.balance_to_confirm(order),
        "may_cancel": may(actors_of(current_user, order), order, Action.CANCEL, shanghai_date()),
        "cancel_form": cancel_form or SupplierCancelForm(formdata=None),
        "error": error,
    }
    return render_template("procurement/supplying/detail.html", **context), status


@bp.get("/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The queue of the member's producers' supplier orders, by tab: to confirm, to ship, shipped, done."""
    value = request.args.get("status", SupplierTab.TO_CONFIRM.value)
    tab = SupplierTab(value) if value in {t.value for t in SupplierTab} else SupplierTab.TO_CONFIRM
    page = supplier_queue(db_session, current_user, tab, request.args.get("page", type=int) or 1)
    counts = queue_counts(db_session, current_user)
    return render_template(
        "procurement/supplying/index.html", page=page, tab=tab, tabs=TAB_LABELS, counts=counts
    )


@bp.get("/<number>")
@login_required
def detail(number: str) -> ResponseReturnValue:
    """One supplier order: delivery, lines and their decisions, what to do next."""
    return render_detail(load_order(number))


@bp.post("/<number>/decisions")
@login_required
def decide(number: str) -> ResponseReturnValue:
    """Confirm, adjust or decline every line at once."""
    order = load_order(number)
    form = DecisionForm()
    if not form.validate_on_submit() or not form.lines.entries:
        return render_detail(order, 400, form=form)
    user = _user()
    try:
        run_unit_of_work(lambda: supplying.decide_lines(db_session, user, order, form.answers()), db_session)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc), form=form)
    if order.status is SupplierStatus.DECLINED:
        flash(_("Order %(number)s declined; the buyer has been told.", number=order.number), "info")
        return redirect(url_for(".detail", number=order.number))
    flash(_("Order %(number)s confirmed; the buyer has been told.", number=order.number), "success")
    return redirect(url_for(".ship_form", number=order.number))


def _batch(batch_id: object) -> Batch | None:
    """The batch a form row names, or None for a missing or impossible id (a tampered form)."""
    if not isinstance(batch_id, int) or not 0 < batch_id <= MAX_INT:
        return None
    return db_session.get(Batch, batch_id)


def render_ship(
    order: SupplierOrder, form: ShipForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The shipping page: batches proposed per line (editable), carrier and tracking number."""
    if order.status is not SupplierStatus.CONFIRMED:  # e.g. shipped meanwhile (a second click)
        flash(error or supplier_status_label(order.status), "info")
        return redirect(url_for(".detail", number=order.number))
    form = form or ShipForm.proposed(supplying.propose_allocation(db_session, order))
    rows = form.entries_by_line()
    lines = [
        (line, [(_batch(entry.batch_id.data), entry) for entry in rows.get(line.id, [])])
        for line in supplying.lines_to_ship(order)
    ]
    context = {"order": order, "purchase": order.purchase_order, "form": form, "lines": lines, "error": error}
    return render_template("procurement/supplying/ship.html", **context), status


@bp.get("/<number>/ship")
@login_required
def ship_form(number: str) -> ResponseReturnValue:
    """Choose the batches for each line (earliest best-before first is proposed)."""
    return render_ship(load_order(number))


@bp.post("/<number>/ship")
@login_required
def ship(number: str) -> ResponseReturnValue:
    """Ship a confirmed order: stock drawn from the batches, a shipping step on each, the buyer told."""
    order = load_order(number)
    form = ShipForm()
    if not form.validate_on_submit() or not form.allocations.entries:
        return render_ship(order, form, 400, _("Please correct the marked fields."))
    user = _user()
    try:
        run_unit_of_work(
            lambda: supplying.ship_supplier_order(
                db_session, user, order, form.allocation_inputs(), form.carrier.data or "",
                form.tracking_number.data or "",
            ),
            db_session,
        )  # fmt: skip
    except DomainError as exc:
        db_session.rollback()
        return render_ship(order, form, exc.status, str(exc))
    flash(_("Order %(number)s marked as shipped; the buyer has been told.", number=order.number), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.get("/<number>/packing-list")
@login_required
def packing_list_page(number: str) -> ResponseReturnValue:
    """A printable packing list: delivery address, lines, lots and their trace pages."""
    order = load_order(number)
    plist = packing_list(db_session, order, current_app.config["PUBLIC_BASE_URL"])
    return render_template(
        "procurement/supplying/packing_list.html", plist=plist, order=order, purchase=order.purchase_order
    )


@bp.get("/<number>/packing-list.pdf")
@login_required
def packing_list_pdf(number: str) -> ResponseReturnValue:
    """The packing list as an A4 PDF."""
    order = load_order(number)
    plist = packing_list(db_session, order, current_app.config["PUBLIC_BASE_URL"])
    response = make_response(packing_pdf(plist))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="packing-list-{order.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<number>/payment")
@login_required
def confirm_payment(number: str) -> ResponseReturnValue:
    """The bank transfer the institution recorded has arrived: the order is settled."""
    order = load_order(number)
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user()
    try:
        run_unit_of_work(lambda: receiving.confirm_payment(db_session, user, order), db_session)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc))
    flash(_("Payment confirmed; order %(number)s is settled.", number=order.number), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.post("/<number>/balance")
@login_required
def confirm_balance(number: str) -> ResponseReturnValue:
    """The balance transfer the institution recorded has arrived."""
    order = load_order(number)
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user()
    try:
        run_unit_of_work(lambda: balance.confirm_balance(db_session, user, order), db_session)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc))
    flash(_("Balance confirmed for order %(number)s.", number=order.number), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.post("/<number>/cancel")
@login_required
def cancel(number: str) -> ResponseReturnValue:
    """The producer cancels a confirmed order it cannot ship (or a delivery whose goods were all recalled)."""
    order = load_order(number)
    form = SupplierCancelForm()
    if not form.validate_on_submit():
        return render_detail(order, 400, cancel_form=form)
    user = _user()
    try:
        run_unit_of_work(
            lambda: cancel_supplier_order(db_session, user, order, form.reason.data or ""), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc), cancel_form=form)
    flash(_("Order %(number)s cancelled; the buyer has been told.", number=order.number), "info")
    return redirect(url_for(".detail", number=order.number))
