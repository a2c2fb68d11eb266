"""The migration keeping each question's county and state fills them in for the questions already asked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

import shop.models  # noqa: F401  (all models on the metadata)
from catalog.producers.models import Producer, ProducerKind, ProducerStatus
from catalog.products.models import Category, Product, Unit
from catalog.questions.models import Question, QuestionState
from core.db import make_engine
from core.migrate import alembic_config, upgrade
from core.models import Region
from tests.support import database_url, reset_database

BEFORE = "cd18cad00a6a"


def test_questions_already_asked_get_their_county_and_state(tmp_path: Path) -> None:
    url = database_url(tmp_path / "questions.sqlite3", suffix="_qstate")
    reset_database(url)
    engine = make_engine(url)
    now = datetime(2027, 1, 3, tzinfo=UTC)
    try:
        upgrade(engine)
        with Session(engine) as session:
            county = Region(code="500229", name="城口县", level="county")
            producer = Producer(
                name="城口腊肉合作社",
                kind=ProducerKind.COOPERATIVE,
                status=ProducerStatus.APPROVED,
                county=county,
            )
            product = Product(
                producer=producer,
                name="城口老腊肉",
                category=Category.MEAT,
                unit=Unit.KG,
                price_fen=9800,
            )
            session.add_all([county, producer, product])
            session.flush()
            for n, (answered, hidden) in enumerate(((None, None), (now, None), (now, now), (None, now))):
                session.add(
                    Question(
                        product=product,
                        producer=producer,
                        county=county,
                        text=f"第{n}个问题",
                        answered_at=answered,
                        answer="能" if answered else None,
                        hidden_at=hidden,
                    )
                )
            session.commit()
            county_id = county.id
        command.downgrade(alembic_config(engine), BEFORE)  # the columns go; the questions stay
        upgrade(engine)
        tables = MetaData()
        tables.reflect(engine)
        question = tables.tables["catalog_question"]
        with engine.connect() as conn:
            rows = list(conn.execute(select(question.c.county_id, question.c.state).order_by(question.c.id)))
    finally:
        engine.dispose()
    assert [row.county_id for row in rows] == [county_id] * 4
    assert [row.state for row in rows] == [
        QuestionState.OPEN.value,
        QuestionState.ANSWERED.value,
        QuestionState.HIDDEN.value,
        QuestionState.HIDDEN.value,
    ]
