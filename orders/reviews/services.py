"""Reviews: running totals kept with each rating, the public review lists, and the producer's replies.

Services take the session (and the acting user), raise named domain errors, flush but never commit.
"""

from __future__ import annotations

from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, selectinload

from catalog.access import is_member, producers_of
from catalog.products.models import Product
from catalog.signals import RatingSummary, Review
from core.audit.services import record
from core.db import utcnow
from core.errors import DomainError, NotFound, PermissionDenied
from core.models import User
from core.pagination import Page, paginate
from core.text import forbidden_character, mask_person
from core.transactions import upsert_insert
from orders.models import Rating
from orders.reviews.models import ProducerRatingSummary, ProductRatingSummary, RatingReply

MAX_REPLY = 500
#: The reviews a public page lists at a time.
PER_PAGE = 10

_SUMMARIES: dict[str, tuple[Any, Any]] = {
    "product": (ProductRatingSummary, ProductRatingSummary.product_id),
    "producer": (ProducerRatingSummary, ProducerRatingSummary.producer_id),
}


class RatingNotFound(NotFound):
    """No such rating (or none the acting user may answer)."""

    message = _l("No such rating.")


class NotRatingProducer(PermissionDenied):
    """Only members of the rated producer reply."""

    message = _l("Only members of the rated producer can reply.")


class InvalidReply(DomainError):
    """A reply is required text of at most 500 characters, without control characters."""

    message = _l("Write a reply of 1 to 500 characters, without invisible control characters.")


def _raise_summary(session: Session, subject: str, subject_id: int, stars: int, count: int) -> None:
    """Add ``count`` ratings worth ``stars`` to the subject's totals (creating its row), and move its
    version: one atomic upsert, so concurrent ratings never lose one another."""
    model, key = _SUMMARIES[subject]
    table = cast(Table, model.__table__)
    now = utcnow()
    insert = upsert_insert(session, table).values(
        {key.name: subject_id, "count": count, "star_sum": stars, "version": 1, "changed_at": now}
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[key.name],
            set_={
                "count": table.c.count + count,
                "star_sum": table.c.star_sum + stars,
                "version": table.c.version + 1,
                "changed_at": now,
            },
        )
    )


def count_rating(session: Session, rating: Rating) -> None:
    """Add a new rating to its product's and its producer's running totals, in the rating's transaction.
    Does not commit."""
    _raise_summary(session, "product", rating.product_id, rating.product_stars, 1)
    _raise_summary(session, "producer", rating.producer_id, rating.producer_stars, 1)


def summary(session: Session, subject: str, subject_id: int) -> RatingSummary | None:
    """The subject's running totals (one primary-key read), or None before its first rating."""
    model, key = _SUMMARIES[subject]
    row = session.execute(
        select(model.count, model.star_sum, model.version, model.changed_at).where(key == subject_id)
    ).first()
    if row is None:
        return None
    count, star_sum, version, changed_at = row
    return RatingSummary(count=count, star_sum=star_sum, version=version, changed_at=changed_at)


def reviews(session: Session, subject: str, subject_id: int, page: int, per_page: int) -> list[Review]:
    """One page of the subject's reviews, newest first, with any reply, in one statement (the index on
    ``(subject, created_at)`` serves it). Buyers are masked here: their names never reach a template."""
    column = Rating.product_id if subject == "product" else Rating.producer_id
    stars = Rating.product_stars if subject == "product" else Rating.producer_stars
    query = (
        select(
            stars.label("stars"),
            Rating.comment,
            Rating.created_at,
            Rating.product_id,
            Product.name.label("product_name"),
            User.display_name,
            User.email,
            RatingReply.text.label("reply"),
            RatingReply.updated_at.label("replied_at"),
        )
        .join(User, User.id == Rating.user_id)
        .join(Product, Product.id == Rating.product_id)
        .outerjoin(RatingReply, RatingReply.rating_id == Rating.id)
        .where(column == subject_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(per_page)
        .offset((max(1, page) - 1) * per_page)
    )
    return [
        Review(
            stars=row.stars,
            comment=row.comment,
            created_at=row.created_at,
            buyer=mask_person(row.display_name, row.email),
            product_id=row.product_id,
            product_name=row.product_name,
            reply=row.reply,
            replied_at=row.replied_at,
        )
        for row in session.execute(query)
    ]


def producer_ratings(session: Session, user: User, page: int) -> Page[Rating]:
    """The ratings of the producers ``user`` acts for, newest first, a page at a time (with their replies)."""
    ids = [p.id for p in producers_of(user)]
    query = (
        select(Rating)
        .options(selectinload(Rating.product))
        .where(Rating.producer_id.in_(ids))
        .order_by(Rating.created_at.desc(), Rating.id.desc())
    )
    return paginate(session, query, page, PER_PAGE)


def replies_for(session: Session, ratings: list[Rating]) -> dict[int, RatingReply]:
    """The replies to ``ratings``, by rating id."""
    ids = [r.id for r in ratings]
    if not ids:
        return {}
    return {
        r.rating_id: r for r in session.scalars(select(RatingReply).where(RatingReply.rating_id.in_(ids)))
    }


def find_rating(session: Session, rating_id: int) -> Rating | None:
    """The rating with this id, or None."""
    return session.get(Rating, rating_id)


def reply_to_rating(session: Session, user: User, rating: Rating, text: str | None) -> RatingReply:
    """A member of the rated producer writes (or rewrites) its one public reply to ``rating``; the product's
    and the producer's pages change version with it. Audited as ``rating.reply``.

    Raises :class:`NotRatingProducer` (not a member), :class:`InvalidReply` (empty, over 500 characters or
    with a control character). Does not commit.
    """
    producer = rating.producer
    if not user.is_authenticated or not is_member(user, producer):
        raise NotRatingProducer()
    text = (text or "").strip()
    if not text or len(text) > MAX_REPLY or forbidden_character(text, multiline=True) is not None:
        raise InvalidReply()
    reply = session.get(RatingReply, rating.id)
    before = {"text": reply.text} if reply is not None else None
    now = utcnow()
    if reply is None:
        reply = RatingReply(rating_id=rating.id, text=text, author_id=user.id, created_at=now, updated_at=now)
        session.add(reply)
    else:
        reply.text, reply.author_id, reply.updated_at = text, user.id, now
    # no rating more, but the pages showing it change: their versions move
    _raise_summary(session, "product", rating.product_id, 0, 0)
    _raise_summary(session, "producer", rating.producer_id, 0, 0)
    record(
        session,
        user,
        "rating.reply",
        "rating",
        rating.id,
        before=before,
        after={"text": text},
        region_code=producer.county.code,
    )
    return reply
