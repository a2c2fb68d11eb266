"""Public complaint pages: the report form (anyone, signed in or not), the private follow page, the
reporter's own list, and the public monthly figures.

The form is reached from the product, trace and order pages with the subject in the query string
(``?product=<id>``, ``?lot=<code>``, ``?order=<number>``). The follow link is shown once after submitting;
the follow page shows state, deadlines and outcome, never who handled it.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.ids import parse_id
from core.models import User
from core.regions import counties
from core.security import limiter
from core.urls import public_url_for
from oversight.complaints import figures as public_figures
from oversight.complaints import services as complaints
from oversight.complaints.errors import ComplaintFieldError, TooManyPhotos
from oversight.complaints.forms import ComplaintForm
from oversight.complaints.models import Complaint, ComplaintKind
from oversight.complaints.photos import MAX_PHOTOS, delete_photos, store_photo

bp = Blueprint("complaints", __name__, url_prefix="/oversight/complaints")

#: Where the follow token waits (in the signed session cookie) between the POST and the page showing it.
FOLLOW_KEY = "complaint_follow"


def _reporter() -> User | None:
    """The signed-in user as a model object, or None."""
    if not current_user.is_authenticated:
        return None
    user: User = current_user._get_current_object()
    return user


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _deadlines() -> complaints.Deadlines:
    config = current_app.config
    return complaints.Deadlines(
        int(config["COMPLAINT_ACKNOWLEDGE_WORKING_DAYS"]), int(config["COMPLAINT_DECIDE_WORKING_DAYS"])
    )


def _complaint_limit() -> str:
    return str(current_app.config["RATELIMIT_COMPLAINT"])


def _subject_of(form: ComplaintForm) -> complaints.Subject | None:
    """What the form's subject names, for the page to show (None when it names nothing yet)."""
    try:
        return complaints.resolve_subject(
            db_session,
            _reporter(),
            product_id=form.product.data,
            order_number=form.order.data,
            lot_code=form.lot.data,
        )
    except DomainError:
        return None


def _render_form(form: ComplaintForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "oversight/complaints/form.html", form=form, subject=_subject_of(form), max_photos=MAX_PHOTOS
    ), status


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_complaint_limit, methods=["POST"])
def report() -> ResponseReturnValue:
    """Report a problem with a product, an order or a lot (anyone; anonymous with a contact)."""
    if request.method == "GET":
        return _render_form(ComplaintForm(formdata=None, data=_prefill()))
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _render_form(form, 400)
    uploads = form.chosen_photos()
    if len(uploads) > MAX_PHOTOS:
        form.photos.errors = [str(TooManyPhotos(max=MAX_PHOTOS))]
        return _render_form(form, 400)
    keys: list[str] = []
    try:
        for upload in uploads:
            keys.append(store_photo(upload.stream, _upload_dir()))
        complaint, raw = complaints.file_complaint(
            db_session, _reporter(), form.complaint_input(keys), _deadlines()
        )
        db_session.commit()
    except ComplaintFieldError as exc:
        db_session.rollback()
        delete_photos(_upload_dir(), keys)
        target = form._fields.get(exc.field) or form.description
        target.errors = [*target.errors, str(exc)]
        return _render_form(form, exc.status)
    except BaseException:
        db_session.rollback()
        delete_photos(_upload_dir(), keys)
        raise
    session[FOLLOW_KEY] = {"token": raw, "reference": complaint.reference}
    return redirect(url_for(".submitted"))


def _prefill() -> dict[str, object]:
    """The subject (and kind) from the query string, when well formed; anything else is left out."""
    data: dict[str, object] = {}
    product_id = parse_id(request.args.get("product") or "")
    if product_id is not None:
        data["product"] = product_id
    for name in ("order", "lot"):
        value = (request.args.get(name) or "").strip()
        if value and len(value) <= 20 and value.isascii() and value.replace("-", "").isalnum():
            data[name] = value
    kind = request.args.get("kind") or ""
    if kind in {k.value for k in ComplaintKind}:
        data["kind"] = kind
    return data


@bp.get("/submitted")
def submitted() -> ResponseReturnValue:
    """The private follow link of the complaint just filed, shown once."""
    shown = session.pop(FOLLOW_KEY, None)
    link = reference = None
    if isinstance(shown, dict) and isinstance(shown.get("token"), str):
        link = public_url_for("complaints.follow", token=shown["token"])
        reference = str(shown.get("reference") or "")
    response = current_app.make_response(
        render_template("oversight/complaints/submitted.html", link=link, reference=reference)
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _follow_page(complaint: Complaint) -> ResponseReturnValue:
    response = current_app.make_response(
        render_template("oversight/complaints/follow.html", complaint=complaint)
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/follow/<token>")
def follow(token: str) -> ResponseReturnValue:
    """The complaint's state, deadlines and outcome, for whoever holds its private link (404 otherwise)."""
    complaint = complaints.find_by_token(db_session, token)
    if complaint is None:
        abort(404)
    return _follow_page(complaint)


@bp.get("/mine")
@login_required
def mine() -> ResponseReturnValue:
    """The signed-in reporter's complaints."""
    reporter: User = current_user._get_current_object()
    return render_template(
        "oversight/complaints/mine.html", complaints=complaints.complaints_of(db_session, reporter)
    )


@bp.get("/mine/<id:complaint_id>")
@login_required
def mine_detail(complaint_id: int) -> ResponseReturnValue:
    """One of the signed-in reporter's complaints (403 for anyone else's)."""
    complaint = get_or_404(Complaint, complaint_id)
    if complaint.reporter_id != current_user.id:
        abort(403)
    return _follow_page(complaint)


@bp.get("/")
def figures() -> ResponseReturnValue:
    """Public figures: received, handled on time and outcomes, per county and month (at most 12 months)."""
    current = public_figures.month_number(shanghai_date())
    first, last = public_figures.bounded_range(
        public_figures.parse_month(request.args.get("month_from")),
        public_figures.parse_month(request.args.get("month_to")),
        current,
    )
    all_counties = counties(db_session)
    county_id = parse_id(request.args.get("county") or "")
    county = next((c for c in all_counties if c.id == county_id), None)
    rows = public_figures.monthly_figures(db_session, first, last, county.id if county else None)
    return render_template(
        "oversight/complaints/figures.html",
        rows=rows,
        counties=all_counties,
        county=county,
        month_from=f"{first // 100:04d}-{first % 100:02d}",
        month_to=f"{last // 100:04d}-{last % 100:02d}",
    )
