"""Questions: asked by a signed-in user on a visible product, answered (once, then edited) by the producer's
members, hidden when abusive; the product page's list of answered questions and its version stamp.

Services take the session (and the acting user), raise named domain errors, flush but never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog.access import is_member, producers_of
from catalog.eligibility import visible_products
from catalog.products.models import Product
from catalog.questions import notices
from catalog.questions.errors import (
    InvalidAnswer,
    InvalidHideReason,
    InvalidQuestion,
    MayNotHide,
    NotQuestionProducer,
    QuestionHidden,
    QuestionShown,
)
from catalog.questions.models import Question, QuestionState
from core.access import can_review
from core.audit.services import record
from core.db import utcnow
from core.models import User
from core.pagination import Page, capped_count, paginate
from core.text import forbidden_character, mask_person

MIN_QUESTION, MAX_QUESTION = 5, 500
MAX_ANSWER = 1000
MIN_REASON, MAX_REASON = 2, 500
#: Questions a producer's page and a product's questions page list at a time.
PER_PAGE = 10
#: The reviewers' list: questions a page, and the deepest page offered (its count stops there).
REVIEW_PER_PAGE, REVIEW_MAX_PAGES = 20, 50


class AnsweredQuestion(TypedDict):
    """An answered question as public pages show it: the asker masked, never named."""

    id: int
    text: str
    asker: str
    created_at: datetime
    answer: str
    answered_at: datetime


def _clean(text: str | None, low: int, high: int) -> str | None:
    """``text`` stripped when it is ``low`` to ``high`` characters without control characters, else None."""
    text = (text or "").strip()
    if not low <= len(text) <= high or forbidden_character(text, multiline=True) is not None:
        return None
    return text


def find_visible_product(session: Session, product_id: int) -> Product | None:
    """The product with this id if buyers may see it (and so ask about it), else None."""
    if not 0 < product_id <= 2**63 - 1:
        return None
    return session.scalars(visible_products().where(Product.id == product_id)).first()


def find_question(session: Session, question_id: int) -> Question | None:
    """The question with this id, or None."""
    if not 0 < question_id <= 2**63 - 1:
        return None
    return session.get(Question, question_id)


def ask_question(session: Session, user: User, product: Product, text: str | None) -> Question:
    """``user`` (signed in) asks a public question about ``product``; the producer's members are told, each in
    their language. Raises :class:`InvalidQuestion` (not 5 to 500 characters, or a control character). Does
    not commit."""
    cleaned = _clean(text, MIN_QUESTION, MAX_QUESTION)
    if cleaned is None:
        raise InvalidQuestion()
    now = utcnow()
    question = Question(
        product_id=product.id,
        producer_id=product.producer_id,
        county_id=product.producer.county_id,
        state=QuestionState.OPEN,
        asker_id=user.id,
        text=cleaned,
        created_at=now,
        changed_at=now,
    )
    session.add(question)
    session.flush()
    notices.tell_new_question(session, question, product)
    return question


def answer_question(session: Session, user: User, question: Question, text: str | None) -> Question:
    """A member of the question's producer answers it, or edits the answer; the asker is told of the first
    answer. Audited as ``question.answer``.

    Raises :class:`NotQuestionProducer` (not a member), :class:`QuestionHidden` (hidden),
    :class:`InvalidAnswer` (not 1 to 1000 characters, or a control character). Does not commit.
    """
    if not user.is_authenticated or not is_member(user, question.producer):
        raise NotQuestionProducer()
    if question.is_hidden:
        raise QuestionHidden()
    cleaned = _clean(text, 1, MAX_ANSWER)
    if cleaned is None:
        raise InvalidAnswer()
    first = not question.is_answered
    before = None if first else {"answer": question.answer}
    now = utcnow()
    question.answer, question.answer_author_id, question.changed_at = cleaned, user.id, now
    if first:
        question.answered_at = now
        question.settle_state()
    session.flush()
    record(
        session,
        user,
        "question.answer",
        "question",
        question.id,
        before=before,
        after={"answer": cleaned},
        region_code=question.producer.county.code,
    )
    if first:
        notices.tell_answer(session, question)
    return question


def may_hide_for(user: User, product: Product) -> bool:
    """Whether ``user`` may hide questions about ``product``: its producer's members, the county's
    reviewers, admins."""
    if not user.is_authenticated:
        return False
    return is_member(user, product.producer) or can_review(user, product.producer.county)


def may_hide(user: User, question: Question) -> bool:
    """Whether ``user`` may hide ``question`` (see :func:`may_hide_for`)."""
    return may_hide_for(user, question.product)


def hide_question(session: Session, user: User, question: Question, reason: str | None) -> Question:
    """Hide an abusive question (with its answer) from every page, with a reason. Audited as
    ``question.hide``.

    Raises :class:`MayNotHide`, :class:`QuestionHidden` (already hidden), :class:`InvalidHideReason`. Does not
    commit.
    """
    if not may_hide(user, question):
        raise MayNotHide()
    if question.is_hidden:
        raise QuestionHidden()
    cleaned = _clean(reason, MIN_REASON, MAX_REASON)
    if cleaned is None:
        raise InvalidHideReason()
    now = utcnow()
    question.hidden_at, question.hidden_by_id, question.hidden_reason = now, user.id, cleaned
    question.changed_at = now
    question.settle_state()
    session.flush()
    record(
        session,
        user,
        "question.hide",
        "question",
        question.id,
        after={"text": question.text},
        region_code=question.producer.county.code,
        note=cleaned,
    )
    return question


def unhide_question(session: Session, user: User, question: Question) -> Question:
    """Show a hidden question (with its answer) again, as it stood before it was hidden: whoever may hide it
    may show it again. Audited as ``question.unhide`` (with the reason it had been hidden for).

    Raises :class:`MayNotHide`, :class:`QuestionShown` (not hidden). Does not commit.
    """
    if not may_hide(user, question):
        raise MayNotHide()
    if not question.is_hidden:
        raise QuestionShown()
    before = {"hidden_reason": question.hidden_reason}
    question.hidden_at = question.hidden_by_id = question.hidden_reason = None
    question.changed_at = utcnow()
    question.settle_state()
    session.flush()
    record(
        session,
        user,
        "question.unhide",
        "question",
        question.id,
        before=before,
        after={"text": question.text},
        region_code=question.producer.county.code,
    )
    return question


def producer_questions(session: Session, user: User, state: QuestionState, page: int) -> Page[Question]:
    """The questions of the producers ``user`` acts for in ``state`` (waiting for an answer, answered or
    hidden), newest first, a page at a time (with their products)."""
    ids = [p.id for p in producers_of(user)]
    if state is QuestionState.HIDDEN:
        where = [Question.hidden_at.is_not(None)]
    else:
        answered = state is QuestionState.ANSWERED
        state_of = Question.answered_at.is_not(None) if answered else Question.answered_at.is_(None)
        where = [state_of, Question.hidden_at.is_(None)]
    query = (
        select(Question)
        .options(selectinload(Question.product))
        .where(Question.producer_id.in_(ids), *where)
        .order_by(Question.created_at.desc(), Question.id.desc())
    )
    return paginate(session, query, page, PER_PAGE)


def review_questions(
    session: Session, county_ids: list[int] | None, state: QuestionState, page: int
) -> Page[Question]:
    """The questions in ``state`` about products of producers in ``county_ids`` (``None``: every county),
    newest first, a page at a time (with their products, producers and counties).

    Reads the index on county, state and time (on state and time for every county); counts no further than
    the deepest page offered, so nothing here grows with the whole question table. Read-only.
    """
    page = max(1, page)
    where = [Question.state == state]
    if county_ids is not None:
        where.append(Question.county_id.in_(county_ids))
    total, more = capped_count(session, select(Question.id).where(*where), REVIEW_MAX_PAGES * REVIEW_PER_PAGE)
    items: list[Question] = []
    offset = (page - 1) * REVIEW_PER_PAGE
    if page <= REVIEW_MAX_PAGES and offset < total:
        query = (
            select(Question)
            .options(
                selectinload(Question.product),
                selectinload(Question.producer),
                selectinload(Question.county),
            )
            .where(*where)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(REVIEW_PER_PAGE)
            .offset(offset)
        )
        items = list(session.scalars(query))
    return Page(
        items=items,
        page=page,
        per_page=REVIEW_PER_PAGE,
        total=total,
        more=more,
        last_page=REVIEW_MAX_PAGES,
    )


def _answered(product_id: int) -> Any:
    """The product's shown answered questions, newest answer first (the index on product and answer time)."""
    return (
        select(
            Question.id,
            Question.text,
            Question.created_at,
            Question.answer,
            Question.answered_at,
            User.display_name,
            User.email,
        )
        .outerjoin(User, User.id == Question.asker_id)
        .where(
            Question.product_id == product_id,
            Question.answered_at.is_not(None),
            Question.hidden_at.is_(None),
        )
        .order_by(Question.answered_at.desc(), Question.id.desc())
    )


def answered_questions(session: Session, product_id: int, page: int, per_page: int) -> list[AnsweredQuestion]:
    """One page of the product's answered questions, newest answer first; askers are masked here, so their
    names never reach a template."""
    query = _answered(product_id).limit(per_page).offset((max(1, page) - 1) * per_page)
    return [
        AnsweredQuestion(
            id=row.id,
            text=row.text,
            asker=mask_person(row.display_name, row.email),
            created_at=row.created_at,
            answer=row.answer or "",
            answered_at=row.answered_at,
        )
        for row in session.execute(query)
    ]


def answered_count(session: Session, product_id: int) -> int:
    """How many answered questions the product shows (one index range)."""
    query = select(func.count(Question.id)).where(
        Question.product_id == product_id, Question.answered_at.is_not(None), Question.hidden_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def product_stamp(session: Session, product_id: int) -> tuple[int, datetime | None]:
    """What moves whenever the product's question section may change: how many questions it has and the
    latest change (one index range), for the page's ETag."""
    count, latest = session.execute(
        select(func.count(Question.id), func.max(Question.changed_at)).where(
            Question.product_id == product_id
        )
    ).one()
    return int(count or 0), latest
