"""Purchase-order pages for members of the institution: list, detail, approve / reject, withdraw, cancel, PDF.

Members of the institution (any role) and administrators see its purchase orders; to everyone else who is
signed in a purchase order does not exist (404), so numbers are not revealed. Approvers other than the buyer
decide; the buyer may withdraw it while it awaits approval, an administrator cancel it with a reason; each
supplier order can be cancelled by whoever the lifecycle table allows (procurement/ordering/lifecycle.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.access import user_passes
from core.clock import shanghai_date
from core.db import db_session
from core.errors import DomainError
from core.ids import query_id
from core.numbers import readable_number
from core.transactions import run_unit_of_work
from procurement.institutions.models import InstitutionRole
from procurement.ordering import queries as ordering
from procurement.ordering.approval import approve_purchase_order, cancel_purchase_order, reject_purchase_order
from procurement.ordering.cancellation import admin_cancel_purchase_order, cancel_supplier_order
from procurement.ordering.forms import ApproveForm, CancelForm, RejectForm, SupplierCancelForm
from procurement.ordering.lifecycle import Action, actors_of, may
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierStatus
from procurement.purchase_orders.pdf import purchase_order_pdf
from procurement.receiving import payment

bp = Blueprint("purchase_orders", __name__, url_prefix="/procurement")

#: Only members of an institution (any role) open these pages.
member_required = user_passes(lambda user: bool(getattr(user, "institution_memberships", [])))


@bp.get("/orders")
@member_required
def orders() -> ResponseReturnValue:
    """The purchase orders of the member's institutions, newest first, filtered by state or institution."""
    institutions = ordering.member_institutions(current_user)
    chosen_id = query_id("institution")
    shown = [i for i in institutions if i.id == chosen_id] or institutions
    try:
        status = PurchaseStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    page = ordering.purchase_list(db_session, shown, status, request.args.get("page", type=int) or 1)
    return render_template(
        "procurement/ordering/orders.html",
        page=page,
        institutions=institutions,
        chosen_id=chosen_id if len(shown) == 1 and len(institutions) > 1 else None,
        status=status,
        statuses=list(PurchaseStatus),
        can_order=bool(ordering.buyer_institutions(current_user)),
    )


def cancellable_supplier_orders(purchase: PurchaseOrder) -> set[int]:
    """Ids of the purchase order's supplier orders the signed-in user may cancel now (by the table)."""
    today = shanghai_date()
    return {
        order.id
        for order in purchase.supplier_orders
        if order.status is not SupplierStatus.AWAITING_APPROVAL
        and may(actors_of(current_user, order), order, Action.CANCEL, today)
    }


def render_detail(
    purchase: PurchaseOrder,
    status: int = 200,
    error: str | None = None,
    reject_form: RejectForm | None = None,
    supplier_cancel_form: SupplierCancelForm | None = None,
) -> ResponseReturnValue:
    """The purchase order page, with the decision and cancel forms the signed-in user may use."""
    roles = purchase.institution.roles_of(current_user)
    awaiting = purchase.status is PurchaseStatus.AWAITING_APPROVAL
    may_decide = awaiting and InstitutionRole.APPROVER in roles and current_user.id != purchase.buyer_id
    unpaid = (SupplierStatus.CANCELLED, SupplierStatus.DECLINED, SupplierStatus.AWAITING_APPROVAL)
    payees = {
        order.id: payment.payee_for(db_session, order)
        for order in purchase.supplier_orders
        if order.status not in unpaid
    }
    return render_template(
        "procurement/ordering/detail.html",
        purchase=purchase,
        readable=readable_number(purchase.number),
        may_decide=may_decide,
        may_cancel=awaiting and current_user.id == purchase.buyer_id,
        may_admin_cancel=awaiting and current_user.is_admin and current_user.id != purchase.buyer_id,
        cancellable=cancellable_supplier_orders(purchase),
        payees=payees,
        reads_account=bool(roles & payment.PAYERS),
        payment_due=payment.payment_due,
        approve_form=ApproveForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
        supplier_cancel_form=supplier_cancel_form or SupplierCancelForm(formdata=None),
        error=error,
    ), status


