"""A question about a product, and its producer's one answer."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User


class QuestionState(enum.StrEnum):
    """Where a question stands (kept beside the answer and hiding times, so reviewers' lists read one
    index): waiting for an answer, answered, or hidden as abusive."""

    OPEN = "open"
    ANSWERED = "answered"
    HIDDEN = "hidden"


class Question(Base):
    """A signed-in user's public question about a product; the producer answers it once (members may edit
    the answer). A hidden question is shown nowhere, and can no longer be answered."""

    __tablename__ = "catalog_question"
    __table_args__ = (
        # the producer's page and workbench: its questions waiting for an answer, newest first
        Index("ix_catalog_question_producer_open", "producer_id", "answered_at", "hidden_at", "created_at"),
        # the product page: its answered questions, newest answer first, and its version stamp
        Index("ix_catalog_question_product_answered", "product_id", "answered_at"),
        # the county reviewers' lists: a county's questions in one state, newest first
        Index("ix_catalog_question_county_state", "county_id", "state", "created_at", "id"),
        # the administrators' list: every county's questions in one state, newest first
        Index("ix_catalog_question_state", "state", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    #: The product's producer when asked (kept here: the producer's lists read one index).
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id", ondelete="CASCADE"))
    #: The producer's county when asked (kept here: its reviewers' list reads one index).
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    state: Mapped[QuestionState] = mapped_column(str_enum(QuestionState, 16), default=QuestionState.OPEN)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(1000))
    answer_author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    #: Moves with every change (asked, answered, edited, hidden): part of the product page's ETag.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    producer: Mapped[Producer] = relationship()
    county: Mapped[Region] = relationship()
    asker: Mapped[User | None] = relationship(foreign_keys=[asker_id])

    def settle_state(self) -> None:
        """Set :attr:`state` from the hiding and answer times (after either changes)."""
        if self.hidden_at is not None:
            self.state = QuestionState.HIDDEN
        elif self.answered_at is not None:
            self.state = QuestionState.ANSWERED
        else:
            self.state = QuestionState.OPEN

    @property
    def is_answered(self) -> bool:
        """Whether the producer has answered."""
        return self.answered_at is not None

    @property
    def is_hidden(self) -> bool:
        """Whether the question was hidden as abusive."""
        return self.hidden_at is not None
