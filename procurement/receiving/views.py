"""Institutions' pages for one producer's delivery: receipt line by line, invoice, settlement.

Members of the ordering institution see the delivery (403 for other signed-in users, 404 for unknown
numbers); the invoice file is also served to members of the producer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.access import ensure
from core.db import db_session
from core.errors import DomainError
from core.transactions import run_unit_of_work
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving import balance, payment
from procurement.receiving import services as receiving
from procurement.receiving.forms import InvoiceForm, ReceiptForm, TransferForm
from procurement.receiving.invoices import (
    StoredInvoice,
    delete_invoice,
    invoice_path,
    store_invoice,
)
from procurement.supplying.queue import (
    find_supplier_order,
)
from procurement.supplying.services import is_supplier_member
from traceability.links import trace_path

bp = Blueprint("delivery", __name__, url_prefix="/procurement/deliveries")


def upload_dir() -> Path:
    """Where uploads live (never under static/)."""
    return Path(current_app.config["UPLOAD_DIR"])


def load_delivery(number: str) -> SupplierOrder:
    """The supplier order numbered ``number``: 404 if unknown, 403 unless the user acts for its institution"""
    order = find_supplier_order(db_session, number)
    if order is None:
        abort(404)
    ensure(bool(receiving.roles_in(current_user, order)))
    return order


def _user() -> Any:
    """The signed-in user as a plain model object (for services)."""
    return current_user._get_current_object()


def steps(order: SupplierOrder) -> list[tuple[str, Any]]:
    """The delivery's way so far: ``(label, when)``; ``when`` is None for steps not reached yet."""
    return [
        (_("Submitted"), order.purchase_order.submitted_at),
        (_("Confirmed by the producer"), order.confirmed_at),
        (_("Shipped"), order.shipped_at),
        (_("Receipt confirmed"), order.received_at),
        (_("Bank transfer recorded"), order.transfer_recorded_at),
        (_("Payment confirmed by the producer"), order.settled_at),
    ] + (
        [
            (_("Balance transfer recorded"), order.balance_recorded_at),
            (_("Balance confirmed by the producer"), order.balance_confirmed_at),
        ]
        if order.balance_fen
        else []
    )


def render_detail(
    order: SupplierOrder, status: int = 200, error: str | None = None, **forms: Any
) -> ResponseReturnValue:
    """The institution's page of one delivery; ``forms`` replace blank forms after a failed attempt."""
    roles = receiving.roles_in(current_user, order)
    receipt_form = forms.get("receipt_form") or ReceiptForm.for_order(order)
    payee = payment.payee_for(db_session, order)
    context = {
        "order": order,
        "purchase": order.purchase_order,
        "steps": steps(order),
        "lines": [
            (line, [(a.batch, a.quantity, trace_path(a.batch)) for a in line.allocations])
            for line in order.lines
        ],
        "may_receive": order.status is SupplierStatus.SHIPPED
        and bool(roles & receiving.RECEIVERS)
        and not order.is_all_recalled,
        "recalled_lots": receiving.recalled_lots(order),
        "may_upload_invoice": order.status in (SupplierStatus.SHIPPED, SupplierStatus.RECEIVED)
        and not order.invoice_key
        and not order.transfer_reference,
        "may_pay": payment.payment_due(order) and bool(roles & payment.PAYERS),
        "may_pay_balance": balance.balance_due(order) and bool(roles & payment.PAYERS),
        "payee": payee,
        "reads_account": payment.may_read_account(current_user, order),
        "receipt_form": receipt_form,
        "entries": receipt_form.entries_by_line(),
        "invoice_form": forms.get("invoice_form") or InvoiceForm(formdata=None),
        "transfer_form": forms.get("transfer_form") or TransferForm(formdata=None),
        "balance_form": forms.get("balance_form") or TransferForm(formdata=None, prefix="balance"),
        "error": error,
    }
    return render_template("procurement/receiving/detail.html", **context), status


@bp.get("/<number>")
@login_required
def detail(number: str) -> ResponseReturnValue:
    """One producer's delivery: lines and lots, receipt, invoice, payment."""
    return render_detail(load_delivery(number))


