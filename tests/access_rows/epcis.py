"""Access rows for the EPCIS 2.0 interface: it reads a partner's bearer token, never the session, so every
persona without one gets 401 (capture is exempt from CSRF: no cookie is ever trusted there)."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, World, everyone, only
from traceability.interop.models import Partner, PartnerKind
from traceability.interop.partners import issue_partner_token, register_partner

#: A hash id, percent-encoded as a client puts it in the path.
EVENT = "ni%3A%2F%2F%2Fsha-256%3B" + "0" * 64 + "%3Fver%3DCBV2.0"


def _epc(_w: World) -> str:
    return "/epcis/epcs/https%3A%2F%2Fid.gs1.org%2F01%2F06901234567892%2F10%2FLOT1/events"


#: endpoint → (method, path or path builder, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "epcis.capture": ("POST", "/epcis/capture", {}, everyone(401)),
    "epcis.capture_job": ("GET", "/epcis/capture/1", {}, everyone(401)),
    "epcis.capture_jobs": ("GET", "/epcis/capture", {}, everyone(401)),
    "epcis.named_query_events": ("GET", "/epcis/queries/RecalledLots/events", {}, everyone(401)),
    "epcis.events": ("GET", "/epcis/events", {}, everyone(401)),
    "epcis.event": ("GET", f"/epcis/events/{EVENT}", {}, everyone(401)),
    "epcis.epc_events": ("GET", _epc, {}, everyone(401)),
    "epcis.queries": ("GET", "/epcis/queries", {}, everyone(401)),
    "epcis.subscribe": ("POST", "/epcis/queries/RecalledLots/subscriptions", {}, everyone(401)),
    "epcis.subscriptions": ("GET", "/epcis/queries/RecalledLots/subscriptions", {}, everyone(401)),
    "epcis.unsubscribe": ("DELETE", "/epcis/queries/RecalledLots/subscriptions/1", {}, everyone(401)),
}


def _partner(w: World) -> Partner:
    """A cold store serving the world's producer, registered once and shared."""
    if "epcis_partner" not in w.objects:
        admin = w.users[ADM]
        w.objects["epcis_partner"] = register_partner(
            w.db, admin, "矩阵冷库", PartnerKind.COLD_STORE, producers=[w.objects["producer"]]
        )
    partner: Partner = w.objects["epcis_partner"]
    return partner


def _issue(w: World) -> str:
    return f"/admin/epcis-partners/{_partner(w).id}/tokens"


def _revoke(w: World) -> str:
    """A fresh token of the shared partner, to revoke."""
    token, _secret = issue_partner_token(w.db, w.users[ADM], _partner(w), "matrix")
    return f"/admin/epcis-partners/tokens/{token.id}/revoke"


ROWS.update(
    {
        "epcis_partners.index": ("GET", "/admin/epcis-partners/", {}, only((ADM,))),
        "epcis_partners.create": (
            "POST", "/admin/epcis-partners/", {"name": "矩阵承运", "kind": "carrier", "counties": "653122"},
            only((ADM,), ok=302),
        ),
        "epcis_partners.issue": ("POST", _issue, {"name": "WMS"}, only((ADM,))),
        "epcis_partners.revoke": ("POST", _revoke, {}, only((ADM,), ok=302)),
    }
)  # fmt: skip
