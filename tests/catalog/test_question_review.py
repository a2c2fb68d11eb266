"""Moderating product questions: whoever may hide a question shows it again, and county reviewers (admins:
every county) list their counties' questions by state, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.questions import services as questions
from catalog.questions.errors import MayNotHide, QuestionShown
from catalog.questions.models import Question, QuestionState
from core.audit.services import AuditEntry
from core.models import Region, User


@pytest.fixture()
def in_request(app: Flask) -> Iterator[None]:
    """Services tell people in their language and build links, as in a request."""
    with app.test_request_context():
        yield


@pytest.fixture()
def buyer(make_user: Callable[..., User]) -> User:
    return make_user(name="王芳", email="wangfang@example.test")


@pytest.fixture()
def pork(
    make_user: Callable[..., User], make_producer: Callable[..., Producer], make_product: Any
) -> Product:
    """A Chengkou product (城口县 500229)."""
    producer = make_producer(
        owner=make_user(name="合作社社长"), name="城口县巴山腊味合作社", county_code="500229"
    )
    product: Product = make_product(producer, name="城口老腊肉", certified=True)
    return product


@pytest.fixture()
def pepper(
    make_user: Callable[..., User], make_producer: Callable[..., Producer], make_product: Any
) -> Product:
    """A Shule product (疏勒县 653122)."""
    producer = make_producer(owner=make_user(name="蔬菜社长"), name="疏勒县蔬菜合作社", county_code="653122")
    product: Product = make_product(producer, name="疏勒线椒", certified=True)
    return product


def owner_of(product: Product) -> User:
    return product.producer.members[0].user


def ask(
    db: Session, app: Flask, buyer: User, product: Product, text: str, answer: str | None = None
) -> Question:
    """A question (answered by the producer's owner if ``answer`` is given)."""
    with app.test_request_context():
        question = questions.ask_question(db, buyer, product, text)
        if answer is not None:
            questions.answer_question(db, owner_of(product), question, answer)
    return question


@pytest.mark.usefixtures("in_request")
def test_whoever_may_hide_a_question_shows_it_again_as_it_stood(
    db: Session,
    pork: Product,
    buyer: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    owner = owner_of(pork)
    reviewer = make_user(counties=[region("500229")])
    other_reviewer = make_user(counties=[region("653122")])
    admin = make_user(is_admin=True)
    for who in (owner, reviewer, admin):
        question = questions.ask_question(db, buyer, pork, "这个腊肉能放多久？")
        questions.answer_question(db, owner, question, "阴凉处可放半年。")
        with pytest.raises(QuestionShown):
            questions.unhide_question(db, who, question)
        questions.hide_question(db, who, question, "误判为辱骂")
        assert question.state is QuestionState.HIDDEN
        assert questions.answered_count(db, pork.id) == 0
        for outsider in (buyer, other_reviewer):
            with pytest.raises(MayNotHide):
                questions.unhide_question(db, outsider, question)
        questions.unhide_question(db, who, question)
        assert not question.is_hidden and question.hidden_reason is None
        assert question.state is QuestionState.ANSWERED and question.answer == "阴凉处可放半年。"
        assert [q["id"] for q in questions.answered_questions(db, pork.id, 1, 10)] == [question.id]
        questions.hide_question(db, who, question, "再次隐藏")  # tidy: the next round starts clean
    unanswered = questions.ask_question(db, buyer, pork, "能寄到北京吗？")
    questions.hide_question(db, owner, unanswered, "重复")
    questions.unhide_question(db, owner, unanswered)
    assert unanswered.state is QuestionState.OPEN
    audited = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "question.unhide").order_by(AuditEntry.id)
    ).all()
    assert [entry.actor_id for entry in audited] == [owner.id, reviewer.id, admin.id, owner.id]
    assert audited[0].before == {"hidden_reason": "误判为辱骂"}


