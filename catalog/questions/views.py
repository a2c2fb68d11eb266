"""Questions: a signed-in buyer asks on a product page, the product's answered questions page, the producer's
questions page where members answer (and edit), hiding an abusive question and showing it again, and the
county reviewers' list of their counties' questions.

Members of the product's producer answer (others get 403, an unknown question 404); the producer's members,
the county's reviewers and admins hide and show again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member, producer_member_required
from catalog.products.models import Product
from catalog.public import catalog_stamp
from catalog.questions import services
from catalog.questions.forms import AnswerForm, AskForm, HideForm, UnhideForm
from catalog.questions.models import Question, QuestionState
from core import http_cache
from core.access import ensure, user_passes
from core.db import db_session
from core.errors import DomainError, error_response
from core.pagination import Page
from core.security import limiter

bp = Blueprint("questions", __name__)

#: The producer's page and the reviewers' list: questions waiting for an answer, answered ones (to edit the
#: answer), hidden ones (to show again).
TABS = tuple(state.value for state in QuestionState)

#: Reviewers (of any county) and administrators; each reviewer sees their own counties' questions.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _question_limit() -> str:
    """The rate limit on asking (like the other public forms)."""
    return str(current_app.config["RATELIMIT_QUESTION"])


def _page_number() -> int:
    """The ``page`` query argument; anything unusable means the first page."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))


def _tab() -> str:
    """The ``status`` query argument when it names a tab; anything else means questions to answer."""
    status = request.args.get("status", "open")
    return status if status in TABS else "open"


def _product_or_404(product_id: int) -> Product:
    """The visible product, or 404."""
    product = services.find_visible_product(db_session, product_id)
    if product is None:
        abort(404)
    return product


def _question_or_404(question_id: int) -> Question:
    """The question, or 404 (also for a hidden one: it is shown nowhere)."""
    question = services.find_question(db_session, question_id)
    if question is None or question.is_hidden:
        abort(404)
    return question


@bp.post("/products/<id:product_id>/questions")
@login_required
@limiter.limit(_question_limit)
def ask(product_id: int) -> ResponseReturnValue:
    """A signed-in user asks the producer a public question about a visible product."""
    product = _product_or_404(product_id)
    form = AskForm()
    if not form.validate_on_submit():
        return render_template("catalog/questions/ask.html", product=product, form=form), 400
    try:
        services.ask_question(db_session, current_user, product, form.text.data)
    except DomainError as exc:
        db_session.rollback()
        form.text.errors = [str(exc)]
        return render_template("catalog/questions/ask.html", product=product, form=form), exc.status
    db_session.commit()
    flash(_("Your question is sent to the producer. You will be told when they answer."), "success")
    return redirect(url_for("catalog.product", product_id=product.id, _anchor="questions"))


@bp.get("/products/<id:product_id>/questions")
def product_questions(product_id: int) -> ResponseReturnValue:
    """All answered questions of a visible product, newest answer first, a page at a time."""
    product = _product_or_404(product_id)
    number = _page_number()

    def render() -> ResponseReturnValue:
        items = services.answered_questions(db_session, product.id, number, services.PER_PAGE)
        total = services.answered_count(db_session, product.id)
        page: Page[Any] = Page(items=list(items), page=number, per_page=services.PER_PAGE, total=total)
        may_hide = current_user.is_authenticated and services.may_hide_for(current_user, product)
        hide_form = HideForm(formdata=None) if may_hide else None
        return render_template(
            "catalog/questions/product.html", product=product, page=page, hide_form=hide_form
        )

    return http_cache.respond(
        lambda: (
            *catalog_stamp(db_session),
            product.id,
            number,
            *services.product_stamp(db_session, product.id),
        ),
        render,
    )


