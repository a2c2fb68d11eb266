"""Named queries with webhook subscriptions: a partner subscribes to ``RecalledLots`` and is told, by a POST
of the query result to its URL, when a lot it serves is recalled.

Why an outbox and a command rather than a POST after commit: the recall's transaction writes the delivery
rows with the recall itself, so a recall is never announced that did not happen and never happens unannounced;
the POST runs outside any request (a slow partner never holds a reviewer's page), and ``flask --app shop
epcis deliver`` (cron, every minute, one machine at a time) retries failures with back-off, even after a
restart. Service functions flush, never commit; :func:`deliver_due` is the command's unit of work per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from core.db import utcnow
from core.text import forbidden_character
from traceability.epcis import EPCIS_MEDIA_TYPE, epcis_event, namespace
from traceability.interop.destinations import IPNetwork, check_destination, post_to_checked
from traceability.interop.errors import NoSuchResourceException, QueryParameterException, ValidationException
from traceability.interop.models import EpcisDelivery, EpcisSubscription, Partner, PartnerScope
from traceability.interop.partners import serves
from traceability.interop.query import query_document
from traceability.models import Batch, EventKind, TraceEvent

#: The named queries a partner may subscribe to, with the EPCIS query each stands for.
NAMED_QUERIES: dict[str, dict[str, Any]] = {
    "RecalledLots": {"queryType": "events", "query": {"EQ_disposition": ["recalled"]}},
}
MAX_ATTEMPTS = 12
BATCH_SIZE = 100
TIMEOUT_SECONDS = 10


def named_query_args(query_name: str, args: Any) -> MultiDict[str, str]:
    """The query string of a named query's run: its own filters, with the client's ``perPage`` and
    ``nextPageToken`` (``args``, a MultiDict). Raises :class:`NoSuchResourceException` for an unknown query,
    :class:`QueryParameterException` for any other parameter (the named query fixes the filters)."""
    if query_name not in NAMED_QUERIES:
        raise NoSuchResourceException()
    unknown = next((name for name in args if name not in ("perPage", "nextPageToken")), None)
    if unknown is not None:
        raise QueryParameterException(name=unknown)
    merged: MultiDict[str, str] = MultiDict()
    for name, values in NAMED_QUERIES[query_name]["query"].items():
        for value in values:
            merged.add(name, value)
    for name in ("perPage", "nextPageToken"):
        if name in args:
            merged[name] = args[name]
    return merged


def subscribe(
    session: Session,
    partner: Partner,
    query_name: str,
    dest: Any,
    *,
    allow_http: bool,
    allowed: Iterable[IPNetwork] = (),
) -> EpcisSubscription:
    """Subscribe ``partner`` to a named query, results POSTed to ``dest`` (https; http only if allowed),
    whose host must resolve to public addresses only (or ``allowed`` ones).

    Raises :class:`NoSuchResourceException` for an unknown query, :class:`ValidationException` for a bad URL
    (:class:`UnsafeDestination`, :class:`UnresolvableDestination` for where it leads). Does not commit.
    """
    if query_name not in NAMED_QUERIES:
        raise NoSuchResourceException()
    clean = isinstance(dest, str) and len(dest) <= 500 and forbidden_character(dest) is None
    parts = urlsplit(dest) if clean else None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts is None or parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ValidationException(detail="dest must be an https URL of at most 500 characters")
    check_destination(dest, allowed)
    subscription = EpcisSubscription(partner_id=partner.id, query_name=query_name, dest=dest)
    session.add(subscription)
    session.flush()
    return subscription


def subscriptions_of(session: Session, partner: Partner, query_name: str) -> list[EpcisSubscription]:
    """The partner's live subscriptions to a named query, oldest first."""
    return list(
        session.scalars(
            select(EpcisSubscription)
            .where(
                EpcisSubscription.partner_id == partner.id,
                EpcisSubscription.query_name == query_name,
                EpcisSubscription.cancelled_at.is_(None),
            )
            .order_by(EpcisSubscription.id)
        )
    )


def cancel(session: Session, partner: Partner, subscription_id: int) -> None:
    """End one of the partner's subscriptions (its pending deliveries are no longer sent). Raises
    :class:`NoSuchResourceException` for another partner's or an ended one. Does not commit."""
    subscription = session.get(EpcisSubscription, subscription_id)
    if subscription is None or subscription.partner_id != partner.id or subscription.cancelled_at is not None:
        raise NoSuchResourceException()
    subscription.cancelled_at = utcnow()
    session.flush()


