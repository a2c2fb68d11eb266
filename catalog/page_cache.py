"""Rendered public pages kept in memory, each valid only for the *version* of the data it was rendered from.

A page cache never decides on its own that a page is still true: the caller reads a cheap version stamp of
the data (one query; the fast path skips it while core.change_signal holds) and gets a cached page only
when it was rendered for that very stamp. Entries also expire after a time to live, for facts a stamp does
not cover. Pages are stored with placeholders for what differs per request (:data:`CSRF_MARK`, in signed-in
pages only), so one rendering serves every visitor who is not signed in. Nothing is shared between
processes or machines.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_wtf.csrf import generate_csrf

#: Stand-in for the CSRF token in rendered pages, replaced per request (pages of visitors who are not signed
#: in carry no token at all, so the public pages set no cookie).
CSRF_MARK = "__page_csrf_7Qz__"
#: How many rendered pages one cache keeps per process (least recently used go first).
MAX_ENTRIES = 2048


@dataclass(frozen=True)
class Entry:
    """One rendered page, as it was for ``version``."""

    version: tuple[Any, ...]
    expires: float
    body: str
    mimetype: str = "text/html"
    status: int = 200
    #: Extra response headers (name, value).
    headers: tuple[tuple[str, str], ...] = ()


def with_csrf_token(body: str) -> str:
    """``body`` with this request's CSRF token in place of :data:`CSRF_MARK`, if the page holds one.

    Only then is a token made: making one puts a secret in the session, which sets a cookie.
    """
    if CSRF_MARK not in body:
        return body
    return body.replace(CSRF_MARK, generate_csrf())


class PageCache:
    """Rendered pages by key, least recently used first out. Thread-safe; one per app and process."""

    def __init__(self, ttl_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        """An empty cache whose entries live ``ttl_seconds`` at most (0 keeps nothing)."""
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: tuple[Any, ...]) -> Entry | None:
        """The entry for ``key`` if it was rendered for ``version`` and has not expired, else ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or entry.expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def make_entry(self, version: tuple[Any, ...], body: str, **fields: Any) -> Entry:
        """An entry rendered now for ``version``, expiring after this cache's time to live."""
        return Entry(version, time.monotonic() + self.ttl, body, **fields)

    def put(self, key: Hashable, entry: Entry) -> None:
        """Keep ``entry`` under ``key`` (nothing is kept when the time to live is 0)."""
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def app_cache(app: Flask, name: str, ttl_setting: str, default_ttl: float) -> PageCache:
    """The app's page cache called ``name`` (created on first use, living ``app.config[ttl_setting]`` s)."""
    key = f"page_cache.{name}"
    cache: PageCache | None = app.extensions.get(key)
    if cache is None:
        cache = app.extensions[key] = PageCache(float(app.config.get(ttl_setting, default_ttl)))
    return cache
