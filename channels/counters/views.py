"""Counter pages: the public directory, opening a counter, the operator's desk, consigning stock (producers),
confirming receipt, the quick sale on the counter's phone, the day's closing report, and leakage per counter
(administrators).

The quick sale reads the label in the browser where it can: the camera or a photo through the BarcodeDetector
API, and then only the decoded text is sent. Where the browser has no BarcodeDetector (Chromium on Linux,
Firefox, older phones), the photo chosen with the file input is sent with the form and the server reads its
QR code (channels.counters.scan); the photo is never stored. The lot code or serial may always be typed.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from catalog.access import producer_member_required
from channels.counters import reports, sales, scan, services
from channels.counters.errors import CodeOrPhotoMissing, CounterFieldError
from channels.counters.forms import ConsignForm, CounterForm, SaleForm
from channels.counters.models import Consignment, Counter, CounterSale
from core.access import admin_required, ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.idempotency import new_key
from core.ids import parse_id
from core.models import User
from core.pagination import paginate
from core.regions import get_region
from traceability.trace.lookup import find_batch

bp = Blueprint("counters", __name__, url_prefix="/channels/counters")

#: Consignments awaiting receipt shown on the desk (the oldest first).
PENDING_SHOWN = 50


def _user() -> User:
    """The signed-in user as a model object."""
    user: User = current_user._get_current_object()
    return user


def _own_counter(counter_id: int) -> Counter:
    """The counter (404), which the signed-in user must run (403)."""
    counter = get_or_404(Counter, counter_id)
    ensure(services.is_operator(_user(), counter))
    return counter


def _page() -> int:
    """The page asked for (1 when absent or malformed)."""
    return parse_id(request.args.get("page") or "") or 1


@bp.get("/")
def directory() -> ResponseReturnValue:
    """Where to buy the counties' products offline: the counters, halls, zones and fairs, newest first."""
    page = paginate(db_session, select(Counter).order_by(Counter.id.desc()), _page())
    return render_template("channels/counters/directory.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def open_counter() -> ResponseReturnValue:
    """Open a counter, hall, zone or fair (institution members, county offices, administrators)."""
    names = services.operator_names(db_session, _user())
    ensure(bool(names))
    form = CounterForm()
    form.set_operators(names)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("channels/counters/new.html", form=form), status
    region = get_region(db_session, str(form.region_code.data))
    if region is None:
        form.region_code.errors = [_("No region has this code.")]
        return render_template("channels/counters/new.html", form=form), 422
    data = services.CounterData(
        operator_name=str(form.operator_name.data),
        name=str(form.name.data),
        address=str(form.address.data),
        region=region,
        kind=form.chosen_kind(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
    )
    try:
        counter = services.open_counter(db_session, _user(), data)
    except CounterFieldError as exc:
        db_session.rollback()
        form.starts_on.errors = [str(exc)]
        return render_template("channels/counters/new.html", form=form), exc.status
    db_session.commit()
    return redirect(url_for(".desk", counter_id=counter.id))


@bp.get("/<id:counter_id>")
@login_required
def desk(counter_id: int) -> ResponseReturnValue:
    """The operator's desk: stock at the counter, consignments to receive, links to sell and to close."""
    counter = _own_counter(counter_id)
    pending = db_session.scalars(
        select(Consignment)
        .where(Consignment.counter_id == counter.id, Consignment.received_at.is_(None))
        .order_by(Consignment.id)
        .limit(PENDING_SHOWN)
    ).all()
    report = reports.closing_report(db_session, counter, shanghai_date())
    return render_template(
        "channels/counters/desk.html",
        counter=counter,
        pending=pending,
        report=report,
    )


@bp.route("/<id:counter_id>/consign", methods=["GET", "POST"])
@producer_member_required
def consign(counter_id: int) -> ResponseReturnValue:
    """A producer ships units of one of its lots to the counter (they leave the online stock)."""
    counter = get_or_404(Counter, counter_id)
    form = ConsignForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("channels/counters/consign.html", counter=counter, form=form), status
    batch = find_batch(db_session, str(form.lot.data))
    if batch is None:
        form.lot.errors = [_("No lot has this code.")]
        return render_template("channels/counters/consign.html", counter=counter, form=form), 422
    try:
        services.consign(db_session, _user(), counter, batch, int(form.quantity.data))
    except DomainError as exc:
        db_session.rollback()
        if exc.status == 403:
            abort(403)
        form.quantity.errors = [str(exc)]
        return render_template("channels/counters/consign.html", counter=counter, form=form), exc.status
    db_session.commit()
    flash(
        _(
            "Shipped to %(counter)s. The counter confirms receipt when the goods arrive.",
            counter=counter.name,
        ),
        "success",
    )
    return redirect(url_for(".consign", counter_id=counter.id))


@bp.post("/<id:counter_id>/consignments/<id:consignment_id>/receive")
@login_required
def receive(counter_id: int, consignment_id: int) -> ResponseReturnValue:
    """The operator confirms a consignment arrived: the lot's trail gains a receipt at the counter."""
    counter = _own_counter(counter_id)
    consignment = get_or_404(Consignment, consignment_id)
    if consignment.counter_id != counter.id:
        abort(404)
    services.receive(db_session, _user(), consignment)
    db_session.commit()
    flash(_("Received: the units are now in the counter's stock."), "success")
    return redirect(url_for(".desk", counter_id=counter.id))


def _sale_page(
    counter: Counter, form: SaleForm, status: int = 200, sold: CounterSale | None = None
) -> ResponseReturnValue:
    """The quick-sale page with a fresh key for the next sale."""
    form.key.data = new_key()
    return render_template("channels/counters/sell.html", counter=counter, form=form, sold=sold), status


@bp.route("/<id:counter_id>/sell", methods=["GET", "POST"])
@login_required
def sell(counter_id: int) -> ResponseReturnValue:
    """The quick sale on the counter's phone: scan or type the code, quantity, how it was paid."""
    counter = _own_counter(counter_id)
    if request.method == "GET":
        sold_id = parse_id(request.args.get("sold") or "")
        sold = db_session.get(CounterSale, sold_id) if sold_id else None
        if sold is not None and sold.counter_id != counter.id:
            sold = None
        return _sale_page(counter, SaleForm(formdata=None), sold=sold)
    form = SaleForm()
    if not form.validate_on_submit():
        return _sale_page(counter, form, 400)
    if not form.code.data:
        photo = form.chosen_photo()
        try:
            if photo is None:
                raise CodeOrPhotoMissing()
            text = scan.read_label_photo(photo.stream)
        except DomainError as exc:
            form.code.errors = [str(exc)]
            return _sale_page(counter, form, exc.status)
        if not form.use_code(text):
            return _sale_page(counter, form, 400)
    try:
        sale = sales.sell(db_session, _user(), counter, form.sale_input())
    except DomainError as exc:
        db_session.rollback()
        form.code.errors = [str(exc)]
        return _sale_page(counter, form, exc.status)
    db_session.commit()
    return redirect(url_for(".sell", counter_id=counter.id, sold=sale.id))


def _day() -> date:
    """The day asked for (``?day=YYYY-MM-DD``), today (Asia/Shanghai) when absent; 400 when malformed."""
    text = (request.args.get("day") or "").strip()
    if not text:
        return shanghai_date()
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        abort(400, _("Give the day as YYYY-MM-DD."))


@bp.get("/<id:counter_id>/closing")
@login_required
def closing(counter_id: int) -> ResponseReturnValue:
    """The day's closing report: sales by product and payment, counted or not, and the stock left."""
    counter = _own_counter(counter_id)
    report = reports.closing_report(db_session, counter, _day())
    return render_template("channels/counters/closing.html", counter=counter, report=report)


@bp.get("/leakage")
@admin_required
def leakage() -> ResponseReturnValue:
    """Per counter, sales that did not count toward assistance in a month (``?month=YYYY-MM``)."""
    text = (request.args.get("month") or "").strip()
    today = shanghai_date()
    try:
        first = datetime.strptime(text, "%Y-%m").date() if text else today.replace(day=1)
    except ValueError:
        abort(400, _("Give the month as YYYY-MM."))
    page = reports.leakage(db_session, first, _month_end(first), _page())
    return render_template("channels/counters/leakage.html", page=page, month=first)


def _month_end(first: date) -> date:
    """The last day of ``first``'s month."""
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
