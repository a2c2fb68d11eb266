"""Access rows for counters and fairs: the public directory (everyone), opening one (institution members,
county offices, administrators), the counter's desk, quick sale and closing report (its operator — here the
institution persona — and administrators), consigning (producers), and leakage (administrators)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from channels.counters import services
from channels.counters.models import Counter
from channels.livestreams import services as live_services
from core.db import utcnow
from tests.access_rows import ADM, SIGNED_IN, I, P, R, World, everyone, only
from tests.channels.support import give_batch, give_counter


def _counter(w: World) -> Counter:
    """A counter run by the institution persona, in 重庆市."""
    return give_counter(w.db, w.users[I], w.factories["region"]("500000"))


def _pending(w: World) -> str:
    """A consignment of the producer persona's lot on its way to a fresh counter: its receive URL."""
    counter = _counter(w)
    product = w.objects["product"]
    batch = give_batch(w.db, product, 20)
    consignment = services.consign(w.db, product.producer.members[0].user, counter, batch, 5)
    return f"/channels/counters/{counter.id}/consignments/{consignment.id}/receive"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "counters.directory": ("GET", "/channels/counters/", {}, everyone(200)),
    "counters.open_counter": ("GET", "/channels/counters/new", {}, only((I, R, ADM))),
    "counters.desk": ("GET", lambda w: f"/channels/counters/{_counter(w).id}", {}, only((I, ADM))),
    "counters.consign": ("GET", lambda w: f"/channels/counters/{_counter(w).id}/consign", {}, only((P,))),
    "counters.receive": ("POST", _pending, {}, only((I, ADM), ok=302)),
    "counters.sell": ("GET", lambda w: f"/channels/counters/{_counter(w).id}/sell", {}, only((I, ADM))),
    "counters.closing": ("GET", lambda w: f"/channels/counters/{_counter(w).id}/closing", {}, only((I, ADM))),
    "counters.leakage": ("GET", "/channels/counters/leakage", {}, only((ADM,))),
}


def _live(w: World) -> int:
    """A session organised by the producer persona, featuring its product."""
    now = utcnow()
    product = w.objects["product"]
    data = live_services.SessionData(
        w.objects["producer"].name, "直播", "主播", now, now + timedelta(hours=1), [product.id]
    )
    return live_services.create_session(w.db, w.users[P], data).id


ROWS.update(
    {
        "livestreams.sessions": ("GET", "/channels/live/", {}, everyone(200)),
        "livestreams.new_session": ("GET", "/channels/live/new", {}, only((P, I, R, ADM))),
        "livestreams.session_page": ("GET", lambda w: f"/channels/live/{_live(w)}", {}, everyone(200)),
        "livestreams.share": (
            "POST",
            lambda w: f"/channels/live/{_live(w)}/share",
            {},
            only(SIGNED_IN, ok=302),
        ),
        "livestreams.report": ("GET", lambda w: f"/channels/live/{_live(w)}/report", {}, only((P, ADM))),
    }
)
