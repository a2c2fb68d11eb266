"""After-sales pages: the buyer's form and request page, the producer's list and answers, the county
reviewer's arbitration queue. Load → check access → act (one service call) → commit once → redirect.

A request opens for its buyer, its producer's members, its county's reviewers and administrators (404 for
everyone else); each step then checks who may take it (403). Photos are served from here only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import producers_of
from catalog.images import ImageError, variant_path
from core.access import user_passes
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from core.transactions import run_unit_of_work
from orders.fulfilment.services import buyer_order
from oversight.aftersales import lists, steps
from oversight.aftersales.errors import AftersalesFieldError, TooManyPhotos
from oversight.aftersales.forms import ArbitrateForm, ConfirmForm, ProposeForm, RefuseForm, request_form
from oversight.aftersales.models import AftersalesKind, AftersalesRequest
from oversight.aftersales.photos import MAX_PHOTOS, delete_photos, folder, store_photo
from oversight.aftersales.services import (
    AftersalesInput,
    Windows,
    may_arbitrate,
    may_request,
    open_request,
    request_aftersales,
    requests_of,
)

bp = Blueprint("aftersales", __name__, url_prefix="/aftersales")

reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)
producer_member = user_passes(lambda user: bool(producers_of(user)))


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _windows() -> Windows:
    return Windows.from_config(current_app.config)


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _render_form(order: Any, form: Any, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    return render_template(
        "oversight/aftersales/form.html",
        order=order,
        form=form,
        allowed=may_request(order, _windows()),
        current=open_request(db_session, order),
        max_photos=MAX_PHOTOS,
        error=error,
    ), status


@bp.get("/orders/<number>/new")
@login_required
def new(number: str) -> ResponseReturnValue:
    """The buyer's after-sales form for one of their received orders (404 for anyone else's)."""
    order = buyer_order(db_session, _user(), number)
    return _render_form(order, request_form(order, formdata=None))


@bp.post("/orders/<number>/new")
@login_required
def create(number: str) -> ResponseReturnValue:
    """The buyer asks for after-sales: units, reason, photos."""
    order = buyer_order(db_session, _user(), number)
    form = request_form(order)
    if not form.validate_on_submit():
        return _render_form(order, form, 400)
    uploads = form.chosen_photos()
    if len(uploads) > MAX_PHOTOS:
        form.photos.errors = [str(TooManyPhotos(max=MAX_PHOTOS))]
        return _render_form(order, form, 400)
    keys: list[str] = []
    try:
        for upload in uploads:
            keys.append(store_photo(upload.stream, _upload_dir()))
        data = AftersalesInput(
            kind=AftersalesKind(form.kind.data),
            lines=form.chosen(order),
            reason=form.reason.data or "",
            photo_keys=keys,
        )
        made = request_aftersales(db_session, _user(), order, data, _windows())
        db_session.commit()
    except AftersalesFieldError as exc:
        db_session.rollback()
        delete_photos(_upload_dir(), keys)
        target = form._fields.get(exc.field)
        if target is None:
            return _render_form(order, form, exc.status, str(exc))
        target.errors = [*target.errors, str(exc)]
        return _render_form(order, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        delete_photos(_upload_dir(), keys)
        return _render_form(order, form, exc.status, str(exc))
    except BaseException:
        db_session.rollback()
        delete_photos(_upload_dir(), keys)
        raise
    flash(_("Request %(reference)s sent: the producer has been told.", reference=made.reference), "success")
    return redirect(url_for(".detail", request_id=made.id))


def _visible(request_id: int) -> AftersalesRequest:
    """A request the user may see (404 otherwise)."""
    found = get_or_404(AftersalesRequest, request_id)
    if not lists.may_see(current_user, found):
        abort(404)
    return found


def _render(
    found: AftersalesRequest, status: int = 200, error: str | None = None, **forms: Any
) -> ResponseReturnValue:
    return render_template(
        "oversight/aftersales/detail.html",
        req=found,
        history=lists.history(db_session, found),
        others=[r for r in requests_of(db_session, found.order) if r.id != found.id] if found.order else [],
        is_buyer=found.buyer_id == current_user.id,
        is_producer=found.producer in producers_of(current_user),
        is_arbiter=may_arbitrate(current_user, found),
        confirm_form=ConfirmForm(formdata=None),
        propose_form=forms.get("propose_form") or ProposeForm(formdata=None),
        refuse_form=forms.get("refuse_form") or RefuseForm(formdata=None),
        arbitrate_form=forms.get("arbitrate_form") or ArbitrateForm(formdata=None),
        error=error,
    ), status


@bp.get("/<id:request_id>")
@login_required
def detail(request_id: int) -> ResponseReturnValue:
    """One request: what was asked, its state, the answers open to the user, and its history."""
    return _render(_visible(request_id))


def _act(
    request_id: int, form: Any, name: str, work: Callable[[AftersalesRequest], object], done: str
) -> ResponseReturnValue:
    """Validate ``form``, run one step in one unit of work, then back to the request page."""
    found = _visible(request_id)
    if not form.validate_on_submit():
        return _render(found, 400, **{name: form})
    try:
        run_unit_of_work(lambda: work(found), db_session)
    except AftersalesFieldError as exc:
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
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/<id:request_id>/accept")
@login_required
def accept(request_id: int) -> ResponseReturnValue:
    """The producer accepts as asked."""
    return _act(
        request_id,
        ConfirmForm(),
        "confirm_form",
        lambda r: steps.accept(db_session, _user(), r),
        _("Accepted: the buyer has been told."),
    )


@bp.post("/<id:request_id>/propose")
@login_required
def propose(request_id: int) -> ResponseReturnValue:
    """The producer proposes a partial amount."""
    form = ProposeForm()
    return _act(
        request_id,
        form,
        "propose_form",
        lambda r: steps.propose(db_session, _user(), r, form.amount.data, form.reason.data, _windows()),
        _("Proposal sent: the buyer has been told."),
    )


@bp.post("/<id:request_id>/refuse")
@login_required
def refuse(request_id: int) -> ResponseReturnValue:
    """The producer refuses with a reason."""
    form = RefuseForm()
    return _act(
        request_id,
        form,
        "refuse_form",
        lambda r: steps.refuse(db_session, _user(), r, form.reason.data, _windows()),
        _("Refused: the buyer has been told."),
    )


@bp.post("/<id:request_id>/take")
@login_required
def take(request_id: int) -> ResponseReturnValue:
    """The buyer takes the producer's proposal."""
    return _act(
        request_id,
        ConfirmForm(),
        "confirm_form",
        lambda r: steps.take_proposal(db_session, _user(), r),
        _("Proposal taken."),
    )


