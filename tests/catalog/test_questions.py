"""Product questions: buyers ask, the producer's members answer once (and edit), abusive questions are hidden,
everyone concerned is told, the product page lists answered questions with askers masked, and the workbench
counts what waits for an answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, Producer, ProducerMember
from catalog.producers.workbench import producer_day
from catalog.products.models import Product
from catalog.questions import services as questions
from catalog.questions.errors import (
    InvalidAnswer,
    InvalidHideReason,
    InvalidQuestion,
    MayNotHide,
    NotQuestionProducer,
    QuestionHidden,
)
from catalog.questions.models import QuestionState
from core.audit.services import AuditEntry
from core.models import Region, User
from core.notifications.models import Notification
from tests.conftest import row_count


@pytest.fixture()
def in_request(app: Flask) -> Iterator[None]:
    """Services tell people in their language and build links, as in a request."""
    with app.test_request_context():
        yield


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(
        owner=make_user(name="合作社社长"), name="城口县巴山腊味合作社", county_code="500229"
    )


@pytest.fixture()
def owner(seller: Producer) -> User:
    return seller.members[0].user


@pytest.fixture()
def pork(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="城口老腊肉", certified=True)


@pytest.fixture()
def buyer(make_user: Callable[..., User]) -> User:
    return make_user(name="王芳", email="wangfang@example.test")


def inbox(db: Session, user: User) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id)))


@pytest.mark.usefixtures("in_request")
def test_a_question_tells_each_member_in_their_own_language(
    db: Session, seller: Producer, owner: User, pork: Product, buyer: User, make_user: Callable[..., User]
) -> None:
    staff = make_user(name="Staff")
    staff.locale = "en"
    seller.members.append(ProducerMember(user=staff, role=MemberRole.STAFF))
    db.flush()
    question = questions.ask_question(db, buyer, pork, "  这个腊肉能放多久？  ")
    assert question.text == "这个腊肉能放多久？" and question.producer_id == seller.id
    assert not question.is_answered and not question.is_hidden
    (to_owner,) = inbox(db, owner)
    (to_staff,) = inbox(db, staff)
    assert to_owner.subject == "关于城口老腊肉的新提问" and "这个腊肉能放多久" in to_owner.body
    assert to_staff.subject == "New question about 城口老腊肉"
    assert to_owner.link == "/producer/questions/"
    assert inbox(db, buyer) == []


@pytest.mark.usefixtures("in_request")
@pytest.mark.parametrize("text", ["", "好吃吗", "问" * 501, "能放\x00多久？"])
def test_a_question_is_five_to_500_characters_without_control_characters(
    db: Session, pork: Product, buyer: User, text: str
) -> None:
    with pytest.raises(InvalidQuestion):
        questions.ask_question(db, buyer, pork, text)
    assert row_count(db, "catalog_question") == 0


@pytest.mark.usefixtures("in_request")
def test_members_answer_once_then_edit_and_the_asker_is_told_of_the_answer(
    db: Session,
    owner: User,
    pork: Product,
    buyer: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
) -> None:
    question = questions.ask_question(db, buyer, pork, "这个腊肉能放多久？")
    stranger = make_user()
    make_producer(owner=stranger)
    db.refresh(stranger)
    for outsider in (stranger, buyer):
        with pytest.raises(NotQuestionProducer):
            questions.answer_question(db, outsider, question, "半年")
    with pytest.raises(InvalidAnswer):
        questions.answer_question(db, owner, question, "   ")
    with pytest.raises(InvalidAnswer):
        questions.answer_question(db, owner, question, "答" * 1001)
    questions.answer_question(db, owner, question, "阴凉处可放半年。")
    assert question.is_answered and question.answer == "阴凉处可放半年。"
    first_answered = question.answered_at
    (told,) = inbox(db, buyer)
    assert told.subject == "您关于城口老腊肉的提问已有回答" and "阴凉处可放半年" in told.body
    assert told.link == f"/products/{pork.id}/questions"
    questions.answer_question(db, owner, question, "冷藏可放一年。")
    assert question.answer == "冷藏可放一年。" and question.answered_at == first_answered
    assert len(inbox(db, buyer)) == 1  # an edit tells nobody again
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "question")).all()
    assert actions == ["question.answer", "question.answer"]


@pytest.mark.usefixtures("in_request")
def test_the_producer_the_county_reviewer_and_admins_hide_an_abusive_question(
    db: Session,
    owner: User,
    pork: Product,
    buyer: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    other_reviewer = make_user(counties=[region("653122")])
    reviewer = make_user(counties=[region("500229")])
    admin = make_user(is_admin=True)
    for who in (owner, reviewer, admin):
        question = questions.ask_question(db, buyer, pork, "骂人的话骂人的话")
        for outsider in (buyer, other_reviewer):
            with pytest.raises(MayNotHide):
                questions.hide_question(db, outsider, question, "辱骂")
        with pytest.raises(InvalidHideReason):
            questions.hide_question(db, who, question, " ")
        questions.hide_question(db, who, question, "辱骂内容")
        assert question.is_hidden and question.hidden_by_id == who.id
        with pytest.raises(QuestionHidden):
            questions.answer_question(db, owner, question, "回答")
        with pytest.raises(QuestionHidden):
            questions.hide_question(db, who, question, "再次")
    page = questions.producer_questions(db, owner, QuestionState.OPEN, page=1)
    assert page.items == [] and page.total == 0


@pytest.mark.usefixtures("in_request")
def test_the_product_lists_answered_questions_newest_first_with_askers_masked(
    db: Session, owner: User, pork: Product, buyer: User, make_user: Callable[..., User]
) -> None:
    asked = [questions.ask_question(db, buyer, pork, f"第{n}个问题：怎么保存？") for n in range(3)]
    questions.answer_question(db, owner, asked[0], "挂在阴凉处。")
    questions.answer_question(db, owner, asked[2], "冷藏。")
    shown = questions.answered_questions(db, pork.id, 1, 10)
    assert [q["id"] for q in shown] == [asked[2].id, asked[0].id]
    assert {q["asker"] for q in shown} == {"王**"}
    assert questions.answered_count(db, pork.id) == 2
    open_page = questions.producer_questions(db, owner, QuestionState.OPEN, page=1)
    assert [q.id for q in open_page.items] == [asked[1].id]


@pytest.mark.usefixtures("in_request")
def test_the_workbench_counts_questions_waiting_for_an_answer(
    db: Session,
    seller: Producer,
    owner: User,
    pork: Product,
    buyer: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> None:
    def waiting(producer_ids: list[int]) -> int:
        (card,) = [t for t in producer_day(db, producer_ids) if t["kind"] == "new_questions"]
        assert card["href"] == "/producer/questions/"
        return card["count"]

    assert waiting([seller.id]) == 0
    first, second, third = (
        questions.ask_question(db, buyer, pork, f"问题{n}：能寄到北京吗？") for n in range(3)
    )
    questions.answer_question(db, owner, first, "能。")
    questions.hide_question(db, owner, second, "重复提问")
    assert waiting([seller.id]) == 1
    # another producer's questions never show on this one's card
    other = make_producer(owner=owner)
    questions.ask_question(db, buyer, make_product(other, certified=True), "别家的问题呢？")
    assert waiting([seller.id]) == 1
    assert waiting([seller.id, other.id]) == 2
    assert third.id


def test_a_visitor_is_asked_to_sign_in_and_a_signed_in_buyer_asks(
    db: Session, pork: Product, buyer: User, owner: User, as_user: Callable[[User | None], FlaskClient]
) -> None:
    page = as_user(None).get(f"/products/{pork.id}").get_data(as_text=True)
    assert 'id="questions"' in page and "/login?next=" in page and 'name="text"' not in page
    assert (
        as_user(None).post(f"/products/{pork.id}/questions", data={"text": "能放多久？"}).status_code == 302
    )
    client = as_user(buyer)
    assert 'name="text"' in client.get(f"/products/{pork.id}").get_data(as_text=True)
    refused = client.post(f"/products/{pork.id}/questions", data={"text": "好吃吗"})
    assert refused.status_code == 400 and "5 到 500" in refused.get_data(as_text=True)
    assert client.post("/products/999999999/questions", data={"text": "能放多久呢？"}).status_code == 404
    assert row_count(db, "catalog_question") == 0
    asked = client.post(f"/products/{pork.id}/questions", data={"text": "这个腊肉能放多久？"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/products/{pork.id}#questions")
    assert row_count(db, "catalog_question") == 1
    assert len(inbox(db, owner)) == 1


def test_members_answer_on_their_questions_page_and_the_answer_shows_on_the_product(
    db: Session,
    app: Flask,
    pork: Product,
    buyer: User,
    owner: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    with app.test_request_context():
        question = questions.ask_question(db, buyer, pork, "这个腊肉能放多久？")
    member = as_user(owner)
    listed = member.get("/producer/questions/")
    assert listed.status_code == 200 and "这个腊肉能放多久？" in listed.get_data(as_text=True)
    stranger = make_user()
    make_producer(owner=stranger)
    target = f"/producer/questions/{question.id}/answer"
    assert as_user(stranger).post(target, data={"text": "半年"}).status_code == 403
    assert as_user(buyer).post(target, data={"text": "半年"}).status_code == 403
    assert member.post("/producer/questions/999999999/answer", data={"text": "半年"}).status_code == 404
    assert member.post(target, data={"text": " "}).status_code == 400
    assert member.post(target, data={"text": "阴凉处可放半年。"}).status_code == 302
    assert member.post(target, data={"text": "冷藏可放一年。"}).status_code == 302
    assert "冷藏可放一年。" in member.get("/producer/questions/?status=answered").get_data(as_text=True)
    for page in (f"/products/{pork.id}", f"/products/{pork.id}/questions"):
        shown = as_user(None).get(page).get_data(as_text=True)
        assert "这个腊肉能放多久？" in shown and "冷藏可放一年。" in shown and "王**" in shown
        assert "王芳" not in shown and "wangfang" not in shown


def test_a_reviewer_hides_a_question_from_the_product_page(
    db: Session,
    app: Flask,
    pork: Product,
    buyer: User,
    owner: User,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    with app.test_request_context():
        question = questions.ask_question(db, buyer, pork, "骂人的话骂人的话")
        questions.answer_question(db, owner, question, "请文明提问。")
    reviewer = as_user(make_user(counties=[region("500229")]))
    target = f"/questions/{question.id}/hide"
    assert 'action="' + target in reviewer.get(f"/products/{pork.id}/questions").get_data(as_text=True)
    assert as_user(buyer).post(target, data={"reason": "辱骂"}).status_code == 403
    assert (
        as_user(make_user(counties=[region("653122")])).post(target, data={"reason": "辱骂"}).status_code
        == 403
    )
    assert reviewer.post(target, data={"reason": ""}).status_code == 400
    assert reviewer.post(target, data={"reason": "辱骂内容"}).status_code == 302
    assert reviewer.post(target, data={"reason": "辱骂内容"}).status_code == 404
    assert "骂人的话" not in as_user(None).get(f"/products/{pork.id}").get_data(as_text=True)


def test_asking_is_throttled_like_the_other_public_forms(
    app: Flask, pork: Product, buyer: User, as_user: Callable[[User | None], FlaskClient]
) -> None:
    from core.security import limiter

    client = as_user(buyer)
    limiter.reset()
    app.config["RATELIMIT_QUESTION"] = "2 per minute"
    try:
        statuses = [
            client.post(f"/products/{pork.id}/questions", data={"text": "短"}).status_code for _ in range(3)
        ]
    finally:
        app.config["RATELIMIT_QUESTION"] = "1000 per minute"
        limiter.reset()
    assert statuses == [400, 400, 429]
