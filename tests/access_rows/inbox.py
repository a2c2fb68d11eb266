"""Access rows for the inbox: every signed-in user has one; a message is its recipient's alone."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, SIGNED_IN, A, C, I, P, R, World, everyone, only


def _consumer_message(w: World) -> str:
    """A fresh unread message of the consumer persona; its read URL."""
    from core.notifications.services import notify

    message = notify(w.db, w.users[C], "order_paid", "订单已付款", "您的订单已付款。", link="/")
    return f"/inbox/{message.id}/read"


#: endpoint → (method, path or path builder, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "inbox.index": ("GET", "/inbox/", {}, only(SIGNED_IN)),
    # Only the recipient: anyone else, administrators included, is told it does not exist.
    "inbox.read": ("POST", _consumer_message, {}, {A: 302, C: 302, P: 404, I: 404, R: 404, ADM: 404}),
    "inbox.read_all": ("POST", "/inbox/read-all", {}, everyone(302)),
}
