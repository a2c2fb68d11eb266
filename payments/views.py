"""Paying a checkout (Stripe or offline), the producer's payment and refund page, and the Stripe webhook.

Card payments work in Stripe TEST MODE ONLY. With a ``sk_test_…`` key the server takes a test card number,
expiry and CVC, creates the PaymentMethod through Stripe's API (localstripe in the tests), then creates or
reuses the checkout's PaymentIntent and confirms it. Real card numbers must never reach our server: in live
mode Stripe's Payment Element — a script served from js.stripe.com — collects them in the browser. We ship
no CDN script (the Content-Security-Policy allows only our own files), so live card payment is out of scope:
``/payments/<number>/card`` answers 404 and the page says so; the webhook and refunds work in both modes.

Who may open what: the pay page and card form, only the checkout's buyer (others get 404); the order payment
page, members of the order's producer and admins; refunds, admins and — unless the platform holds the money
(bank transfer) — the producer's members; confirming cash collected on delivery, producer members only (others
403; a bank transfer is confirmed by a platform administrator on the bank-transfer desk,
``payments/transfers/``); the webhook, anyone holding a valid Stripe signature (``payments/webhooks.py``).
Who collects each method's money is :mod:`orders.collection`'s rule.
"""

from __future__ import annotations

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
from sqlalchemy import select

from catalog.access import is_member
from core.access import ensure
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.i18n import format_fen
from core.transactions import run_unit_of_work
from core.urls import public_url_for
from orders.buyer import views as buyer_views
from orders.buyer.forms import CancelForm
from orders.collection import collector_of, producer_confirms
from orders.fulfilment.services import recalled_lots
from orders.models import (
    Checkout,
    Order,
    OrderStatus,
    PaymentMethod,
)
from orders.recall import refund_due
from payments.cancellation import cancel_by_buyer
from payments.elements import payment_page_policy, return_from_stripe
from payments.errors import RefundedByPlatform
from payments.forms import CardForm, ConfirmForm, RefundForm, fresh_card_form, refund_form
from payments.gateway import (
    stripe_elements_enabled,
    stripe_enabled,
    stripe_test_mode,
)
from payments.offline import payment_of
from payments.refunds import (
    can_refund,
    can_see_money,
    is_refundable,
    refundable_quantities,
    refunds_of,
)
from payments.services import (
    Outcome,
    PaymentResult,
    confirm_offline_payment,
    ensure_payable,
    pay_with_card,
    refund_order,
    start_stripe_payment,
)

bp = Blueprint("payments", __name__, url_prefix="/payments")

METHOD_LABELS = {
    PaymentMethod.STRIPE: _l("Card, Alipay or WeChat Pay (Stripe)"),
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH_ON_DELIVERY: _l("Pay on delivery"),
    PaymentMethod.AT_COUNTER: _l("Paid at a counter"),
    PaymentMethod.POINTS: _l("Paid with points"),
}
STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.SHIPPED: _l("Shipped"),
    OrderStatus.RECEIVED: _l("Received"),
    OrderStatus.COMPLETED: _l("Completed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.REFUNDED: _l("Refunded"),
}
STATUS_BADGES = {
    OrderStatus.PENDING_PAYMENT: "badge-warn",
    OrderStatus.CANCELLED: "badge-error",
    OrderStatus.REFUNDED: "badge-error",
}
#: Shown for bank transfers when the operator configured nothing (clearly a demo account).
DEMO_BANK = {
    "BANK_ACCOUNT_NAME": "消费帮扶商城运营中心（演示账户）",
    "BANK_ACCOUNT_NUMBER": "6228 4800 0000 0000 000",
    "BANK_NAME": "中国农业银行喀什分行（演示）",
}


def load_checkout(number: str) -> Checkout:
    """The signed-in buyer's checkout by number; 404 for anyone else's (numbers are not to be probed)."""
    checkout = db_session.scalar(select(Checkout).where(Checkout.number == number))
    if checkout is None or checkout.buyer_id != current_user.id:
        abort(404)
    return checkout


def load_order(order_id: int) -> Order:
    """An order its producer's members or an admin may see (404 unknown, 403 otherwise)."""
    order = get_or_404(Order, order_id)
    ensure(can_see_money(current_user, order))
    return order


def card_payment_possible(checkout: Checkout) -> bool:
    """Whether our own card form may be used: a Stripe checkout, a Stripe test key and no Payment Element."""
    return (
        checkout.method is PaymentMethod.STRIPE
        and stripe_enabled()
        and stripe_test_mode()
        and not stripe_elements_enabled()
    )