@bp.get("/producer/questions/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The questions about the member's producers' products, newest first: to answer, or answered."""
    return render_index()


def render_index(
    status: int = 200, failed: tuple[int, AnswerForm] | None = None, error: str | None = None
) -> ResponseReturnValue:
    """The member's questions page; ``failed`` keeps the form (and errors) of an answer that was refused."""
    tab = _tab()
    page = services.producer_questions(db_session, current_user, QuestionState(tab), _page_number())
    forms = {}
    for question in page.items:
        form = _answer_form(question.id, formdata=None, data={"text": question.answer or ""})
        forms[question.id] = failed[1] if failed and failed[0] == question.id else form
    return render_template(
        "catalog/questions/index.html",
        page=page,
        tab=tab,
        forms=forms,
        hide_form=HideForm(formdata=None),
        unhide_form=UnhideForm(formdata=None),
        failed=failed[0] if failed else None,
        error=error,
    ), status


def _answer_form(question_id: int, **kwargs: Any) -> AnswerForm:
    """A question's answer form, its field named apart from the other questions' on the page."""
    form = AnswerForm(**kwargs)
    form.text.id = form.text.label.field_id = f"answer-{question_id}"
    return form


@bp.post("/producer/questions/<id:question_id>/answer")
@login_required
def answer(question_id: int) -> ResponseReturnValue:
    """A member of the product's producer answers a question, or edits the answer."""
    question = _question_or_404(question_id)
    ensure(is_member(current_user, question.producer))
    form = _answer_form(question.id)
    if not form.validate_on_submit():
        return render_index(400, (question.id, form))
    try:
        services.answer_question(db_session, current_user, question, form.text.data)
    except DomainError as exc:
        db_session.rollback()
        return render_index(exc.status, (question.id, form), str(exc))
    db_session.commit()
    flash(_("Your answer is published on the product page."), "success")
    return redirect(url_for(".index", status=_tab(), page=_page_number()))


@bp.post("/questions/<id:question_id>/hide")
@login_required
def hide(question_id: int) -> ResponseReturnValue:
    """The producer's member, the county's reviewer or an admin hides an abusive question, with a reason."""
    question = _question_or_404(question_id)
    ensure(services.may_hide(current_user, question))
    form = HideForm()
    if not form.validate_on_submit():
        message = "; ".join(str(e) for e in form.reason.errors) or _("Say why the question is hidden.")
        return error_response(400, message)
    services.hide_question(db_session, current_user, question, form.reason.data)
    db_session.commit()
    flash(_("The question is hidden."), "success")
    return _back_from_moderation(question)


@bp.post("/questions/<id:question_id>/unhide")
@login_required
def unhide(question_id: int) -> ResponseReturnValue:
    """Whoever may hide a question shows a hidden one again (404 for an unknown question, 409 for a shown
    one)."""
    question = services.find_question(db_session, question_id)
    if question is None:
        abort(404)
    ensure(services.may_hide(current_user, question))
    if not UnhideForm().validate_on_submit():
        return error_response(400)
    try:
        services.unhide_question(db_session, current_user, question)
    except DomainError as exc:
        return error_response(exc.status, str(exc))
    db_session.commit()
    flash(_("The question is shown again."), "success")
    return _back_from_moderation(question)


def _back_from_moderation(question: Question) -> ResponseReturnValue:
    """Where hiding or showing a question again returns: the reviewers' list it was done from, the member's
    questions page, or the product's questions."""
    if request.args.get("back") == "review" and (current_user.is_reviewer or current_user.is_admin):
        return redirect(url_for(".review_list", status=_tab(), page=_page_number()))
    if is_member(current_user, question.producer):
        return redirect(url_for(".index", status=_tab()))
    return redirect(url_for(".product_questions", product_id=question.product_id))


@bp.get("/review/questions")
@reviewer_or_admin
def review_list() -> ResponseReturnValue:
    """The questions about products of the reviewer's counties (admins: every county), newest first, by
    state: waiting for an answer, answered, hidden."""
    tab = _tab()
    scope = None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]
    page = services.review_questions(db_session, scope, QuestionState(tab), _page_number())
    return render_template(
        "catalog/questions/review.html",
        page=page,
        tab=tab,
        hide_form=HideForm(formdata=None),
        unhide_form=UnhideForm(formdata=None),
    )
