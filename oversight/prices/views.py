"""Price monitoring pages: the county reviewer's queue of price alerts and each alert with its price history
chart and actions; the producer's own alerts and answer; the reference prices (one at a time or a CSV).
Load → check access → act (one service call) → commit once → redirect.

An alert opens for its county's reviewers, administrators and its producer's members (404 for everyone
else); each action then checks who may take it (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member, producers_of
from catalog.products.models import Category, Unit
from core.access import user_passes
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import Region, User
from core.transactions import run_unit_of_work
from oversight.prices import lists, reference_csv, references, review
from oversight.prices.alerts import Thresholds, references_for
from oversight.prices.chart import price_chart
from oversight.prices.errors import ImportRefused, PriceFieldError
from oversight.prices.forms import AskForm, CorrectedForm, DismissForm, ExplainForm, ImportForm, ReferenceForm
from oversight.prices.history import recent_changes
from oversight.prices.models import AlertStatus, PriceAlert, ReferenceSource

bp = Blueprint("prices", __name__, url_prefix="/oversight/prices")

reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)
producer_member = user_passes(lambda user: bool(producers_of(user)))


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _thresholds() -> Thresholds:
    return Thresholds.from_config(current_app.config)


def _page() -> int:
    return request.args.get("page", type=int) or 1


@bp.get("/")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Price alerts of the reviewer's counties (administrators: all), the active ones unless a state is
    chosen, newest first."""
    try:
        status = AlertStatus(request.args["status"]) if request.args.get("status") else None
    except ValueError:
        abort(400)
    scope = None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]
    page = lists.queue_page(db_session, scope, status, _page())
    return render_template(
        "oversight/prices/queue.html", page=page, status=status, statuses=list(AlertStatus)
    )


@bp.get("/mine")
@producer_member
def mine() -> ResponseReturnValue:
    """The price alerts of the user's producers, newest first."""
    ids = [p.id for p in producers_of(current_user)]
    return render_template("oversight/prices/mine.html", page=lists.producer_page(db_session, ids, _page()))


def _visible(alert_id: int) -> PriceAlert:
    """An alert the user may see (404 otherwise)."""
    found = get_or_404(PriceAlert, alert_id)
    if not review.may_see(current_user, found):
        abort(404)
    return found


def _render(
    found: PriceAlert, status: int = 200, error: str | None = None, **forms: Any
) -> ResponseReturnValue:
    changes = recent_changes(db_session, found.product_id)
    reference = references_for(db_session, [found.product]).get(found.product_id)
    return render_template(
        "oversight/prices/detail.html",
        alert=found,
        changes=list(reversed(changes)),
        chart=price_chart(changes, found.compared_fen),
        reference=reference,
        is_handler=review.may_handle(current_user, found),
        is_producer=is_member(current_user, found.producer),
        dismiss_form=forms.get("dismiss_form") or DismissForm(formdata=None),
        ask_form=forms.get("ask_form") or AskForm(formdata=None),
        corrected_form=forms.get("corrected_form") or CorrectedForm(formdata=None),
        explain_form=forms.get("explain_form") or ExplainForm(formdata=None),
        error=error,
    ), status


@bp.get("/<id:alert_id>")
@login_required
def detail(alert_id: int) -> ResponseReturnValue:
    """One alert: the price questioned, its history chart, the exchange with the producer, the actions."""
    return _render(_visible(alert_id))


def _act(
    alert_id: int, form: Any, name: str, work: Callable[[PriceAlert], object], done: str
) -> ResponseReturnValue:
    """Validate ``form``, run one step in one unit of work, then back to the alert's page."""
    found = _visible(alert_id)
    if not form.validate_on_submit():
        return _render(found, 400, **{name: form})
    try:
        run_unit_of_work(lambda: work(found), db_session)
    except PriceFieldError as exc:
        db_session.rollback()
        target = form._fields.get(exc.field)
        if target is None:
            return _render(found, exc.status, str(exc), **{name: form})
        target.errors = [*target.errors, str(exc)]
        return _render(found, exc.status, **{name: form})
    except DomainError as exc:
        db_session.rollback()
        return _render(found, exc.status, str(exc), **{name: form})
    flash(done, "success")
    return redirect(url_for(".detail", alert_id=alert_id))


