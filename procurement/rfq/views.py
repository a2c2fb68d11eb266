"""Requests for quotation: institutions ask producers, producers quote, a quote becomes a purchase order.

Members of the sending institution see its requests (others get 404); its buyers send, close and accept.
Members of an invited producer see and answer their quote (others get 404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from catalog.access import producer_member_required
from core.access import ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session
from core.errors import DomainError
from core.idempotency import new_key
from core.ids import query_id
from core.transactions import run_unit_of_work
from orders.addresses import AddressInvalid
from procurement.institutions.models import InstitutionRole
from procurement.ordering.errors import DeliveryDateInvalid, UnknownFundingSource
from procurement.ordering.models import (
    FundingSource,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
)
from procurement.ordering.services import Delivery, has_role
from procurement.rfq import answers, errors, forms, queries
from procurement.rfq import services as service

bp = Blueprint("rfq", __name__, url_prefix="/rfq")

#: Which form field shows each domain error (the first of the names the form has; else above the form).
FIELD_OF: dict[type[DomainError], tuple[str, ...]] = {
    errors.ItemRequired: ("item",),
    errors.ProductNotListed: ("product_id",),
    errors.QuantityOutOfRange: ("quantity",),
    errors.UnitInvalid: ("unit",),
    errors.DateOutOfRange: ("wanted_by", "delivery_date"),
    errors.NoProducerChosen: ("producers",),
    errors.TooManyProducers: ("producers",),
    errors.ProducerNotApproved: ("producers",),
    errors.ProductNotTheirs: ("product_id",),
    errors.ProductNotCertified: ("product_id",),
    errors.PriceOutOfRange: ("unit_price",),
    DeliveryDateInvalid: ("delivery_date",),
    UnknownFundingSource: ("funding_source",),
}

institution_member_required = user_passes(lambda user: bool(getattr(user, "institution_memberships", [])))


def show_error(form: FlaskForm, exc: DomainError) -> str | None:
    """Put a domain error on the form field it concerns; return its message when it concerns none."""
    if isinstance(exc, AddressInvalid):
        for field_name, message in exc.errors.items():
            form[field_name].errors = [*form[field_name].errors, message]
        return None
    name = next((n for n in FIELD_OF.get(type(exc), ()) if n in form), None)
    if name is None:
        return str(exc)
    form[name].errors = [*form[name].errors, str(exc)]
    return None


def load_request(number: str) -> QuoteRequest:
    """The request numbered ``number``: 404 unless the user is a member of the institution that sent it."""
    rfq = queries.find_request(db_session, number)
    if rfq is None or not queries.is_party(current_user, rfq):
        abort(404)
    return rfq


def load_quote(quote_id: int) -> Quote:
    """The quote ``quote_id``: 404 unless the user acts for the producer it was asked of."""
    quote = db_session.get(Quote, quote_id)
    if quote is None or not queries.acts_for(current_user, quote):
        abort(404)
    return quote


@bp.get("/")
@institution_member_required
def index() -> ResponseReturnValue:
    """The requests of the user's institutions, newest first."""
    page = queries.requests_for(db_session, current_user, request.args.get("page", type=int) or 1)
    may_send = bool(queries.buying_institutions(current_user))
    return render_template("procurement/rfq/index.html", page=page, may_send=may_send)


