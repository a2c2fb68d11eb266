"""Small URL helpers shared by views and by services that write links (notifications)."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context, url_for
from werkzeug.routing import Map


def _has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a C0/C1 control character (CR, LF, TAB, NUL, U+0085 …) or a Unicode format
    character (U+202E …): never part of a path we link to, and CR/LF cannot go into a Location header."""
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def safe_next_url(target: str | None, default_endpoint: str = "main.index") -> str:
    """Return ``target`` if it is a path on this site, else the default page (no open redirects).

    Control characters send the default page too: browsers drop TAB/CR/LF inside URLs (``/\\n/evil.example``
    would become ``//evil.example``) and a header cannot carry them.
    """
    if target and not _has_control_characters(target):
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        # "//host" and "/\\host" are protocol-relative to browsers.
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default_endpoint)


#: The URL map of the app built last, for services called outside any app context (scripts, tests).
_last_url_map: list[Map] = []
#: The public base URL of the app built last, likewise.
_last_base_url: list[str] = []


def remember_url_map(app: Flask) -> None:
    """Keep ``app``'s URL map for :func:`path_for` outside an app context (every app of this code has the
    same routes, so the addresses do not depend on which app it was), and its public base URL for
    :func:`public_base_url`."""
    _last_url_map[:] = [app.url_map]
    _last_base_url[:] = [str(app.config["PUBLIC_BASE_URL"])]


def public_base_url() -> str:
    """The configured public site (``PUBLIC_BASE_URL``) of the current app, else of the app built last:
    services that write identifiers on it (EPCIS export) work in a request, a command and outside both."""
    return str(current_app.config["PUBLIC_BASE_URL"]) if has_app_context() else _last_base_url[0]


def path_for(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` (``url_for`` without scheme or host), built from the app's URL map.

    Works in a request, a CLI command, a signal receiver and, through the app built last, outside any app
    context — so services and notifications never write a page's address by hand. Raises werkzeug's
    ``BuildError`` for an unknown endpoint, like ``url_for``.
    """
    url_map = current_app.url_map if has_app_context() else _last_url_map[0]
    return url_map.bind("").build(endpoint, values)


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` on the configured public site (``PUBLIC_BASE_URL``).

    Every absolute link the app hands out -- API responses, e-mails, QR codes, invitation and payment return
    links -- is built here, never from the request's Host header, which the client chooses.
    """
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + path_for(endpoint, **values)


def init_app(app: Flask) -> None:
    """Offer :func:`public_url_for` to templates (instead of ``url_for`` with an external flag)."""
    app.add_template_global(public_url_for)