def test_showing_again_is_a_post_with_a_translated_message(
    db: Session,
    app: Flask,
    pork: Product,
    buyer: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    question = ask(db, app, buyer, pork, "骂人的话骂人的话", "请文明提问。")
    member = as_user(owner_of(pork))
    target = f"/questions/{question.id}/unhide"
    assert member.post(target).status_code == 409  # not hidden
    assert member.post(f"/questions/{question.id}/hide", data={"reason": "辱骂"}).status_code == 302
    hidden_tab = member.get("/producer/questions/?status=hidden").get_data(as_text=True)
    assert "骂人的话骂人的话" in hidden_tab and f'action="{target}?status=hidden"' in hidden_tab
    assert member.get(target).status_code == 405
    assert as_user(buyer).post(target).status_code == 403
    assert as_user(make_user(counties=[region("653122")])).post(target).status_code == 403
    assert as_user(None).post(target).status_code == 302  # to log in
    assert member.post("/questions/999999999/unhide").status_code == 404
    shown = member.post(target + "?status=hidden", follow_redirects=True)
    assert shown.status_code == 200 and "该提问已重新显示。" in shown.get_data(as_text=True)
    assert "请文明提问。" in as_user(None).get(f"/products/{pork.id}").get_data(as_text=True)


def test_reviewers_list_their_counties_questions_by_state_and_admins_every_county(
    db: Session,
    app: Flask,
    pork: Product,
    pepper: Product,
    buyer: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    chengkou = region("500229")
    waiting = ask(db, app, buyer, pork, "腊肉要冷藏吗？")
    answered = ask(db, app, buyer, pork, "能寄到北京吗？", "能，顺丰冷链。")
    hidden = ask(db, app, buyer, pork, "骂人的话骂人的话")
    with app.test_request_context():
        questions.hide_question(db, owner_of(pork), hidden, "辱骂")
    elsewhere = ask(db, app, buyer, pepper, "线椒辣不辣？")

    def listed(scope: list[int] | None, state: QuestionState) -> list[int]:
        return [q.id for q in questions.review_questions(db, scope, state, 1).items]

    assert listed([chengkou.id], QuestionState.OPEN) == [waiting.id]
    assert listed([chengkou.id], QuestionState.ANSWERED) == [answered.id]
    assert listed([chengkou.id], QuestionState.HIDDEN) == [hidden.id]
    assert listed(None, QuestionState.OPEN) == [elsewhere.id, waiting.id]
    assert listed([], QuestionState.OPEN) == []


def test_the_reviewers_page_shows_only_their_counties_and_hides_and_shows_again(
    db: Session,
    app: Flask,
    pork: Product,
    pepper: Product,
    buyer: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    ours = ask(db, app, buyer, pork, "腊肉要冷藏吗？")
    ask(db, app, buyer, pepper, "线椒辣不辣？")
    reviewer = as_user(make_user(counties=[region("500229")]))
    assert "/review/questions" in reviewer.get("/review/").get_data(as_text=True)
    page = reviewer.get("/review/questions").get_data(as_text=True)
    assert "腊肉要冷藏吗？" in page and "线椒辣不辣？" not in page and "城口县巴山腊味合作社" in page
    everything = as_user(make_user(is_admin=True)).get("/review/questions").get_data(as_text=True)
    assert "腊肉要冷藏吗？" in everything and "线椒辣不辣？" in everything
    for status in ("answered", "hidden", "nonsense"):
        assert reviewer.get(f"/review/questions?status={status}").status_code == 200
    hidden = reviewer.post(
        f"/questions/{ours.id}/hide?status=open&page=1&back=review", data={"reason": "辱骂内容"}
    )
    assert hidden.status_code == 302 and hidden.headers["Location"].endswith(
        "/review/questions?status=open&page=1"
    )
    hidden_tab = reviewer.get("/review/questions?status=hidden").get_data(as_text=True)
    assert "腊肉要冷藏吗？" in hidden_tab and "辱骂内容" in hidden_tab
    assert f'action="/questions/{ours.id}/unhide?status=hidden&amp;back=review"' in hidden_tab
    shown = reviewer.post(f"/questions/{ours.id}/unhide?status=hidden&back=review")
    assert shown.status_code == 302 and "/review/questions?status=hidden" in shown.headers["Location"]
    assert db.get(Question, ours.id).state is QuestionState.OPEN  # type: ignore[union-attr]


@pytest.mark.usefixtures("in_request")
def test_the_reviewers_list_pages_newest_first_and_counts_no_further_than_its_last_page(
    db: Session, pork: Product, buyer: User, region: Callable[[str], Region], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(questions, "REVIEW_PER_PAGE", 2)
    monkeypatch.setattr(questions, "REVIEW_MAX_PAGES", 2)
    asked = [questions.ask_question(db, buyer, pork, f"第{n}个问题：怎么保存？") for n in range(5)]
    scope = [region("500229").id]
    first = questions.review_questions(db, scope, QuestionState.OPEN, 1)
    second = questions.review_questions(db, scope, QuestionState.OPEN, 2)
    assert [q.id for q in first.items] == [asked[4].id, asked[3].id]
    assert [q.id for q in second.items] == [asked[2].id, asked[1].id]
    assert first.total == 4 and first.more and first.pages == 2 and first.is_cut
    assert questions.review_questions(db, scope, QuestionState.OPEN, 3).items == []
    monkeypatch.setattr(questions, "REVIEW_MAX_PAGES", 50)
    last = questions.review_questions(db, scope, QuestionState.OPEN, 3)
    assert [q.id for q in last.items] == [asked[0].id] and last.total == 5 and not last.more


@pytest.mark.usefixtures("in_request")
def test_the_reviewers_list_reads_the_county_and_state_indexes(
    db: Session, pork: Product, buyer: User, region: Callable[[str], Region]
) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the query plans are SQLite's")
    questions.ask_question(db, buyer, pork, "腊肉要冷藏吗？")
    plans: list[str] = []

    def explain(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM catalog_question" in statement:
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", explain)
    try:
        questions.review_questions(db, [region("500229").id], QuestionState.OPEN, 1)
        questions.review_questions(db, None, QuestionState.OPEN, 1)
    finally:
        event.remove(connection, "before_cursor_execute", explain)
    assert len(plans) == 4, plans
    for plan in plans:
        assert "SCAN catalog_question" not in plan or "USING" in plan, plan
    assert "ix_catalog_question_county_state" in plans[1], plans[1]
    assert "ix_catalog_question_state" in plans[3] and "TEMP B-TREE" not in plans[3], plans[3]