def render_new(form: forms.RequestForm, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The new-request page: the request, the producer search and the producers to ask (chosen first)."""
    chosen_ids = [pid for pid in (form.producers.data or []) if isinstance(pid, int)]
    chosen = forms.producers_by_id(db_session, chosen_ids)
    found = forms.find_producers(db_session, form.q.data, form.county.data)
    listed = chosen + [p for p in found if p.id not in set(chosen_ids)]
    products = forms.listed_products(db_session, [p.id for p in listed], form.product_id.data)
    form.product_id.choices = [("", _("None: describe the item above"))] + [
        forms.product_choice(p) for p in products
    ]
    context: dict[str, Any] = {
        "form": form,
        "error": error,
        "producers": listed,
        "chosen_ids": set(chosen_ids),
        "searched": bool(form.q.data or form.county.data),
        "max_producers": service.MAX_PRODUCERS,
    }
    return render_template("procurement/rfq/new.html", **context), status


@bp.route("/new", methods=["GET", "POST"])
@user_passes(lambda user: bool(queries.buying_institutions(user)))
def new() -> ResponseReturnValue:
    """Write a request for quotation and choose the producers to ask (a search that works without JS)."""
    institutions = queries.buying_institutions(current_user)
    form = forms.request_form([(i.id, i.name) for i in institutions], forms.producer_counties(db_session))
    if request.method == "GET":
        _prefill_request(form)
        return render_new(form)
    if not form.send.data:  # "search producers": show the results, keep what was typed, write nothing
        return render_new(form)
    if not form.validate_on_submit():
        return render_new(form, status=400)
    institution = next((i for i in institutions if i.id == form.institution_id.data), None)
    if institution is None:
        abort(403)
    data = service.RequestData(
        item=form.item.data or "",
        product_id=form.product_id.data,
        quantity=int(form.quantity.data or 0),
        unit=form.unit.data or "",
        wanted_by=form.wanted_by.data,
        note=form.note.data,
        producer_ids=form.producers.data or [],
    )
    try:
        rfq = service.create_request(db_session, current_user, institution, data)
    except DomainError as exc:
        db_session.rollback()
        return render_new(form, show_error(form, exc), exc.status)
    db_session.commit()
    flash(
        _("Request %(number)s sent to %(count)s producers.", number=rfq.number, count=len(rfq.quotes)),
        "success",
    )
    return redirect(url_for(".detail", number=rfq.number))


def _prefill_request(form: forms.RequestForm) -> None:
    """A fresh form: two weeks ahead, kg, and the product named in ``?product=`` (its producer chosen)."""
    form.institution_id.data = form.institution_id.choices[0][0]
    form.wanted_by.data = shanghai_date() + timedelta(days=14)
    form.unit.data = "kg"
    product = forms.listed_product(db_session, query_id("product"))
    if product is not None:
        form.product_id.data, form.unit.data = product.id, product.unit.value
        form.producers.data = [product.producer_id]


@bp.get("/<number>")
@login_required
def detail(number: str) -> ResponseReturnValue:
    """The request and its quotes side by side; buyers accept one or close the request."""
    rfq = load_request(number)
    context = {
        "rfq": rfq,
        "purchase": queries.purchase_of(db_session, rfq),
        "lowest": queries.lowest_price(rfq),
        "quotes": queries.compared_quotes(rfq),
        "is_buyer": has_role(current_user, rfq.institution, InstitutionRole.BUYER),
        "close_form": forms.CloseForm(formdata=None),
    }
    return render_template("procurement/rfq/detail.html", **context)


@bp.post("/<number>/close")
@login_required
def close(number: str) -> ResponseReturnValue:
    """Close an open request without accepting a quote (buyers only)."""
    rfq = load_request(number)
    if not forms.CloseForm().validate_on_submit():
        abort(400)
    service.close_request(db_session, current_user, rfq)
    db_session.commit()
    flash(_("Request %(number)s closed.", number=rfq.number), "info")
    return redirect(url_for(".detail", number=rfq.number))


def _prefill_accept(form: forms.AcceptForm, rfq: QuoteRequest, quote: Quote) -> None:
    """A fresh idempotency key, the quote's date, budget funds and the institution's last address."""
    form.idempotency_key.data = new_key()
    form.delivery_date.data = quote.delivery_date
    form.funding_source.data = FundingSource.BUDGET.value
    address = queries.last_address(db_session, rfq.institution)
    if address is not None:
        form.recipient.data, form.mobile.data = address.recipient, address.mobile
        form.province.data, form.city.data = address.province_code, address.city
        form.district.data, form.detail.data = address.district, address.detail


@bp.route("/<number>/quotes/<id:quote_id>/accept", methods=["GET", "POST"])
@login_required
def accept(number: str, quote_id: int) -> ResponseReturnValue:
    """Accept one quote: delivery address and date, funding source → a purchase order at the quoted price."""
    rfq = load_request(number)
    quote = next((q for q in rfq.quotes if q.id == quote_id), None)
    if quote is None:
        abort(404)
    ensure(has_role(current_user, rfq.institution, InstitutionRole.BUYER))
    form = forms.accept_form()
    error, status = None, 200
    if request.method == "GET":
        if rfq.status is not QuoteRequestStatus.OPEN or quote.status is not QuoteStatus.ANSWERED:
            flash(_("This quote cannot be accepted any more."), "warning")
            return redirect(url_for(".detail", number=rfq.number))
        _prefill_accept(form, rfq, quote)
    elif not form.validate_on_submit():
        status = 400
    else:
        try:
            purchase = run_unit_of_work(lambda: _accept(form, quote), db_session)
        except DomainError as exc:
            db_session.rollback()
            error, status = show_error(form, exc), exc.status
        else:
            flash(_("Quote accepted: purchase order %(number)s.", number=purchase.number), "success")
            return redirect(url_for("purchase_orders.order_detail", number=purchase.number))
    return render_template(
        "procurement/rfq/accept.html", rfq=rfq, quote=quote, form=form, error=error
    ), status


def _accept(form: forms.AcceptForm, quote: Quote) -> Any:
    """Call the accept service with the form's values."""
    address = form.address()
    delivery = Delivery(address, form.delivery_date.data)
    return service.accept_quote(
        db_session,
        current_user._get_current_object(),  # a plain User for the service
        quote,
        delivery,
        form.funding_source.data or "",
        form.idempotency_key.data or "",
        note=form.note.data,
    )


# --- the producer's side -----------------------------------------------------------------------------------


@bp.get("/inbox")
@producer_member_required
def inbox() -> ResponseReturnValue:
    """Requests sent to the producers the user acts for, newest first."""
    page = queries.inbox_for(db_session, current_user, request.args.get("page", type=int) or 1)
    return render_template("procurement/rfq/inbox.html", page=page)


def render_quote(
    quote: Quote,
    answer_form: forms.AnswerForm | None = None,
    decline_form: forms.DeclineForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The producer's page of one quote: the request, the answer form and the decline form."""
    products = forms.quotable_products(quote.producer, shanghai_date())
    if answer_form is None:
        answer_form = forms.AnswerForm(formdata=None)
        _prefill_answer(answer_form, quote, products)
    answer_form.product_id.choices = [forms.product_choice(p) for p in products]
    purchase = (
        queries.purchase_of(db_session, quote.request) if quote.status is QuoteStatus.ACCEPTED else None
    )
    context = {
        "quote": quote,
        "rfq": quote.request,
        "form": answer_form,
        "decline_form": decline_form or forms.DeclineForm(formdata=None),
        "has_products": bool(products),
        "may_answer": quote.request.status is QuoteRequestStatus.OPEN and quote.status in answers.REVISABLE,
        "supplier_orders": [o for o in purchase.supplier_orders if o.producer_id == quote.producer_id]
        if purchase
        else [],
        "error": error,
    }
    return render_template("procurement/rfq/quote.html", **context), status


def _prefill_answer(form: forms.AnswerForm, quote: Quote, products: list[Any]) -> None:
    """The current answer, else the request's quantity and date and its product when it is theirs."""
    rfq = quote.request
    if quote.status is QuoteStatus.ANSWERED or quote.unit_price_fen:
        form.product_id.data, form.unit_price.data = quote.product_id, quote.unit_price_fen
        form.quantity.data, form.delivery_date.data, form.note.data = (
            quote.quantity,
            quote.delivery_date,
            quote.note,
        )
        return
    form.quantity.data, form.delivery_date.data = rfq.quantity, rfq.wanted_by
    if any(p.id == rfq.product_id for p in products):
        form.product_id.data = rfq.product_id


@bp.route("/quotes/<id:quote_id>", methods=["GET", "POST"])
@login_required
def quote(quote_id: int) -> ResponseReturnValue:
    """See a request sent to the user's producer and answer it (or revise the answer while it is open)."""
    current = load_quote(quote_id)
    if request.method == "GET":
        return render_quote(current)
    form = forms.AnswerForm()
    form.product_id.choices = [
        forms.product_choice(p) for p in forms.quotable_products(current.producer, shanghai_date())
    ]
    if not form.validate_on_submit():
        return render_quote(current, form, status=400)
    data = answers.AnswerData(
        product_id=int(form.product_id.data or 0),
        unit_price_fen=int(form.unit_price.data or 0),
        quantity=int(form.quantity.data or 0),
        delivery_date=form.delivery_date.data,
        note=form.note.data,
    )
    try:
        answers.answer_quote(db_session, current_user, current, data)
    except DomainError as exc:
        db_session.rollback()
        return render_quote(current, form, error=show_error(form, exc), status=exc.status)
    db_session.commit()
    flash(
        _("Your quote was sent to %(institution)s.", institution=current.request.institution.name), "success"
    )
    return redirect(url_for(".quote", quote_id=current.id))


@bp.post("/quotes/<id:quote_id>/decline")
@login_required
def decline(quote_id: int) -> ResponseReturnValue:
    """Decline a request, with a reason the buyer sees."""
    current = load_quote(quote_id)
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        return render_quote(current, decline_form=form, status=400)
    try:
        answers.decline_quote(db_session, current_user, current, form.reason.data or "")
    except DomainError as exc:
        db_session.rollback()
        return render_quote(current, decline_form=form, error=str(exc), status=exc.status)
    db_session.commit()
    flash(_("You declined request %(number)s.", number=current.request.number), "info")
    return redirect(url_for(".quote", quote_id=current.id))
