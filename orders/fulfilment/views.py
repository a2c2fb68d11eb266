"""The producer's order queue: confirm cash collected on delivery, packing list, ship.

Members of an order's producer see it (with the recipient and address they need to ship); other signed-in
users get 403, an unknown order 404. Payment confirmation and refunds live on the payments pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from catalog.access import is_member, producer_member_required
from core.access import ensure
from core.db import db_session
from core.errors import DomainError
from orders.buyer.views import line_lots, status_steps
from orders.collection import producer_confirms, producer_may_refund
from orders.fulfilment import services as fulfilment
from orders.fulfilment.forms import ActionForm, ShipForm
from orders.fulfilment.services import QueueTab
from orders.models import Order, OrderStatus

bp = Blueprint("producer_orders", __name__, url_prefix="/producer/orders")

TAB_LABELS = {
    QueueTab.TO_CONFIRM: _l("Confirm cash"),
    QueueTab.TO_SHIP: _l("To ship"),
    QueueTab.SHIPPED: _l("Shipped"),
    QueueTab.ALL: _l("All"),
}

#: States in which the producer may still refund (through the payments pages).
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RECEIVED, OrderStatus.COMPLETED})


def awaits_producer_confirmation(order: Order) -> bool:
    """Whether the producer is to confirm money it collected itself: cash on delivery, once delivered.

    Bank transfers reach the platform's account, so the platform confirms them, never the producer
    (:mod:`orders.collection`)."""
    return producer_confirms(order.checkout.method) and order.awaits_cash


def load_order(number: str) -> Order:
    """The order numbered ``number``: 404 if unknown, 403 unless the user acts for its producer."""
    order = fulfilment.find_order(db_session, number)
    if order is None:
        abort(404)
    ensure(is_member(current_user, order.producer))
    return order


def render_detail(
    order: Order, status: int = 200, error: str | None = None, ship_form: ShipForm | None = None
) -> ResponseReturnValue:
    """The producer's page of one order; ``ship_form`` replaces the blank form after a failed attempt."""
    context = {
        "order": order,
        "steps": status_steps(order),
        "lines": [(line, line_lots(line)) for line in order.lines],
        "recalled": fulfilment.recalled_lots(order),
        "ship_form": ship_form or ShipForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "may_confirm_payment": awaits_producer_confirmation(order),
        "confirm_href": url_for("payments.confirm_offline", order_id=order.id),
        "may_refund": order.status in REFUNDABLE
        and order.paid_at is not None
        and producer_may_refund(order.checkout.method),
        "refund_href": url_for("payments.order", order_id=order.id, _anchor="refund"),
        "error": error,
    }
    return render_template("orders/fulfilment/detail.html", **context), status


@bp.get("/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The queue of the member's producers, by tab: confirm payment, to ship, shipped, all."""
    value = request.args.get("status", QueueTab.TO_SHIP.value)
    tab = QueueTab(value) if value in {t.value for t in QueueTab} else QueueTab.TO_SHIP
    page = fulfilment.producer_queue(db_session, current_user, tab, request.args.get("page", type=int) or 1)
    counts = fulfilment.queue_counts(db_session, current_user)
    return render_template("orders/fulfilment/index.html", page=page, tab=tab, tabs=TAB_LABELS, counts=counts)


@bp.get("/<number>")
@login_required
def detail(number: str) -> ResponseReturnValue:
    """One order: recipient and address, lines with their lots, payment, and the shipping form."""
    return render_detail(load_order(number))


@bp.get("/<number>/packing-list")
@login_required
def packing_list(number: str) -> ResponseReturnValue:
    """A printable packing list: order number, recipient, address, lines with quantities and lots."""
    order = load_order(number)
    return render_template(
        "orders/fulfilment/packing_list.html", order=order, packing=fulfilment.packing_list(order)
    )


@bp.post("/<number>/ship")
@login_required
def ship(number: str) -> ResponseReturnValue:
    """Ship a paid order: carrier and tracking number; every batch it drew from gets a shipping step."""
    order = load_order(number)
    form = ShipForm()
    if not form.validate_on_submit():
        return render_detail(order, 400, ship_form=form)
    try:
        fulfilment.ship_order(
            db_session, current_user, order, form.carrier.data or "", form.tracking_number.data or ""
        )
    except DomainError as exc:
        db_session.rollback()
        return render_detail(order, exc.status, str(exc), ship_form=form)
    db_session.commit()
    flash(_("Order %(number)s marked as shipped; the buyer has been told.", number=order.number), "success")
    return redirect(url_for(".detail", number=order.number))