@bp.get("/orders/<number>")
@login_required
def order_detail(number: str) -> ResponseReturnValue:
    """One purchase order: lines per producer with their supplier order's state and each line's decision."""
    return render_detail(ordering.member_purchase(db_session, current_user, number))


@bp.get("/orders/<number>.pdf")
@login_required
def order_pdf(number: str) -> ResponseReturnValue:
    """The printable purchase-order document (A4 PDF, Chinese text)."""
    purchase = ordering.member_purchase(db_session, current_user, number)
    response = Response(purchase_order_pdf(purchase), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{purchase.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/orders/<number>/approve")
@login_required
def approve(number: str) -> ResponseReturnValue:
    """An approver other than the buyer approves: the producers are asked to confirm."""
    purchase = ordering.member_purchase(db_session, current_user, number)
    form = ApproveForm()
    if not form.validate_on_submit():
        return render_detail(purchase, 400)
    try:
        approve_purchase_order(db_session, current_user._get_current_object(), purchase, form.note.data)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(purchase, exc.status, str(exc))
    db_session.commit()
    flash(_("Approved. The producers have been asked to confirm."), "success")
    return redirect(url_for(".order_detail", number=purchase.number))


@bp.post("/orders/<number>/reject")
@login_required
def reject(number: str) -> ResponseReturnValue:
    """An approver other than the buyer rejects, with a reason the buyer sees."""
    purchase = ordering.member_purchase(db_session, current_user, number)
    form = RejectForm()
    if not form.validate_on_submit():
        return render_detail(purchase, 400, reject_form=form)
    try:
        approver = current_user._get_current_object()
        reject_purchase_order(db_session, approver, purchase, form.reason.data or "")
    except DomainError as exc:
        db_session.rollback()
        return render_detail(purchase, exc.status, str(exc), reject_form=form)
    db_session.commit()
    flash(_("Not approved. The buyer has been told why."), "info")
    return redirect(url_for(".order_detail", number=purchase.number))


@bp.post("/orders/<number>/cancel")
@login_required
def cancel(number: str) -> ResponseReturnValue:
    """The buyer withdraws their purchase order while it awaits approval; an administrator cancels it."""
    purchase = ordering.member_purchase(db_session, current_user, number)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_detail(purchase, 400)
    user = current_user._get_current_object()
    try:
        if user.is_admin and user.id != purchase.buyer_id:
            admin_cancel_purchase_order(db_session, user, purchase, form.reason.data or "")
        else:
            cancel_purchase_order(db_session, user, purchase)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(purchase, exc.status, str(exc))
    db_session.commit()
    flash(_("Purchase order withdrawn."), "info")
    return redirect(url_for(".order_detail", number=purchase.number))


@bp.post("/orders/<number>/suppliers/<supplier_number>/cancel")
@login_required
def cancel_supplier(number: str, supplier_number: str) -> ResponseReturnValue:
    """Cancel one producer's part, with a reason; who may and when is the lifecycle table."""
    purchase = ordering.member_purchase(db_session, current_user, number)
    order = next((o for o in purchase.supplier_orders if o.number == supplier_number), None)
    if order is None:
        abort(404)
    form = SupplierCancelForm()
    if not form.validate_on_submit():
        return render_detail(purchase, 400, supplier_cancel_form=form)
    user = current_user._get_current_object()
    try:
        run_unit_of_work(
            lambda: cancel_supplier_order(db_session, user, order, form.reason.data or ""), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(purchase, exc.status, str(exc), supplier_cancel_form=form)
    flash(
        _("Supplier order %(number)s cancelled; everyone involved has been told.", number=order.number),
        "info",
    )
    return redirect(url_for(".order_detail", number=purchase.number))