def _store(upload: Any) -> StoredInvoice | None:
    """Store an uploaded invoice (None when no file was chosen); raises ``InvoiceError``."""
    return None if upload is None else store_invoice(upload.stream, upload_dir())


@bp.post("/<number>/receipt")
@login_required
def receipt(number: str) -> ResponseReturnValue:
    """Confirm receipt line by line (received quantity, inspection note), with the invoice if it came."""
    order = load_delivery(number)
    form = ReceiptForm()
    if not form.validate_on_submit() or not form.lines.entries:
        return render_detail(order, 400, _("Please correct the marked fields."), receipt_form=form)
    user, stored = _user(), None
    try:
        stored = _store(form.invoice_upload())
        run_unit_of_work(
            lambda: receiving.confirm_receipt(db_session, user, order, form.line_inputs(), stored), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        if stored is not None:
            delete_invoice(upload_dir(), stored)
        return render_detail(order, exc.status, str(exc), receipt_form=form)
    except BaseException:
        if stored is not None:
            delete_invoice(upload_dir(), stored)
        raise
    flash(_("Receipt confirmed; the producer has been told."), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.post("/<number>/invoice")
@login_required
def upload_invoice(number: str) -> ResponseReturnValue:
    """Upload the invoice after receipt (PDF or photo, checked by its content)."""
    order = load_delivery(number)
    form = InvoiceForm()
    if not form.validate_on_submit():
        return render_detail(order, 400, _("Please correct the marked fields."), invoice_form=form)
    upload = form.invoice_upload()
    user, stored = _user(), None
    try:
        stored = store_invoice(upload.stream if upload is not None else None, upload_dir())
        run_unit_of_work(lambda: receiving.attach_invoice(db_session, user, order, stored), db_session)
    except DomainError as exc:
        db_session.rollback()
        if stored is not None:
            delete_invoice(upload_dir(), stored)
        return render_detail(order, exc.status, str(exc), invoice_form=form)
    except BaseException:
        if stored is not None:
            delete_invoice(upload_dir(), stored)
        raise
    flash(_("Invoice uploaded."), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.get("/<number>/invoice")
@login_required
def invoice(number: str) -> ResponseReturnValue:
    """Download the invoice: members of the institution and of the producer only, never shown inline."""
    order = find_supplier_order(db_session, number)
    if order is None:
        abort(404)
    ensure(bool(receiving.roles_in(current_user, order)) or is_supplier_member(current_user, order))
    if not order.invoice_key or not order.invoice_mimetype:
        abort(404)
    stored = StoredInvoice(order.invoice_key, order.invoice_mimetype)
    path = invoice_path(upload_dir(), stored)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=stored.mimetype,
        as_attachment=True,
        download_name=f"invoice-{order.number}.{stored.extension}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/<number>/transfer")
@login_required
def transfer(number: str) -> ResponseReturnValue:
    """Record the bank-transfer reference of the payment (finance staff or approvers)."""
    order = load_delivery(number)
    form = TransferForm()
    if not form.validate_on_submit():
        return render_detail(order, 400, _("Please correct the marked fields."), transfer_form=form)
    user = _user()
    try:
        run_unit_of_work(
            lambda: receiving.record_transfer(db_session, user, order, form.reference.data or ""), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc), transfer_form=form)
    flash(_("Payment recorded; the producer will confirm when the money arrives."), "success")
    return redirect(url_for(".detail", number=order.number))


@bp.post("/<number>/balance")
@login_required
def balance_transfer(number: str) -> ResponseReturnValue:
    """Record the bank-transfer reference of the balance an after-sales request left owed (finance staff or
    approvers)."""
    order = load_delivery(number)
    form = TransferForm(prefix="balance")
    if not form.validate_on_submit():
        return render_detail(order, 400, _("Please correct the marked fields."), balance_form=form)
    user = _user()
    try:
        run_unit_of_work(
            lambda: balance.record_balance(db_session, user, order, form.reference.data or ""), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc), balance_form=form)
    flash(_("Balance recorded; the producer will confirm when the money arrives."), "success")
    return redirect(url_for(".detail", number=order.number))
