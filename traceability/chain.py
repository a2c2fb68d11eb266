"""The hash chain: each event's SHA-256 covers its canonical content (from chain version 2, its EPCIS event
hash id with it) and the previous event's hash.

Canonical content is sorted-key, compact JSON with UTC timestamps in ISO 8601 (microseconds), so the same
facts always hash the same on SQLite and PostgreSQL. Verification recomputes every link; anything altered
behind the application's back breaks it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from traceability.models import TraceEvent


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: The chain-hash formula of the events appended now (each row keeps the version it was hashed with).
CHAIN_VERSION = 2


def canonical_content(event: TraceEvent, lot_code: str) -> dict[str, Any]:
    """The facts an event's hash covers (everything shown publicly about it).

    ``recorded_as`` is covered whenever it is set; events recorded before it was kept have none, and their
    content (and so their hash) stays what it was. From chain version 2 on the content also holds the
    version and the event's canonical EPCIS hash id, so the chain links the ids anyone can recompute from
    our EPCIS export; version 1 rows (appended before) keep the formula they were hashed with.
    """
    content: dict[str, Any] = {
        "lot": lot_code,
        "seq": event.seq,
        "kind": str(event.kind),
        "occurred_at": _utc_iso(event.occurred_at),
        "recorded_at": _utc_iso(event.recorded_at),
        "place": event.place,
        "region_id": event.region_id,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "details": event.details or {},
        "note": event.note or "",
    }
    if event.recorded_as is not None:
        content["recorded_as"] = str(event.recorded_as)
    version = event.chain_version or 1
    if version >= 2:
        content["chain_version"] = version
        content["epcis_event_id"] = event.epcis_event_id
    return content


def compute_hash(event: TraceEvent, lot_code: str, prev_hash: str | None) -> str:
    """SHA-256 (hex) over the canonical content and the previous hash."""
    payload = json.dumps(
        {"content": canonical_content(event, lot_code), "prev": prev_hash or ""},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainStatus:
    """The result of verifying one batch's chain."""

    valid: bool
    events: int
    #: Sequence number of the first event whose stored hash or link does not match, if any.
    broken_at: int | None = None
    head_hash: str | None = None


def verify_chain(events: list[TraceEvent], lot_code: str, expected_head: str | None) -> ChainStatus:
    """Recompute every hash in order; the chain is valid only if each link and the stored head match."""
    prev: str | None = None
    for position, event in enumerate(events, start=1):
        if (
            event.seq != position
            or event.prev_hash != prev
            or compute_hash(event, lot_code, prev) != event.hash
        ):
            return ChainStatus(valid=False, events=len(events), broken_at=position, head_hash=expected_head)
        prev = event.hash
    if prev != expected_head:
        return ChainStatus(
            valid=False, events=len(events), broken_at=len(events) or None, head_hash=expected_head
        )
    return ChainStatus(valid=True, events=len(events), head_hash=prev)
