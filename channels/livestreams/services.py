"""Organising livestreams and handing out sharer links; which session (and sharer) an order is attributed to.

An order is attributed to a session when the buyer came from the session's page (or a sharer's link to it)
within :data:`ATTRIBUTION_HOURS` before placing it and the order holds at least one of the session's featured
products. Functions flush but never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import producers_of
from catalog.public import visible_product
from channels.counters.services import operator_names
from channels.livestreams.errors import (
    FeaturedProductsInvalid,
    NotAnOrganiser,
    ReplayLinkInvalid,
    SessionFieldError,
)
from channels.livestreams.models import LiveOrder, LiveProduct, LiveSession, LiveSharer
from core.models import User
from orders.channel import Channel
from orders.models import Order

#: How long after opening a session's page an order is still attributed to it.
ATTRIBUTION_HOURS = 24
#: Most products one session features.
MAX_FEATURED = 30
#: Longest session (a stream longer than a day is several sessions).
MAX_LENGTH = timedelta(hours=24)


@dataclass(frozen=True)
class SessionData:
    """What a session is: who organises it, title, host, when, what it features, its replay."""

    organiser_name: str
    title: str
    host: str
    starts_at: datetime
    ends_at: datetime
    product_ids: Sequence[int]
    replay_url: str | None = None


def organiser_names(session: Session, user: User) -> list[str]:
    """The organisations ``user`` may run a session for: their producers, then what may run a counter."""
    names = [p.name for p in producers_of(user)] + operator_names(session, user)
    return list(dict.fromkeys(names))


def create_session(session: Session, user: User, data: SessionData) -> LiveSession:
    """Organise a livestream.

    Raises :class:`NotAnOrganiser`, :class:`SessionFieldError`, :class:`ReplayLinkInvalid`,
    :class:`FeaturedProductsInvalid`. Does not commit.
    """
    if data.organiser_name not in organiser_names(session, user):
        raise NotAnOrganiser()
    title, host = data.title.strip(), data.host.strip()
    if not title or not host or len(title) > 120 or len(host) > 60:
        raise SessionFieldError()
    if not data.starts_at < data.ends_at <= data.starts_at + MAX_LENGTH:
        raise SessionFieldError()
    replay = (data.replay_url or "").strip() or None
    if replay is not None and (not replay.startswith("https://") or len(replay) > 300):
        raise ReplayLinkInvalid()
    ids = list(dict.fromkeys(data.product_ids))
    products = [visible_product(session, pid) for pid in ids]
    if not 1 <= len(ids) <= MAX_FEATURED or any(p is None for p in products):
        raise FeaturedProductsInvalid(max=MAX_FEATURED)
    live = LiveSession(
        title=title,
        host=host,
        organiser_name=data.organiser_name,
        created_by_id=user.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        replay_url=replay,
        featured=[LiveProduct(product_id=pid) for pid in ids],
    )
    session.add(live)
    session.flush()
    return live


def sharer_link(session: Session, user: User, live: LiveSession) -> LiveSharer:
    """``user``'s sharer token for ``live`` (made on first request, the same afterwards). Does not commit."""
    sharer = session.scalar(
        select(LiveSharer).where(LiveSharer.session_id == live.id, LiveSharer.user_id == user.id)
    )
    if sharer is None:
        sharer = LiveSharer(session_id=live.id, user_id=user.id, token=secrets.token_urlsafe(12))
        session.add(sharer)
        session.flush()
    return sharer


def find_sharer(session: Session, live: LiveSession, token: str) -> LiveSharer | None:
    """The sharer of ``live`` whose link carries ``token``, or ``None``."""
    if not token or len(token) > 32:
        return None
    return session.scalar(
        select(LiveSharer).where(LiveSharer.token == token, LiveSharer.session_id == live.id)
    )


def attribute(
    session: Session,
    orders: Sequence[Order],
    buyer: User,
    live_id: int,
    sharer_id: int | None,
    seen_at: datetime,
    now: datetime,
) -> list[Order]:
    """Attribute to session ``live_id`` (and its sharer) the ``orders`` being placed that hold one of its
    featured products, when the buyer saw the session within :data:`ATTRIBUTION_HOURS`; return them.

    A sharer never earns credit for their own purchases. Sets ``Order.channel`` to ``livestream`` and adds
    the :class:`LiveOrder` rows (flushed with the orders). Does not commit.
    """
    if now - seen_at > timedelta(hours=ATTRIBUTION_HOURS) or seen_at > now + timedelta(minutes=5):
        return []
    live = session.get(LiveSession, live_id)
    if live is None:
        return []
    sharer = session.get(LiveSharer, sharer_id) if sharer_id is not None else None
    if sharer is not None and (sharer.session_id != live.id or sharer.user_id == buyer.id):
        sharer = None
    featured = {item.product_id for item in live.featured}
    attributed = []
    for order in orders:
        if not any(line.product_id in featured for line in order.lines):
            continue
        order.channel = Channel.LIVESTREAM
        order.channel_ref = live.channel_ref
        session.add(
            LiveOrder(
                order=order,
                session_id=live.id,
                sharer_id=sharer.id if sharer is not None else None,
                buyer_id=buyer.id,
            )
        )
        attributed.append(order)
    return attributed
