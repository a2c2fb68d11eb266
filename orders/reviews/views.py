"""The producer's ratings: every rating of the member's producers, with a reply form under each.

Members of the rated producer reply (once; they may edit it); other signed-in users get 403, an unknown
rating 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member, producer_member_required
from core.access import ensure
from core.db import db_session
from core.errors import DomainError
from orders.models import Rating
from orders.reviews import services
from orders.reviews.forms import ReplyForm

bp = Blueprint("producer_ratings", __name__, url_prefix="/producer/ratings")


def _page_number() -> int:
    """The ``page`` query argument; anything unusable means the first page."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))


def _reply_form(rating_id: int, **kwargs: Any) -> ReplyForm:
    """A rating's reply form, its field named apart from the other ratings' on the page."""
    form = ReplyForm(**kwargs)
    form.text.id = form.text.label.field_id = f"reply-{rating_id}"
    return form


def render_index(
    status: int = 200, failed: tuple[int, ReplyForm] | None = None, error: str | None = None
) -> ResponseReturnValue:
    """The member's ratings page; ``failed`` keeps the form (and its errors) of a reply that was refused."""
    page = services.producer_ratings(db_session, current_user, _page_number())
    replies = services.replies_for(db_session, page.items)
    forms = {}
    for rating in page.items:
        reply = replies.get(rating.id)
        form = _reply_form(rating.id, formdata=None, data={"text": reply.text if reply else ""})
        forms[rating.id] = failed[1] if failed and failed[0] == rating.id else form
    context = {"page": page, "replies": replies, "forms": forms, "failed": failed[0] if failed else None}
    return render_template("orders/reviews/index.html", error=error, **context), status


@bp.get("/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The ratings of the member's producers, newest first, each with its reply (or a form to write one)."""
    return render_index()


@bp.post("/<id:rating_id>/reply")
@login_required
def reply(rating_id: int) -> ResponseReturnValue:
    """A member of the rated producer writes or edits the public reply to one rating."""
    rating: Rating | None = services.find_rating(db_session, rating_id)
    if rating is None:
        abort(404)
    ensure(is_member(current_user, rating.producer))
    form = _reply_form(rating.id)
    if not form.validate_on_submit():
        return render_index(400, (rating.id, form))
    try:
        services.reply_to_rating(db_session, current_user, rating, form.text.data)
    except DomainError as exc:
        db_session.rollback()
        return render_index(exc.status, (rating.id, form), str(exc))
    db_session.commit()
    flash(_("Your reply is published under the review."), "success")
    return redirect(url_for(".index", page=_page_number(), _anchor=f"rating-{rating.id}"))
