"""Small URL helpers shared by views and by services that write links (notifications)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context, url_for
from werkzeug.routing import Map


def safe_next_url(target: str | None, default_endpoint: str = "main.index") -> str:
    """Return ``target`` if it is a path on this site, else the default page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        # "//host" and "/\\host" are protocol-relative to browsers.
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default_endpoint)


#: The URL map of the app built last, for services called outside any app context (scripts, tests).
_last_url_map: list[Map] = []


def remember_url_map(app: Flask) -> None:
    """Keep ``app``'s URL map for :func:`path_for` outside an app context (every app of this code has the
    same routes, so the addresses do not depend on which app it was)."""
    _last_url_map[:] = [app.url_map]


def path_for(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` (``url_for`` without scheme or host), built from the app's URL map.

    Works in a request, a CLI command, a signal receiver and, through the app built last, outside any app
    context — so services and notifications never write a page's address by hand. Raises werkzeug's
    ``BuildError`` for an unknown endpoint, like ``url_for``.
    """
    url_map = current_app.url_map if has_app_context() else _last_url_map[0]
    return url_map.bind("").build(endpoint, values)