def queue_recall_deliveries(session: Session, batch_ids: list[int]) -> int:
    """Owe each live ``RecalledLots`` subscriber serving a recalled batch the batch's recall event; returns
    how many deliveries were queued. Reads only the subscriptions of partners serving those producers. Does
    not commit."""
    batches = list(session.scalars(select(Batch).where(Batch.id.in_(batch_ids))))
    producers = {b.producer_id for b in batches}
    counties = {b.producer.county_id for b in batches}
    subscriptions = list(
        session.scalars(
            select(EpcisSubscription)
            .join(PartnerScope, PartnerScope.partner_id == EpcisSubscription.partner_id)
            .where(
                EpcisSubscription.query_name == "RecalledLots",
                EpcisSubscription.cancelled_at.is_(None),
                or_(PartnerScope.producer_id.in_(producers), PartnerScope.county_id.in_(counties)),
            )
            .distinct()
        )
    )
    queued = 0
    for batch in batches:
        recall = session.scalar(
            select(TraceEvent)
            .where(TraceEvent.batch_id == batch.id, TraceEvent.kind == EventKind.RECALL)
            .order_by(TraceEvent.seq.desc())
            .limit(1)
        )
        for subscription in subscriptions:
            if recall is not None and subscription.partner.is_active and serves(subscription.partner, batch):
                session.add(EpcisDelivery(subscription_id=subscription.id, trace_event_id=recall.id))
                queued += 1
    session.flush()
    return queued


def result_document(
    session: Session, delivery: EpcisDelivery, base_url: str, now: datetime
) -> dict[str, Any]:
    """The query result a delivery carries: an EPCISQueryDocument with the recall event as we export it."""
    event = session.get_one(TraceEvent, delivery.trace_event_id)  # the chain is append-only: it is there
    prefixes = {"bangfu": namespace(base_url)}  # our export's extensions, which its hash ids cover
    document = query_document([], now, query_name=delivery.subscription.query_name, prefixes=prefixes)
    document["epcisBody"]["queryResults"]["subscriptionID"] = str(delivery.subscription_id)
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    events.append(epcis_event(session, event, event.batch, base_url))
    return document


def post_json(url: str, body: bytes, allowed: Iterable[IPNetwork] = ()) -> None:
    """POST ``body`` as EPCIS JSON-LD to ``url``, checked again where it leads now; raises ``OSError`` unless
    2xx, :class:`UnsafeDestination` or :class:`UnresolvableDestination`."""
    headers = {"Content-Type": EPCIS_MEDIA_TYPE, "GS1-EPCIS-Version": "2.0.0"}
    post_to_checked(url, body, headers, allowed, TIMEOUT_SECONDS)


@dataclass
class DeliveryRun:
    """What one run of the deliverer did."""

    delivered: int = 0
    failed: int = 0


def due_deliveries(session: Session, now: datetime) -> list[EpcisDelivery]:
    """Pending deliveries whose time has come, oldest first, at most :data:`BATCH_SIZE`."""
    return list(
        session.scalars(
            select(EpcisDelivery)
            .join(EpcisSubscription, EpcisSubscription.id == EpcisDelivery.subscription_id)
            .where(
                EpcisDelivery.delivered_at.is_(None),
                EpcisDelivery.next_attempt_at <= now,
                EpcisDelivery.attempts < MAX_ATTEMPTS,
                EpcisSubscription.cancelled_at.is_(None),
            )
            .order_by(EpcisDelivery.next_attempt_at, EpcisDelivery.id)
            .limit(BATCH_SIZE)
        )
    )


def attempt(
    session: Session,
    delivery: EpcisDelivery,
    base_url: str,
    now: datetime,
    allowed: Iterable[IPNetwork] = (),
) -> bool:
    """POST one delivery (to public addresses only, or ``allowed`` ones); mark it delivered, or note the
    failure and when to try again (1, 2, 4… minutes, at most a day). Does not commit."""
    body = json.dumps(result_document(session, delivery, base_url, now), ensure_ascii=False).encode()
    delivery.attempts += 1
    try:
        post_json(delivery.subscription.dest, body, allowed)
    except (OSError, ValueError, ValidationException) as exc:
        delivery.last_error = str(exc)[:300]
        delivery.next_attempt_at = now + min(
            timedelta(minutes=2 ** (delivery.attempts - 1)), timedelta(days=1)
        )
        session.flush()
        return False
    delivery.delivered_at = now
    delivery.last_error = None
    session.flush()
    return True
