"""The fast path for QR scans and the product listing: cached pages for cookie-less visitors, below Flask.

A scan is almost always a first visit from a phone: no cookie, ``GET /t/<lot>`` (or the Digital Link
``/01/<GTIN>/10/<lot>``); browsing starts the same way at ``GET /products?…``. For such a request this WSGI
middleware reads the version stamp of what the page shows on a bare driver connection (one query:
traceability.trace.cache for a batch, catalog.search.CATALOG_STAMP_SQL for the listing), and when the page
cache holds a rendering made for that very stamp it answers at once, exactly as Flask would have: the visit
counted, the security headers, the request id and the request's log line (public pages carry no CSRF
token and set no cookie). While the host's change signal (core.change_signal) says nothing a page shows was
written since the stamp was read, the stamp row is trusted for up to ``FASTPATH_STAMP_SECONDS`` and the
request needs no query at all. Everything else (a cache miss, a cookie, a serial, EPCIS, a database error)
goes to Flask untouched, which renders the page and fills the cache: this path never decides anything itself.
"""

from __future__ import annotations

import atexit
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.utils import get_content_type

from catalog import search
from catalog.browse import views as browse
from catalog.page_cache import Entry
from core import change_signal
from core.clock import shanghai_date
from core.observability import request_id
from core.security import SECURITY_HEADERS
from traceability.trace import cache as trace_cache
from traceability.trace import visits
from traceability.trace.lookup import normal_lot

log = logging.getLogger("shop.request")

_TRACE_PATH = re.compile(r"/t/(?P<lot>[^/]+)|/01/(?P<gtin>[^/]+)/10/(?P<dl_lot>[^/]+)")
LISTING_PATH = "/products"
#: Most stamp rows remembered at once (trace pages and listing queries; all forgotten when it is full).
_KNOWN_SIZE = 4096
#: Accept headers seen recently and whether each prefers JSON (phones send the same few over and over).
_ACCEPT_MEMO_SIZE = 64

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Answer = tuple[str, list[tuple[str, str]], bytes]


