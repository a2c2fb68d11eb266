"""Access rows for product questions: asking (signed in), the public answered list, the producer's questions
page and answers (its members), hiding and showing again (its members, the county's reviewer, admins), the
reviewers' list (reviewers and admins)."""

from __future__ import annotations

from typing import Any

from catalog.questions import services as questions
from tests.access_rows import ADM, C, P, R, World, everyone, only


def _question(w: World, answered: bool = False) -> int:
    """A fresh question by the consumer persona about the producer persona's product (answered if asked)."""
    question = questions.ask_question(w.db, w.users[C], w.objects["product"], "这个腊肉能放多久？")
    if answered:
        questions.answer_question(w.db, w.users[P], question, "阴凉处可放半年。")
    return question.id


def answer_url(w: World) -> str:
    """The answer form target of a fresh question."""
    return f"/producer/questions/{_question(w)}/answer"


def hide_url(w: World) -> str:
    """The hide form target of a fresh answered question."""
    return f"/questions/{_question(w, answered=True)}/hide"


def unhide_url(w: World) -> str:
    """The target that shows again a fresh answered question its producer hid."""
    question_id = _question(w, answered=True)
    question = questions.find_question(w.db, question_id)
    assert question is not None
    questions.hide_question(w.db, w.users[P], question, "重复提问")
    return f"/questions/{question_id}/unhide"


def review_list_url(w: World) -> str:
    """The reviewers' list of answered questions (one about the producer persona's product on it)."""
    _question(w, answered=True)
    return "/review/questions?status=answered"


def product_questions_url(w: World) -> str:
    """The answered questions page of the producer persona's product (one answered question on it)."""
    _question(w, answered=True)
    return f"/products/{w.objects['product'].id}/questions"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    # any signed-in user asks; anonymous visitors go to log in
    "questions.ask": (
        "POST",
        lambda w: f"/products/{w.objects['product'].id}/questions",
        {"text": "请问什么时候发货？"},
        everyone(302),
    ),
    "questions.product_questions": ("GET", product_questions_url, {}, everyone(200)),
    # members of the product's producer only: the county's reviewer and admins do not answer for it
    "questions.index": ("GET", "/producer/questions/", {}, only((P,))),
    "questions.answer": ("POST", answer_url, {"text": "明天发货。"}, only((P,), ok=302)),
    "questions.hide": ("POST", hide_url, {"reason": "辱骂内容"}, only((P, R, ADM), ok=302)),
    "questions.unhide": ("POST", unhide_url, {}, only((P, R, ADM), ok=302)),
    # the reviewer persona reviews the product's county (疏勒县): its answered question is listed
    "questions.review_list": ("GET", review_list_url, {}, only((R, ADM))),
}
