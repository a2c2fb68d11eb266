"""Access rows for requests for quotation: the institution's pages and the invited producer's pages.

Each builder sends a fresh request from the institution persona's institution to the producer persona's
producer, so POST rows can repeat for every persona.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import shanghai_date
from procurement.ordering.models import Quote, QuoteRequest
from procurement.rfq.answers import AnswerData, answer_quote
from procurement.rfq.services import RequestData, create_request
from tests.access_rows import PERSONAS, A, I, P, World, only


def new_request(w: World) -> QuoteRequest:
    """A request for 10 kg sent by the institution persona to the producer persona's producer."""
    buyer = w.users[I]
    data = RequestData(
        item="测试蔬菜",
        product_id=None,
        quantity=10,
        unit="kg",
        wanted_by=shanghai_date() + timedelta(days=10),
        note=None,
        producer_ids=[w.objects["producer"].id],
    )
    return create_request(w.db, buyer, buyer.institution_memberships[0].institution, data)


def answered_quote(w: World) -> Quote:
    """The producer persona's answer to a fresh request: its certified product at ¥10.00."""
    quote = new_request(w).quotes[0]
    data = AnswerData(w.objects["product"].id, 1000, 10, shanghai_date() + timedelta(days=9))
    return answer_quote(w.db, w.users[P], quote, data)


def party_only(ok: int = 200, party: str = I) -> dict[str, int]:
    """``ok`` for the party, log-in for anonymous visitors, 404 for everyone else (they may not know it)."""
    return {p: ok if p == party else (302 if p == A else 404) for p in PERSONAS}


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "rfq.index": ("GET", "/rfq/", {}, only((I,))),
    "rfq.new": ("GET", "/rfq/new", {}, only((I,))),
    "rfq.detail": ("GET", lambda w: f"/rfq/{new_request(w).number}", {}, party_only()),
    "rfq.close": ("POST", lambda w: f"/rfq/{new_request(w).number}/close", {}, party_only(302)),
    "rfq.accept": (
        "GET",
        lambda w: (lambda q: f"/rfq/{q.request.number}/quotes/{q.id}/accept")(answered_quote(w)),
        {},
        party_only(),
    ),
    "rfq.inbox": ("GET", "/rfq/inbox", {}, only((P,))),
    "rfq.quote": ("GET", lambda w: f"/rfq/quotes/{new_request(w).quotes[0].id}", {}, party_only(200, P)),
    "rfq.decline": (
        "POST",
        lambda w: f"/rfq/quotes/{new_request(w).quotes[0].id}/decline",
        {"reason": "暂时缺货"},
        party_only(302, P),
    ),
}