class FastPath:
    """WSGI middleware answering cookie-less GET/HEAD of trace pages and the listing from their caches."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        """Wrap ``wsgi_app`` (the Flask app's own WSGI callable) for ``app``."""
        self.app = app
        self.wsgi_app = wsgi_app
        self._idle: list[tuple[Any, Any]] = []  # (connection, cursor) not in use, shared by the threads
        self._accept: dict[str, bool] = {}
        #: Stamp rows by key with the change-signal token they were read under and until when to trust them.
        self._known: dict[tuple[Any, ...], tuple[tuple[int, int], float, Any]] = {}
        self._stamp_seconds = float(app.config.get("FASTPATH_STAMP_SECONDS", 2.0))
        self._stamp_sql: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer from a cache when possible, else let Flask answer."""
        started = time.perf_counter()
        answer = None
        if environ["REQUEST_METHOD"] in ("GET", "HEAD") and not environ.get("HTTP_COOKIE"):
            path = environ.get("PATH_INFO", "")
            if path == LISTING_PATH:
                answer = self._listing(environ)
            elif path.startswith(("/t/", "/01/")) and path.isascii() and not environ.get("QUERY_STRING"):
                answer = self._trace(environ, path)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        self._log(environ, status, headers, started)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    # --- the two kinds of page ----------------------------------------------------------------------

    def _trace(self, environ: dict[str, Any], path: str) -> Answer | None:
        """A batch's cached page or JSON, if it was rendered for the batch's current stamp."""
        match = _TRACE_PATH.fullmatch(path)
        lot = normal_lot(match["lot"] or match["dl_lot"]) if match is not None else None
        if match is None or lot is None:
            return None
        generation = visits.visit_buffer(self.app).generation  # a stored visit count is read again
        row = self._stamp_row(("trace", lot), self._trace_sql(), (lot,), generation)
        stamp = trace_cache.stamp_from_row(row, match["gtin"])
        if stamp is None:
            return None
        kind = "json" if self._prefers_json(environ.get("HTTP_ACCEPT", "")) else "html"
        locale = self.app.config["BABEL_DEFAULT_LOCALE"] if kind == "html" else ""
        key = trace_cache.cache_key(kind, path, "", locale)
        entry = trace_cache.page_cache(self.app).get(key, stamp.version)
        if entry is None:
            return None
        body = trace_cache.fill(entry, self._count_visit(environ, stamp))
        if kind == "json":
            return self._respond(environ, entry, body, ("Vary", "Accept"), ("Cache-Control", "no-cache"))
        return self._respond(environ, entry, body, ("Vary", "Accept, Cookie"), ("Cache-Control", "no-cache"))

    def _listing(self, environ: dict[str, Any]) -> Answer | None:
        """The cached listing page for this query string, if it was rendered for the catalog's stamp."""
        row = self._stamp_row(("listing",), search.CATALOG_STAMP_SQL, ())
        if row is None:
            return None
        key = browse.listing_key(environ.get("QUERY_STRING", ""), self.app.config["BABEL_DEFAULT_LOCALE"])
        entry = browse.listing_cache(self.app).get(key, (*row, shanghai_date()))
        if entry is None:
            return None
        return self._respond(environ, entry, entry.body, ("Vary", "Cookie"))

    def _respond(self, environ: dict[str, Any], entry: Entry, body: str, *headers: tuple[str, str]) -> Answer:
        """Status, headers and body as Flask would send them for ``entry`` with this request's ``body``."""
        data = body.encode()
        status = f"{entry.status} {'OK' if entry.status == 200 else 'BAD REQUEST'}"
        return (
            status,
            [
                ("Content-Type", get_content_type(entry.mimetype, "utf-8")),
                ("Content-Length", str(len(data))),
                *headers,
                *entry.headers,
                ("X-Request-ID", _request_id(environ)),
                *SECURITY_HEADERS.items(),
            ],
            data,
        )

    def _count_visit(self, environ: dict[str, Any], stamp: trace_cache.Stamp) -> int:
        """Count a GET as a visit (written later, in batches) and return the count to show."""
        buffer = visits.visit_buffer(self.app)
        if environ["REQUEST_METHOD"] != "GET":
            return stamp.visit_count + buffer.pending(stamp.batch_id)
        shown = stamp.visit_count + buffer.add(stamp.batch_id)
        if buffer.due():
            session = self.app.extensions["db"].sessionmaker()
            try:
                visits.flush(buffer, session)
            finally:
                session.close()
        return shown

    def _prefers_json(self, accept: str) -> bool:
        """Flask's rule (``_wanted`` in trace_views): JSON only when it is preferred over HTML."""
        prefers = self._accept.get(accept)
        if prefers is None:
            parsed = parse_accept_header(accept, MIMEAccept)
            prefers = parsed["application/json"] > parsed["text/html"]
            if len(self._accept) >= _ACCEPT_MEMO_SIZE:
                self._accept.clear()
            self._accept[accept] = prefers
        return prefers

    # --- the database -------------------------------------------------------------------------------

    def _stamp_row(self, key: tuple[Any, ...], sql: str, params: tuple[Any, ...], generation: int = 0) -> Any:
        """The stamp row of ``sql``: remembered while the change signal's token and ``generation`` hold (for
        ``FASTPATH_STAMP_SECONDS`` at most), else read with :meth:`_fetch`.

        The token is read *before* the query: a change committed meanwhile has replaced it, so the row
        read now is not trusted beyond this request (see core.change_signal).
        """
        change = self._change_signal()
        token = change.token() if change is not None else None
        now = time.monotonic()
        known = self._known.get(key)
        if known is not None and known[0] == (token, generation) and known[1] > now:
            return known[2]
        row = self._fetch(sql, params)
        if token is not None and row is not None and self._stamp_seconds > 0:
            if len(self._known) >= _KNOWN_SIZE:
                self._known.clear()
            self._known[key] = ((token, generation), now + self._stamp_seconds, row)
        return row

    def _change_signal(self) -> change_signal.ChangeSignal | None:
        """The database's change signal on this host, unless turned off (``CHANGE_SIGNAL``)."""
        if not self.app.config.get("CHANGE_SIGNAL", False):
            return None
        return change_signal.signal_for(self.app.extensions["db"].engine)

    def _trace_sql(self) -> str:
        """The trace stamp SELECT with the database driver's placeholders (made once)."""
        if self._stamp_sql is None:
            dialect = self.app.extensions["db"].engine.dialect
            self._stamp_sql = trace_cache.stamp_sql(dialect.name, str(dialect.paramstyle))
        return self._stamp_sql

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first row of ``sql`` read on a driver connection of this middleware (``None``: no row).

        A connection that fails is thrown away; the error is logged and Flask answers the request instead.
        """
        engine = self.app.extensions["db"].engine
        errors = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
        try:
            connection, cursor = self._idle.pop()
        except IndexError:
            try:
                connection = self._connect(engine)
                cursor = connection.cursor()
            except errors as exc:
                log.warning("fast path: no database connection (%s)", exc.__class__.__name__)
                return None
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        except errors as exc:
            log.warning("fast path: stamp query failed (%s)", exc.__class__.__name__)
            connection.close()
            return None
        self._idle.append((connection, cursor))
        return row

    @staticmethod
    def _connect(engine: Any) -> Any:
        """A driver connection of its own that sees every commit at once (autocommit; never in the pool)."""
        connection = engine.raw_connection()
        driver = connection.driver_connection
        connection.detach()
        if engine.dialect.name != "sqlite":  # SQLite connections already run in autocommit mode
            driver.autocommit = True
        return connection

    def close(self) -> None:
        """Close the idle driver connections (at exit)."""
        while self._idle:
            self._idle.pop()[0].close()

    # --- the log line -------------------------------------------------------------------------------

    @staticmethod
    def _log(environ: dict[str, Any], status: str, headers: list[tuple[str, str]], started: float) -> None:
        """The same request log line as core.observability writes for Flask's answers."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_id = next(value for name, value in headers if name == "X-Request-ID")
        code = int(status.split(" ", 1)[0])
        log.info(
            "%s %s %s %.1fms rid=%s",
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            code,
            elapsed_ms,
            request_id,
            extra={
                "request_id": request_id,
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "status": code,
                "duration_ms": round(elapsed_ms, 1),
            },
        )


def _request_id(environ: dict[str, Any]) -> str:
    """The caller's ``X-Request-ID`` when sane, else a new one (as core.observability does)."""
    return request_id(environ.get("HTTP_X_REQUEST_ID", ""))


def install(app: Flask) -> None:
    """Put the fast path in front of ``app`` (once) and close its connections when the process exits."""
    if isinstance(app.wsgi_app, FastPath):
        return
    fast = FastPath(app, app.wsgi_app)
    app.wsgi_app = fast  # type: ignore[method-assign]
    app.extensions["fastpath"] = fast
    atexit.register(fast.close)
