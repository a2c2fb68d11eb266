"""Conditional GETs and Cache-Control for public pages: one cheap version check, then 304 or a fresh page.

A public page names what it shows as a *version*: a few values read with one cheap query (the data versions
of :mod:`core.versions`, one primary-key read, or a batch's own row) and today's date. Its ETag is a digest
of that version with the page's address, language and representation, so

- a browser, reverse proxy or CDN revalidating with ``If-None-Match`` gets ``304 Not Modified`` and nothing
  is rendered (:func:`respond` compares before it calls ``render``);
- anything a page shows moves its version in the shared database, so the next request to any app server
  gets a new ETag and the new page. Nothing is remembered between requests, on any machine.

Who may keep a copy: a page for a visitor who is not signed in, with no flashed message, no form token and no
new session cookie, is ``public, max-age=0, s-maxage=1`` (a shared cache may answer for it for one second, a
browser revalidates every time); every other answer is ``private, no-store`` without an ETag, so no proxy ever
hands one visitor's page to another. Both vary with ``Cookie`` and whatever else the caller names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import ParamSpec

from flask import Response, current_app, g, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.http import is_resource_modified

from core.i18n import select_locale

PUBLIC = "public, max-age=0, s-maxage=1"
PRIVATE = "private, no-store"

P = ParamSpec("P")


def is_public() -> bool:
    """Whether this request may get a page other visitors share: nobody signed in, no message waiting."""
    return not current_user.is_authenticated and "_flashes" not in session


def etag(version: Iterable[object], kind: str = "") -> str:
    """The (unquoted) ETag of this request's page in representation ``kind`` at ``version``."""
    key = repr((request.path, request.query_string, select_locale(), kind, *version))
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def private(response: Response, vary: Iterable[str] = ()) -> Response:
    """Mark ``response`` as one visitor's own: never stored by any cache, never revalidated."""
    response.headers["Cache-Control"] = PRIVATE
    response.vary.update(("Cookie", *vary))
    return response


def _shared(response: Response, tag: str, vary: Iterable[str]) -> Response:
    response.set_etag(tag, weak=True)  # the same facts, not necessarily the same bytes (the visit count)
    response.headers["Cache-Control"] = PUBLIC
    response.vary.update(("Cookie", *vary))
    return response


def _personal(response: Response) -> bool:
    """Whether rendering made the page one visitor's: a form token, a session cookie to set, not a 200."""
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return response.status_code != 200 or token_field in g or session.modified


def respond(
    version: Callable[[], Iterable[object]],
    render: Callable[[], ResponseReturnValue],
    *,
    kind: str = "",
    vary: Iterable[str] = (),
) -> Response:
    """``304`` when the client holds the page at ``version()``, else ``render()`` with the caching headers.

    ``version`` is called only for visitors who may share pages; ``kind`` names the representation (``json``)
    when one URL has several, and ``vary`` the request headers that choose it (``Accept``).
    """
    if not is_public():
        return private(make_response(render()), vary)
    tag = etag(version(), kind)
    if not is_resource_modified(request.environ, etag=tag):
        return _shared(current_app.response_class(status=304), tag, vary)
    response = make_response(render())
    if _personal(response):
        return private(response, vary)
    return _shared(response, tag, vary)


def conditional(
    version: Callable[[], Iterable[object]],
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, Response]]:
    """Decorate a public view whose pages all change with ``version()`` (e.g. the catalog's data version)."""

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Response:
            return respond(version, lambda: view(*args, **kwargs))

        return wrapped

    return decorate
