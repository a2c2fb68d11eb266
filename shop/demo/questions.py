"""What the demo's buyers ask about products of the three counties, and what the producers' members answered:
asked and answered through the question services at the moments it happened (:func:`core.clock.clock_at`),
so the product pages show answered questions and the demo producer's workbench counts the one still waiting.

Idempotent: a question already asked (same product, same text) is skipped, so seeding twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.questions.models import Question
from catalog.questions.services import answer_question, ask_question
from core import accounts
from core.clock import SHANGHAI, clock_at, shanghai_date
from core.models import User


@dataclass(frozen=True)
class DemoQuestion:
    """One buyer's question about a demo product, ``days_ago`` days back, and the producer's answer (given
    ``answer_hours`` later), or ``None`` while it waits."""

    product: str
    asker_email: str
    text: str
    answer: str | None
    days_ago: int
    answer_hours: int = 5


DEMO_QUESTIONS = (
    # 疏勒县: the demo producer's cooperative (its open question is the workbench's count), and its meat
    DemoQuestion(
        "疏勒辣椒",
        "consumer@demo.bangfu.cn",
        "这个辣椒是线椒还是朝天椒？辣度怎么样，小孩能吃吗？",
        "是疏勒本地线椒，中等辣度，炒肉、做虎皮辣椒都合适；小孩吃的话可以先去籽。",
        40,
    ),
    DemoQuestion(
        "疏勒西红柿",
        "consumer@demo.bangfu.cn",
        "西红柿是自然成熟后采摘的吗？寄到山东路上会不会压坏？",
        None,
        1,
    ),
    DemoQuestion(
        "疏勒多浪羊肉",
        "liu.fang@demo.bangfu.cn",
        "羊肉是冷冻发货还是冷鲜发货？寄到重庆大概要几天？",
        "真空包装后速冻，走顺丰冷链，到重庆一般两到三天，收到后请放冷冻室。",
        25,
    ),
    # 塔什库尔干县
    DemoQuestion(
        "塔县杏干",
        "chen.siyuan@demo.bangfu.cn",
        "杏干有没有加糖，或者用硫磺熏过？",
        "没有加糖，也不用硫磺熏，是在自家院子里自然晾晒的，颜色偏深是正常的。",
        33,
    ),
    DemoQuestion(
        "塔县青稞米",
        "sun.xiaoyan@demo.bangfu.cn",
        "青稞米需要提前泡吗？和大米一起煮可以吗？",
        "建议提前泡两三个小时，和大米按一比二混着煮，口感软糯。",
        18,
    ),
    # 城口县
    DemoQuestion(
        "城口老腊肉",
        "wang.lihua@demo.bangfu.cn",
        "腊肉收到后怎么保存？能放多久？",
        "挂在阴凉通风处可放三个月，真空包装冷藏可放半年；吃之前用温水泡半小时再洗净。",
        52,
    ),
    DemoQuestion(
        "城口土蜂蜜",
        "consumer@demo.bangfu.cn",
        "蜂蜜冬天结晶了，是正常的吗？",
        "是正常的，土蜂蜜天冷会结晶，连瓶放进四十度左右的温水里化开就好，不影响品质。",
        12,
    ),
)


def _at(days_ago: int, hour: int) -> datetime:
    """``hour`` o'clock ``days_ago`` days before today in Asia/Shanghai, as UTC."""
    day = shanghai_date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _asked(session: Session, product: Product, text: str) -> bool:
    """Whether this question was asked about ``product`` already."""
    found = select(Question.id).where(Question.product_id == product.id, Question.text == text).limit(1)
    return session.scalar(found) is not None


def seed_questions(session: Session, consumer: User, sellers: dict[int, User]) -> int:
    """Ask the demo questions not asked yet (by their shopper, else the demo consumer, whose account always
    exists) and answer them as the product's seller (``sellers``: by producer id); return how many were
    asked. Products missing from the catalogue are skipped. Does not commit."""
    asked = 0
    for item in DEMO_QUESTIONS:
        product = session.scalar(select(Product).where(Product.name == item.product).order_by(Product.id))
        if product is None or product.producer_id not in sellers or _asked(session, product, item.text):
            continue
        asker = accounts.find_user_by_email(session, item.asker_email) or consumer
        moment = _at(item.days_ago, 20)
        with clock_at(moment):
            question = ask_question(session, asker, product, item.text)
        if item.answer is not None:
            with clock_at(moment + timedelta(hours=item.answer_hours)):
                answer_question(session, sellers[product.producer_id], question, item.answer)
        asked += 1
    session.flush()
    return asked
