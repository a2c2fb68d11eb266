"""The bank-transfer desk, for platform administrators only (others 403, visitors to log in).

Lists the checkouts awaiting a transfer to the platform's account (paged), finds one by the reference the
buyer wrote on the transfer, and confirms it with the amount received and the bank's transaction reference.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalog.products.forms import suffix_ids
from core.access import admin_required
from core.db import db_session
from core.errors import DomainError
from core.i18n import format_fen
from core.transactions import run_unit_of_work
from orders.models import Checkout, PaymentMethod
from orders.recall import refund_due_orders
from payments.transfers.forms import TransferForm
from payments.transfers.services import (
    DESK_METHODS,
    awaiting_transfers,
    confirm_bank_transfer,
    confirmation_of,
    find_transfers,
    transfer_due,
)

bp = Blueprint("transfers", __name__, url_prefix="/payments/transfers")

#: Paid bank-transfer orders that cannot ship (recalled goods) shown on the desk: the platform refunds them.
REFUNDS_SHOWN = 20


def load_checkout(number: str) -> Checkout:
    """A checkout paid by bank transfer, by number (404 otherwise)."""
    checkout = db_session.scalar(select(Checkout).where(Checkout.number == number[:20]))
    if checkout is None or checkout.method not in DESK_METHODS:
        abort(404)
    return checkout


def render_desk(
    status: int = 200, error: str = "", failed: Checkout | None = None, form: TransferForm | None = None
) -> ResponseReturnValue:
    """The desk: a search by reference, else the page of checkouts awaiting a transfer; refunds due.

    After a refused confirmation, ``failed`` is shown alone with the submitted ``form`` and ``error``.
    """
    q = request.args.get("q", "")[:200]
    page = None
    if failed is not None:
        checkouts = [failed]
    elif q.strip():
        checkouts = find_transfers(db_session, q)
    else:
        page = awaiting_transfers(db_session, request.args.get("page", type=int) or 1)
        checkouts = page.items
    rows = []
    for checkout in checkouts:
        due = transfer_due(checkout)
        row_form = form if checkout is failed and form is not None else TransferForm(formdata=None)
        rows.append(
            {
                "due": due,
                "form": suffix_ids(row_form, checkout.number),
                "confirmation": confirmation_of(db_session, checkout) if due.is_confirmed else None,
            }
        )
    context = {
        "q": q,
        "page": page,
        "rows": rows,
        "searched": failed is None and bool(q.strip()),
        "refunds_due": refund_due_orders(db_session, PaymentMethod.BANK_TRANSFER, REFUNDS_SHOWN),
        "error": error,
    }
    return render_template("payments/transfers/index.html", **context), status


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    """Checkouts awaiting a bank transfer (earliest deadline first), or those a reference finds."""
    return render_desk()


@bp.post("/<number>/confirm")
@admin_required
def confirm(number: str) -> ResponseReturnValue:
    """Confirm one checkout's transfer: every order still awaiting payment becomes paid."""
    checkout = load_checkout(number)
    form = suffix_ids(TransferForm(), checkout.number)
    if not form.validate_on_submit():
        return render_desk(400, failed=checkout, form=form)
    admin, amount, reference = (
        current_user._get_current_object(),
        form.amount.data or 0,
        form.bank_reference.data,
    )
    try:  # retried when the database refuses because of a concurrent writer (SQLite: "database is locked")
        payments = run_unit_of_work(
            lambda: confirm_bank_transfer(db_session, admin, checkout, amount, reference or ""), db_session
        )
    except DomainError as exc:
        db_session.rollback()
        return render_desk(exc.status, str(exc), failed=checkout, form=form)
    flash(
        _(
            "Bank transfer of %(amount)s confirmed for checkout %(number)s: %(count)s order(s) paid, the "
            "buyer and the producers were told.",
            amount=format_fen(sum(p.amount_fen for p in payments)),
            number=checkout.number,
            count=len(payments),
        ),
        "success",
    )
    return redirect(url_for(".index", q=checkout.payment_reference or checkout.number))
