"""Access rows for the EPCIS 2.0 interface: it reads a partner's bearer token, never the session, so every
persona without one gets 401 (capture is exempt from CSRF: no cookie is ever trusted there)."""

from __future__ import annotations

from typing import Any

from tests.access_rows import World, everyone

#: A hash id, percent-encoded as a client puts it in the path.
EVENT = "ni%3A%2F%2F%2Fsha-256%3B" + "0" * 64 + "%3Fver%3DCBV2.0"


def _epc(_w: World) -> str:
    return "/epcis/epcs/https%3A%2F%2Fid.gs1.org%2F01%2F06901234567892%2F10%2FLOT1/events"


#: endpoint → (method, path or path builder, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "epcis.capture": ("POST", "/epcis/capture", {}, everyone(401)),
    "epcis.capture_job": ("GET", "/epcis/capture/1", {}, everyone(401)),
    "epcis.events": ("GET", "/epcis/events", {}, everyone(401)),
    "epcis.event": ("GET", f"/epcis/events/{EVENT}", {}, everyone(401)),
    "epcis.epc_events": ("GET", _epc, {}, everyone(401)),
    "epcis.queries": ("GET", "/epcis/queries", {}, everyone(401)),
    "epcis.subscribe": ("POST", "/epcis/queries/RecalledLots/subscriptions", {}, everyone(401)),
    "epcis.subscriptions": ("GET", "/epcis/queries/RecalledLots/subscriptions", {}, everyone(401)),
    "epcis.unsubscribe": ("DELETE", "/epcis/queries/RecalledLots/subscriptions/1", {}, everyone(401)),
}
