"""Access rows for supplier standing: the county desk and decisions (the county's reviewer, administrators)
and a producer's standing page (also its own members)."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, P, R, World, only


def _page(w: World) -> str:
    """The standing page of the producer persona's producer (疏勒县, the reviewer persona's county)."""
    return f"/oversight/standing/producers/{w.objects['product'].producer_id}"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "standing.desk": ("GET", "/oversight/standing/", {}, only((R, ADM))),
    "standing.producer_page": ("GET", _page, {}, only((P, R, ADM))),
    "standing.assess": ("POST", lambda w: _page(w) + "/assess", {}, only((R, ADM), ok=302)),
    "standing.decide": (
        "POST",
        lambda w: _page(w) + "/decide",
        {"level": "warned", "reason": "发货超时较多，请整改。"},
        only((R, ADM), ok=302),
    ),
}
