"""Receivers: the catalog's product and producer pages ask for ratings without importing orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog.signals import RATING_SUBJECTS, RatingSummary, Review, collect_rating_summary, collect_reviews
from orders.reviews import services


def answer_summary(sender: Session, subject: str, subject_id: int, **_extra: Any) -> RatingSummary | None:
    """Receiver of ``collect_rating_summary``: the subject's running totals, or None before any rating."""
    return services.summary(sender, subject, subject_id) if subject in RATING_SUBJECTS else None


def answer_reviews(
    sender: Session, subject: str, subject_id: int, page: int, per_page: int, **_extra: Any
) -> list[Review]:
    """Receiver of ``collect_reviews``: one page of the subject's reviews, newest first, buyers masked."""
    return services.reviews(sender, subject, subject_id, page, per_page) if subject in RATING_SUBJECTS else []


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    collect_rating_summary.connect(answer_summary)
    collect_reviews.connect(answer_reviews)