def render_pay(
    checkout: Checkout, status: int = 200, card_form: CardForm | None = None, error: str = ""
) -> ResponseReturnValue:
    """The checkout's payment page."""
    pending = any(o.status is OrderStatus.PENDING_PAYMENT for o in checkout.orders)
    due_fen = sum(o.total_fen for o in checkout.orders if o.status is OrderStatus.PENDING_PAYMENT)
    config = current_app.config
    elements = stripe_elements(checkout) if pending and not card_payment_possible(checkout) else None
    context = {
        "checkout": checkout,
        "pending": pending,
        "due_fen": due_fen,
        "collector": collector_of(checkout.method),
        "expired": pending and checkout.reserved_until <= utcnow(),
        "all_cancelled": all(o.status is OrderStatus.CANCELLED for o in checkout.orders),
        "cancel_reasons": list(dict.fromkeys(o.cancel_reason for o in checkout.orders if o.cancel_reason)),
        "method_label": METHOD_LABELS[checkout.method],
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "stripe_on": stripe_enabled(),
        "card_possible": card_payment_possible(checkout),
        "card_form": card_form or fresh_card_form(),
        "elements": elements,
        "bank": {key: config.get(key) or default for key, default in DEMO_BANK.items()},
        "error": error,
    }
    response = make_response(render_template("payments/pay.html", **context), status)
    if elements is not None:
        response.headers["Content-Security-Policy"] = payment_page_policy(config)
    return response


def stripe_elements(checkout: Checkout) -> dict[str, str] | None:
    """What the Payment Element needs (keys, client secret, return URL), or None when it cannot be shown.

    Creates (or reuses) the checkout's PaymentIntent and keeps its id; a Stripe outage leaves the page without
    the element rather than failing it.
    """
    if checkout.method is not PaymentMethod.STRIPE or not stripe_elements_enabled():
        return None
    try:
        ensure_payable(db_session, checkout)
        intent = start_stripe_payment(db_session, checkout)
    except DomainError:
        db_session.rollback()
        return None
    db_session.commit()
    if not intent.client_secret or intent.status not in ("requires_payment_method", "requires_confirmation"):
        return None
    return {
        "publishable_key": str(current_app.config["STRIPE_PUBLISHABLE_KEY"]),
        "client_secret": intent.client_secret,
        "return_url": public_url_for("payments.stripe_return", number=checkout.number),
        "script": str(current_app.config["STRIPE_JS_URL"]),
    }


def render_order(
    order: Order, status: int = 200, form: RefundForm | None = None, error: str = ""
) -> tuple[str, int]:
    """The producer's (or admin's) page about one order's money: payment, confirmation, refunds."""
    context = {
        "order": order,
        "checkout": order.checkout,
        "payment": payment_of(db_session, order),
        "refunds": refunds_of(db_session, order),
        "left": refundable_quantities(order),
        "method_label": METHOD_LABELS[order.checkout.method],
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "collector": collector_of(order.checkout.method),
        "may_confirm": producer_confirms(order.checkout.method)
        and order.awaits_cash
        and is_member(current_user, order.producer)
        and not recalled_lots(order),
        "refundable": is_refundable(order),
        "may_refund": can_refund(current_user, order),
        "refund_due": refund_due(order),
        "confirm_form": ConfirmForm(formdata=None),
        "refund_form": form or refund_form(order, formdata=None),
        "error": error,
    }
    return render_template("payments/order.html", **context), status


@bp.get("/<number>")
@login_required
def pay(number: str) -> ResponseReturnValue:
    """The buyer's payment page: total, orders, reservation deadline and how to pay."""
    return render_pay(load_checkout(number))


@bp.post("/<number>/card")
@login_required
def card(number: str) -> ResponseReturnValue:
    """Pay by test card (Stripe test mode only; 404 otherwise)."""
    checkout = load_checkout(number)
    if not card_payment_possible(checkout):
        abort(404)
    form = CardForm()
    if not form.validate_on_submit():
        return render_pay(checkout, 400, form)
    try:
        result = pay_with_card(db_session, checkout, form.to_card(), attempt=form.attempt_token())
    except DomainError as exc:
        db_session.rollback()
        return render_pay(checkout, exc.status, fresh_card_form(), str(exc))
    db_session.commit()  # also keeps the PaymentIntent's id after a decline, for the next attempt
    if result.outcome is Outcome.FAILED:
        error = _("The payment did not go through: %(message)s", message=result.message)
        return render_pay(checkout, 400, fresh_card_form(), error)
    flash_result(result)
    return redirect(url_for(".pay", number=checkout.number))


