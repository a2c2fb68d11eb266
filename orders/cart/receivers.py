"""Receivers: a visitor's cart joins their account when they sign in."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Flask,
    g,
    request,
    session,
)
from sqlalchemy.exc import SQLAlchemyError

from core.db import db_session
from core.models import User
from orders.cart import services as carts

log = logging.getLogger(__name__)

#: Where a visitor's cart lives in the signed session cookie.
CART_KEY = "cart"


def stash_cart_before_login() -> None:
    """The log-in view clears the session before signing in: keep the visitor's cart for the merge."""
    if request.method == "POST" and request.endpoint in ("auth.login", "auth.signup") and CART_KEY in session:
        g.cart_before_login = session[CART_KEY]


def merge_on_login(_app: Flask, user: User, **_extra: Any) -> None:
    """Merge the visitor's cart into the account cart when someone signs in (its own unit of work)."""
    raw = g.pop("cart_before_login", None) or session.get(CART_KEY)
    if not raw:
        return
    try:
        carts.merge_session_cart(db_session, user, raw)
        db_session.commit()
    except SQLAlchemyError:
        db_session.rollback()
        log.warning("could not merge the visitor's cart on log-in", exc_info=True)
        session[CART_KEY] = raw  # keep it for the next try
        return
    session.pop(CART_KEY, None)
