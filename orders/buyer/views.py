"""The buyer's orders: list, detail and tracking, confirming receipt, rating.

Only the buyer sees an order; to everyone else it does not exist (404), so order numbers are not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db_session
from core.errors import DomainError
from orders.buyer.forms import CancelForm, RatingForm, ReceiptForm
from orders.cancellation import buyer_cancellable
from orders.fulfilment import services as fulfilment
from orders.models import (
    Order,
    OrderLine,
    OrderStatus,
)
from traceability.links import trace_path

bp = Blueprint("orders", __name__, url_prefix="/orders")


@dataclass(frozen=True)
class Step:
    """One step of the order's status timeline."""

    label: str
    at: datetime | None
    done: bool


def status_steps(order: Order) -> list[Step]:
    """The order's way so far and what is still ahead (cancelled and refunded orders end there)."""
    path = [
        (_("Placed"), order.placed_at),
        (_("Paid"), order.paid_at),
        (_("Shipped"), order.shipped_at),
        (_("Received"), order.received_at),
        (_("Completed"), order.completed_at),
    ]
    if order.status is OrderStatus.CANCELLED:
        return [Step(_("Placed"), order.placed_at, True), Step(_("Cancelled"), order.cancelled_at, True)]
    if order.status is OrderStatus.REFUNDED:
        done = [Step(label, at, True) for label, at in path if at is not None]
        return [*done, Step(_("Refunded"), None, True)]
    return [Step(label, at, at is not None) for label, at in path]


def line_lots(line: OrderLine) -> list[tuple[Any, int, str]]:
    """The lots a line's units come from: ``(batch, quantity, trace page path)``."""
    return [
        (a.batch, a.quantity - a.returned_quantity, trace_path(a.batch))
        for a in line.allocations
        if a.quantity > a.returned_quantity
    ]


def render_detail(
    order: Order,
    status: int = 200,
    error: str | None = None,
    rating_forms: dict[int, RatingForm] | None = None,
) -> ResponseReturnValue:
    """The buyer's order page; ``rating_forms`` replaces blank rating forms with ones that failed."""
    ratings = fulfilment.ratings_by_line(db_session, order)
    may_rate = order.received_at is not None and order.status in (OrderStatus.RECEIVED, OrderStatus.COMPLETED)
    forms = rating_forms or {}
    context = {
        "order": order,
        "steps": status_steps(order),
        "lines": [(line, line_lots(line)) for line in order.lines],
        "ratings": ratings,
        "rating_forms": {
            line.id: forms.get(line.id) or RatingForm(formdata=None)
            for line in order.lines
            if may_rate and line.id not in ratings
        },
        "receipt_form": ReceiptForm(formdata=None),
        "recalled": [(b, trace_path(b)) for b in fulfilment.recalled_lots(order)],
        "payment_href": url_for("payments.pay", number=order.checkout.number),
        "cancellable": buyer_cancellable(order),
        "cancel_form": CancelForm(formdata=None),
        "cancel_href": url_for("payments.cancel", number=order.checkout.number, order_number=order.number),
        "error": error,
    }
    return render_template("orders/buyer/detail.html", **context), status


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """The signed-in buyer's orders, newest first."""
    page = fulfilment.buyer_orders(db_session, current_user, request.args.get("page", type=int) or 1)
    return render_template("orders/buyer/index.html", page=page)


@bp.get("/<number>")
@login_required
def detail(number: str) -> ResponseReturnValue:
    """One of the buyer's orders: progress, lines with their lots, address, shipping, payment, recall."""
    return render_detail(fulfilment.buyer_order(db_session, current_user, number))


@bp.post("/<number>/receipt")
@login_required
def receipt(number: str) -> ResponseReturnValue:
    """The buyer confirms the goods arrived."""
    order = fulfilment.buyer_order(db_session, current_user, number)
    if not ReceiptForm().validate_on_submit():
        return render_detail(order, 400)
    try:
        fulfilment.confirm_receipt(db_session, current_user, order)
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc))
    db_session.commit()
    flash(_("Thank you! Receipt confirmed. You can now rate what you bought."), "success")
    return redirect(url_for(".detail", number=order.number, _anchor="lines"))


@bp.post("/<number>/lines/<id:line_id>/rating")
@login_required
def rate(number: str, line_id: int) -> ResponseReturnValue:
    """The buyer rates one line's product and producer."""
    order = fulfilment.buyer_order(db_session, current_user, number)
    line = next((item for item in order.lines if item.id == line_id), None)
    if line is None:
        abort(404)
    form = RatingForm()
    if not form.validate_on_submit():
        return render_detail(order, 400, rating_forms={line.id: form})
    try:
        fulfilment.rate_order_line(
            db_session,
            current_user,
            line,
            form.product_stars.data,
            form.producer_stars.data,
            form.comment.data,
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc))
    db_session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for(".detail", number=order.number, _anchor="lines"))
