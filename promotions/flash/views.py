"""Flash sale pages: the list, each sale's countdown page (server-rendered, no JavaScript needed), the buy
button, and the creation form. Load → check access → act (one service call) → commit once → redirect.

Every purchase gets a fair answer: the order (a redirect to it), or 409 with the reason — not started,
ended, sold out, the buyer's limit reached, not enough points — on the sale's page.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import User
from core.pagination import paginate
from core.transactions import run_unit_of_work
from orders.addresses import AddressInvalid, last_address
from orders.cart.views import reservation_minutes
from promotions.eligibility.services import describe, why_not
from promotions.flash.errors import InvalidFlashSale
from promotions.flash.forms import BuyForm, FlashSaleForm
from promotions.flash.models import FlashSale
from promotions.flash.services import bought_by, buy, create_flash_sale, may_create, may_manage_sale, state_of
from promotions.points.services import balance_of

bp = Blueprint("flash", __name__, url_prefix="/promotions/flash")

#: Longest wait before an upcoming sale's page reloads itself (seconds).
MAX_REFRESH_SECONDS = 60


def _user() -> User:
    """The signed-in user as a plain User (for the services)."""
    user: User = current_user._get_current_object()
    return user


def _page() -> int:
    """The page number asked for (1 when missing or not a small positive number)."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


@bp.get("/")
def index() -> ResponseReturnValue:
    """The flash sales running or to come, soonest first."""
    now = utcnow()
    query = select(FlashSale).where(FlashSale.ends_at > now).order_by(FlashSale.starts_at, FlashSale.id)
    page = paginate(db_session, query, _page())
    return render_template(
        "promotions/flash/list.html",
        page=page,
        now=now,
        state_of=state_of,
        may_create=may_create(current_user),
    )


def _buy_form() -> BuyForm:
    """The buy form, filled with the buyer's latest delivery address."""
    address = last_address(db_session, _user()) if current_user.is_authenticated else None
    form = BuyForm(formdata=None, data=None if address is None else {**address.__dict__})
    if address is not None:
        form.province.data = address.province_code
    form.load_provinces()
    form.load_methods()
    return form


def _render_sale(
    sale: FlashSale, form: BuyForm, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The sale's page as it stands now; the remaining time is computed here, not in the browser."""
    now: datetime = utcnow()
    state = state_of(sale, now)
    wait = max(0, int((sale.starts_at - now).total_seconds())) if state == "upcoming" else 0
    signed_in = bool(current_user.is_authenticated)
    body = render_template(
        "promotions/flash/sale.html",
        sale=sale,
        state=state,
        wait=wait,
        refresh=min(max(wait, 1), MAX_REFRESH_SECONDS) if state == "upcoming" else None,
        form=form,
        error=error,
        balance=balance_of(db_session, current_user.id) if signed_in else None,
        bought=bought_by(db_session, sale, current_user.id) if signed_in else 0,
        not_eligible=why_not(db_session, sale.audience, _user() if signed_in else None),
        audience=describe(sale.audience),
        may_manage=signed_in and may_manage_sale(_user(), sale),
    )
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/<id:sale_id>")
def sale(sale_id: int) -> ResponseReturnValue:
    """The countdown page: when it starts, the buy button while it runs, or the clear answer after."""
    return _render_sale(get_or_404(FlashSale, sale_id), _buy_form())


@bp.post("/<id:sale_id>/buy")
@login_required
def buy_unit(sale_id: int) -> ResponseReturnValue:
    """Buy one unit for points (or points + cash: then on to paying the cash), or 4xx with the reason."""
    flash_sale = get_or_404(FlashSale, sale_id)
    form = BuyForm()
    form.load_provinces()
    form.load_methods()
    if not form.validate():
        return _render_sale(flash_sale, form, 400, _("Please correct the delivery address."))
    method = form.payment_method()
    minutes = reservation_minutes(method) if method is not None else 0
    try:
        order = run_unit_of_work(
            lambda: buy(db_session, _user(), flash_sale, form.address(), utcnow(), method, minutes),
            db_session,
        )
    except AddressInvalid as exc:
        db_session.rollback()
        for name, message in exc.errors.items():
            field = form._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, message]
        return _render_sale(flash_sale, form, exc.status, str(exc))
    except DomainError as exc:
        db_session.rollback()
        return _render_sale(flash_sale, form, exc.status, str(exc))
    if order.checkout.paid_at is None:
        flash(
            _(
                "Reserved! Your points are set aside; pay the cash part of order %(number)s now.",
                number=order.number,
            ),
            "success",
        )
        return redirect(url_for("payments.pay", number=order.checkout.number))
    flash(_("Bought! Your order %(number)s is paid with points.", number=order.number), "success")
    return redirect(url_for("orders.detail", number=order.number))


def _render_form(form: FlashSaleForm, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The creation form, with its errors and status."""
    return render_template("promotions/flash/form.html", form=form, error=error), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Create a flash sale (administrators: paid by the platform; a producer's members: their own)."""
    if not may_create(_user()):
        abort(403)
    form = FlashSaleForm()
    if request.method == "GET":
        return _render_form(form)
    if not form.validate():
        return _render_form(form, 400)
    try:
        created = create_flash_sale(db_session, _user(), form.sale_data(), utcnow())
    except InvalidFlashSale as exc:
        db_session.rollback()
        field = form._fields.get(exc.field or "")
        if field is not None:
            field.errors = [*field.errors, str(exc)]
        return _render_form(form, exc.status, None if field is not None else str(exc))
    except DomainError as exc:
        db_session.rollback()
        return _render_form(form, exc.status, str(exc))
    db_session.commit()
    flash(_("Flash sale “%(title)s” created.", title=created.title), "success")
    return redirect(url_for(".sale", sale_id=created.id))