@bp.get("/<number>/return")
@login_required
def stripe_return(number: str) -> ResponseReturnValue:
    """Where Stripe sends the buyer back (card, Alipay, WeChat Pay): apply the PaymentIntent's state."""
    checkout = load_checkout(number)
    try:
        result = return_from_stripe(db_session, checkout, request.args.get("payment_intent", ""))
    except DomainError as exc:
        db_session.rollback()
        return render_pay(checkout, exc.status, error=str(exc))
    db_session.commit()
    flash_result(result)
    return redirect(url_for(".pay", number=checkout.number))


def flash_result(result: PaymentResult) -> None:
    """Tell the buyer what became of their payment."""
    if result.outcome is Outcome.FAILED:
        flash(_("The payment did not go through: %(message)s", message=result.message), "error")
    elif result.outcome is Outcome.PENDING:
        flash(_("Your payment is being processed. This page will show it once it is confirmed."), "info")
    elif result.is_paid:
        flash(_("Payment received. Thank you!"), "success")
    elif result.outcome is Outcome.REFUNDED_LATE:
        flash(_("These orders had been cancelled, so your payment was refunded in full."), "info")


@bp.get("/orders/<id:order_id>", endpoint="order")
@login_required
def order_page(order_id: int) -> ResponseReturnValue:
    """An order's payment and refunds, for its producer's members and admins."""
    return render_order(load_order(order_id))


@bp.post("/orders/<id:order_id>/confirm")
@login_required
def confirm_offline(order_id: int) -> ResponseReturnValue:
    """A producer member confirms the cash collected on delivery of their order (a bank transfer: 403, the
    platform confirms it)."""
    order = get_or_404(Order, order_id)
    ensure(is_member(current_user, order.producer))
    if not ConfirmForm().validate_on_submit():
        return render_order(order, 400)
    try:
        confirm_offline_payment(db_session, current_user, order)
    except DomainError as exc:
        db_session.rollback()
        return render_order(order, exc.status, error=str(exc))
    db_session.commit()
    flash(_("Payment for order %(number)s confirmed.", number=order.number), "success")
    return redirect(url_for(".order", order_id=order.id))


@bp.post("/orders/<id:order_id>/refund")
@login_required
def refund(order_id: int) -> ResponseReturnValue:
    """Refund part or all of an order (admin; producer member unless the platform holds the money)."""
    order = load_order(order_id)
    if not can_refund(current_user, order):  # a bank transfer the platform holds: only it gives it back
        return render_order(order, RefundedByPlatform.status, error=str(RefundedByPlatform()))
    form = refund_form(order)
    if not form.validate_on_submit():
        return render_order(order, 400, form)
    actor, chosen, reason = current_user._get_current_object(), form.chosen(order), form.reason.data or ""
    try:  # retried when the database refuses because of a concurrent writer (SQLite: "database is locked")
        done = run_unit_of_work(lambda: refund_order(db_session, actor, order, chosen, reason), db_session)
    except DomainError as exc:
        db_session.rollback()
        return render_order(order, exc.status, form, str(exc))
    flash(_("Refunded %(amount)s.", amount=format_fen(done.amount_fen)), "success")
    return redirect(url_for(".order", order_id=order.id))


@bp.post("/<number>/orders/<order_number>/cancel")
@login_required
def cancel(number: str, order_number: str) -> ResponseReturnValue:
    """The buyer cancels an unpaid order (with the orders paid together with it); stock goes back on sale."""
    checkout = load_checkout(number)
    order = next((o for o in checkout.orders if o.number == order_number), None)
    if order is None:
        abort(404)
    if not CancelForm().validate_on_submit():
        return buyer_views.render_detail(order, 400)
    buyer = current_user._get_current_object()
    try:
        cancelled = run_unit_of_work(lambda: cancel_by_buyer(db_session, buyer, order), db_session)
    except DomainError as exc:
        db_session.rollback()
        return buyer_views.render_detail(order, exc.status, str(exc))
    numbers = ", ".join(o.number for o in cancelled)
    flash(_("Cancelled: order %(numbers)s. The goods went back on sale.", numbers=numbers), "success")
    return redirect(url_for("orders.detail", number=order.number))