@bp.post("/<id:request_id>/escalate")
@login_required
def escalate(request_id: int) -> ResponseReturnValue:
    """The buyer asks the county office to arbitrate."""
    return _act(
        request_id,
        ConfirmForm(),
        "confirm_form",
        lambda r: steps.escalate(db_session, _user(), r),
        _("Sent to the county office for arbitration."),
    )


@bp.post("/<id:request_id>/withdraw")
@login_required
def withdraw(request_id: int) -> ResponseReturnValue:
    """The buyer withdraws the request."""
    return _act(
        request_id,
        ConfirmForm(),
        "confirm_form",
        lambda r: steps.withdraw(db_session, _user(), r),
        _("Request withdrawn."),
    )


@bp.post("/<id:request_id>/arbitrate")
@login_required
def arbitrate(request_id: int) -> ResponseReturnValue:
    """The county reviewer decides an escalated request."""
    form = ArbitrateForm()
    return _act(
        request_id,
        form,
        "arbitrate_form",
        lambda r: steps.arbitrate(db_session, _user(), r, form.amount.data, form.reason.data),
        _("Arbitrated: both parties have been told."),
    )


@bp.get("/<id:request_id>/photos/<id:number>")
@login_required
def photo(request_id: int, number: int) -> ResponseReturnValue:
    """One of the request's photos (1–3), for those who see the request."""
    found = _visible(request_id)
    keys = found.photo_keys or []
    if not 1 <= number <= len(keys):
        abort(404)
    try:
        path = variant_path(folder(_upload_dir()), keys[number - 1], "full")
    except ImageError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/producer")
@producer_member
def producer_list() -> ResponseReturnValue:
    """Requests for the user's producers, open ones first."""
    ids = [p.id for p in producers_of(current_user)]
    page = lists.producer_page(db_session, ids, request.args.get("page", type=int) or 1)
    return render_template("oversight/aftersales/list.html", page=page, title=_("After-sales requests"))


@bp.get("/desk")
@reviewer_or_admin
def desk() -> ResponseReturnValue:
    """Escalated requests of the reviewer's counties (administrators: all), oldest first."""
    scope = None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]
    page = lists.arbitration_page(db_session, scope, request.args.get("page", type=int) or 1)
    return render_template("oversight/aftersales/list.html", page=page, title=_("After-sales to arbitrate"))
