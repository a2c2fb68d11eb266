"""Conditional GETs and Cache-Control for public pages: one cheap version check, then 304 or a fresh page.

A public page names what it shows as a *version*: a few values read with one cheap query (the data versions
of :mod:`core.versions`, one primary-key read, or a batch's own row) and today's date. Its ETag is a digest
of that version with the page's address, language and representation and the code that renders it, so

- a browser, reverse proxy or CDN revalidating with ``If-None-Match`` gets ``304 Not Modified`` and nothing
  is rendered (:func:`respond` compares before it calls ``render``);
- anything a page shows moves its version in the shared database, so the next request to any app server
  gets a new ETag and the new page (a new release of the code, too).

Who may keep a copy: a page for a visitor who is not signed in, with no flashed message, no form token and no
new session cookie, is ``public, max-age=0, s-maxage=1`` (a shared cache may answer for it for one second, a
browser revalidates every time); every other answer is ``private, no-store`` without an ETag, so no proxy ever
hands one visitor's page to another. Both vary with ``Cookie`` and whatever else the caller names.

The one cache in the app: each process also keeps the public pages it rendered, by ETag (:class:`PageMemo`,
``PAGE_MEMO_MB`` per process, least recently used out first), for visitors who send no ``If-None-Match``: a
QR code scanned again on another phone costs the version read and no rendering. It can never serve a stale
page, on any machine: the ETag it is keyed by is computed from the database on every request. Measured over
many lots (bench/README.md): it halves the cost of Zipf-popular scans and cannot help uniform ones; a reverse
proxy honouring ``s-maxage`` does the same job in front of every app server.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import ParamSpec

from flask import Flask, Response, current_app, g, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.http import is_resource_modified

from core.i18n import select_locale

PUBLIC = "public, max-age=0, s-maxage=1"
PRIVATE = "private, no-store"
#: What a release's pages are rendered by (a change to any of these files makes every ETag new).
_RENDERING_FILES = (".py", ".html", ".mo")
_NOT_RENDERING = {"tests", "bench", "instance", "node_modules", "static", "migrations", "scripts"}
#: Headers of a rendered page that belong to the body as filled in, not to the page kept.
_RENDERED = {"Content-Type", "Content-Length"}

P = ParamSpec("P")


@dataclass(frozen=True)
class Page:
    """A public page as rendered once: its body (with the caller's placeholders) and what it is served as."""

    body: str
    mimetype: str
    headers: tuple[tuple[str, str], ...]


class PageMemo:
    """Public pages by ETag, least recently used first out, at most ``limit`` bytes of bodies. Thread-safe."""

    def __init__(self, limit: int) -> None:
        """An empty memo holding at most ``limit`` bytes (0 keeps nothing)."""
        self.limit = limit
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, tag: str) -> Page | None:
        """The page rendered for ``tag``, if kept."""
        with self._lock:
            page = self._pages.get(tag)
            if page is not None:
                self._pages.move_to_end(tag)
            return page

    def put(self, tag: str, page: Page) -> None:
        """Keep ``page`` for ``tag``, forgetting the least recently used beyond the limit."""
        if len(page.body) > self.limit:
            return
        with self._lock:
            old = self._pages.pop(tag, None)
            self._size += len(page.body) - (len(old.body) if old else 0)
            self._pages[tag] = page
            while self._size > self.limit:
                self._size -= len(self._pages.popitem(last=False)[1].body)


def _release(root: Path) -> str:
    """A digest of the code and templates that render pages (the same on every machine with this release)."""
    digest = hashlib.blake2b(digest_size=8)
    for folder, dirs, files in os.walk(root):  # top-down, in sorted order: the pruning below applies
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_RENDERING)
        for name in sorted(files):
            if name.endswith(_RENDERING_FILES):
                path = Path(folder, name)
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class _State:
    release: str
    memo: PageMemo


def _state() -> _State:
    """This app's release digest and page memo (made on first use)."""
    state: _State | None = current_app.extensions.get("http_cache")
    if state is None:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        limit = int(float(app.config.get("PAGE_MEMO_MB", 32)) * 1024 * 1024)
        state = app.extensions["http_cache"] = _State(_release(Path(app.root_path).parent), PageMemo(limit))
    return state


def is_public() -> bool:
    """Whether this request may get a page other visitors share: nobody signed in, no message waiting."""
    return not current_user.is_authenticated and "_flashes" not in session


def etag(version: Iterable[object], kind: str = "") -> str:
    """The (unquoted) ETag of this request's page in representation ``kind`` at ``version``."""
    key = repr((_state().release, request.path, request.query_string, select_locale(), kind, *version))
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


def _unchanged(body: str) -> str:
    return body


def respond(
    version: Callable[[], Iterable[object]],
    render: Callable[[], ResponseReturnValue],
    *,
    kind: str = "",
    vary: Iterable[str] = (),
    fill: Callable[[str], str] = _unchanged,
) -> Response:
    """``304`` when the client holds the page at ``version()``, else the page (kept, or ``render()``).

    ``version`` is called only for visitors who may share pages; ``kind`` names the representation (``json``)
    when one URL has several, ``vary`` the request headers that choose it (``Accept``), and ``fill`` puts what
    differs per request into a rendered body (the page is kept with the placeholders ``render`` left).
    """
    if not is_public() or session.modified:  # signed in, a message, or a session cookie to set again
        return private(make_response(render()), vary)
    tag = etag(version(), kind)
    if not is_resource_modified(request.environ, etag=tag):
        return _shared(current_app.response_class(status=304), tag, vary)
    memo = _state().memo
    page = memo.get(tag)
    if page is None:
        response = make_response(render())
        if _personal(response):
            return private(response, vary)
        own = tuple((name, value) for name, value in response.headers.items() if name not in _RENDERED)
        page = Page(response.get_data(as_text=True), response.mimetype or "text/html", own)
        memo.put(tag, page)
    response = current_app.response_class(fill(page.body), headers=page.headers, mimetype=page.mimetype)
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