@bp.post("/<id:alert_id>/dismiss")
@login_required
def dismiss(alert_id: int) -> ResponseReturnValue:
    """The reviewer dismisses the alert with a reason."""
    form = DismissForm()
    return _act(
        alert_id,
        form,
        "dismiss_form",
        lambda a: review.dismiss(db_session, _user(), a, form.reason.data, utcnow()),
        _("Alert dismissed."),
    )


@bp.post("/<id:alert_id>/ask")
@login_required
def ask(alert_id: int) -> ResponseReturnValue:
    """The reviewer asks the producer to explain the price."""
    form = AskForm()
    return _act(
        alert_id,
        form,
        "ask_form",
        lambda a: review.ask(db_session, _user(), a, form.question.data, utcnow()),
        _("Question sent: the producer has been told."),
    )


@bp.post("/<id:alert_id>/corrected")
@login_required
def corrected(alert_id: int) -> ResponseReturnValue:
    """The reviewer marks the price as corrected."""
    form = CorrectedForm()
    return _act(
        alert_id,
        form,
        "corrected_form",
        lambda a: review.mark_corrected(db_session, _user(), a, form.reason.data, utcnow()),
        _("Alert marked as corrected."),
    )


@bp.post("/<id:alert_id>/explain")
@login_required
def explain(alert_id: int) -> ResponseReturnValue:
    """The producer answers the reviewer's question."""
    form = ExplainForm()
    return _act(
        alert_id,
        form,
        "explain_form",
        lambda a: review.explain(db_session, _user(), a, form.explanation.data, utcnow()),
        _("Answer sent to the county office."),
    )


def _render_references(
    status: int = 200, error: str | None = None, rows: list[tuple[int, str]] | None = None, **forms: Any
) -> ResponseReturnValue:
    user = _user()
    scope = None if user.is_admin else [c.id for c in user.reviewer_counties]
    return render_template(
        "oversight/prices/references.html",
        page=references.references_page(db_session, scope, _page()),
        reference_form=forms.get("reference_form") or ReferenceForm(user, formdata=None),
        import_form=forms.get("import_form") or ImportForm(user, formdata=None),
        error=error,
        rows=rows or [],
    ), status


@bp.get("/references")
@reviewer_or_admin
def reference_list() -> ResponseReturnValue:
    """The reference prices of the reviewer's counties and the platform's, with the forms to set them."""
    return _render_references()


def _county(county_id: int | None) -> Region | None:
    return db_session.get(Region, county_id) if county_id is not None else None


@bp.post("/references")
@reviewer_or_admin
def set_reference() -> ResponseReturnValue:
    """Set one reference price for a category and unit in a county (or everywhere)."""
    form = ReferenceForm(_user())
    if not form.validate_on_submit():
        return _render_references(400, reference_form=form)
    data = references.ReferenceInput(
        category=Category(form.category.data), unit=Unit(form.unit.data), price_fen=form.price.data or 0
    )
    county = _county(form.county_id())

    def work() -> object:
        return references.set_reference(
            db_session, _user(), county, data, ReferenceSource.REVIEWER, _thresholds(), utcnow()
        )

    try:
        run_unit_of_work(work, db_session)
    except DomainError as exc:
        db_session.rollback()
        return _render_references(exc.status, str(exc), reference_form=form)
    flash(_("Reference price saved; the products it applies to were checked."), "success")
    return redirect(url_for(".reference_list"))


@bp.post("/references/import")
@reviewer_or_admin
def import_references() -> ResponseReturnValue:
    """Import a CSV of market prices as reference prices: all rows or none."""
    form = ImportForm(_user())
    if not form.validate_on_submit():
        return _render_references(400, import_form=form)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", None):
        return _render_references(400, _("Choose a CSV file to import."), import_form=form)
    county_id = form.county_id()

    def work() -> int:
        upload.stream.seek(0)  # a retried unit of work reads the file again
        rows = reference_csv.read_upload(db_session, upload.stream, county_id)
        made = references.set_references(
            db_session, _user(), _county(county_id), rows, _thresholds(), utcnow()
        )
        return len(made)

    try:
        count = run_unit_of_work(work, db_session)
    except ImportRefused as exc:
        db_session.rollback()
        return _render_references(exc.status, str(exc), exc.rows, import_form=form)
    except DomainError as exc:
        db_session.rollback()
        return _render_references(exc.status, str(exc), import_form=form)
    flash(_("%(count)s reference prices imported.", count=count), "success")
    return redirect(url_for(".reference_list"))
