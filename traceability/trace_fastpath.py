"""The fast path for QR scans: a cached trace page for visitors without a cookie, answered below Flask.

A scan is almost always a first visit from a phone: no cookie, no query string, ``GET /t/<lot>`` (or the
Digital Link ``/01/<GTIN>/10/<lot>``). For such a request this WSGI middleware reads the batch's stamp on a
bare driver connection (one indexed query), and when the page cache holds a rendering made for that very
stamp it answers with it at once: visit counted, a fresh CSRF token and session cookie for the language form,
the security headers, the request id and the log line that Flask would have produced. Everything else (a
cache miss, a cookie, a serial, EPCIS, any database error) goes to Flask untouched, which renders the page
and fills the cache, so this path never decides anything Flask would decide differently.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from itsdangerous import Serializer, Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import dump_cookie, parse_accept_header
from werkzeug.utils import get_content_type

from core.observability import _REQUEST_ID
from core.security import SECURITY_HEADERS
from traceability import trace_cache, visits
from traceability.trace_data import normal_lot

log = logging.getLogger("shop.request")

_TRACE_PATH = re.compile(r"/t/(?P<lot>[^/]+)|/01/(?P<gtin>[^/]+)/10/(?P<dl_lot>[^/]+)")
#: Accept headers seen recently and whether each prefers JSON (phones send the same few over and over).
_ACCEPT_MEMO_SIZE = 64
#: Stands in for the session cookie's value while its fixed attributes are rendered once.
_COOKIE_SAMPLE = "SESSIONVALUE"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _TokenSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` that skips the zlib attempt and reuses one signer.

    What it signs loads with the ordinary serializer (compression is optional when loading); a random
    secret never shrinks under zlib anyway, so the attempt only costs time.
    """

    def dump_payload(self, obj: Any) -> bytes:
        """The payload, base64 encoded (never compressed)."""
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        """The signer for the serializer's own salt, made on first use."""
        if salt is not None:
            return super().make_signer(salt)
        signer: Signer | None = self.__dict__.get("_signer")
        if signer is None:
            signer = self._signer = super().make_signer()
        return signer


class TraceFastPath:
    """WSGI middleware answering cookie-less GET/HEAD of batch trace pages from the page cache."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        """Wrap ``wsgi_app`` (the Flask app's own WSGI callable) for ``app``."""
        self.app = app
        self.wsgi_app = wsgi_app
        self._idle: list[Any] = []  # driver connections not in use, shared by this process's threads
        self._accept: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._signing: tuple[_TokenSerializer, _TokenSerializer, str, str, str] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer from the cache when possible, else let Flask answer."""
        started = time.perf_counter()
        answer = self._answer(environ) if _eligible(environ) else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        self._log(environ, status, headers, started)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    # --- the answer ---------------------------------------------------------------------------------

    def _answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Status, headers and body of a cache hit, or ``None`` to let Flask answer."""
        match = _TRACE_PATH.fullmatch(environ["PATH_INFO"])
        if match is None:
            return None
        lot = normal_lot(match["lot"] or match["dl_lot"])
        if lot is None:
            return None
        row = self._stamp_row(lot)
        stamp = trace_cache.stamp_from_row(row, match["gtin"])
        if stamp is None:
            return None
        kind = "json" if self._prefers_json(environ.get("HTTP_ACCEPT", "")) else "html"
        locale = self.app.config["BABEL_DEFAULT_LOCALE"] if kind == "html" else ""
        key = trace_cache.cache_key(kind, environ["PATH_INFO"], "", locale)
        entry = trace_cache.page_cache(self.app).get(key, stamp.version)
        if entry is None:
            return None
        shown = self._count_visit(environ, stamp)
        headers = [("Content-Type", get_content_type(entry.mimetype, "utf-8"))]
        token = None
        if kind == "html":
            token, cookie = self._csrf()
            headers.append(("Set-Cookie", cookie))
            headers.append(("Vary", "Accept, Cookie"))
        else:
            headers.append(("Vary", "Accept"))
        body = trace_cache.fill(entry, shown, token).encode()
        headers += [
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("Link", entry.link),
            ("X-Request-ID", _request_id(environ)),
            *SECURITY_HEADERS.items(),
        ]
        return "200 OK", headers, body

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

    def _csrf(self) -> tuple[str, str]:
        """A new CSRF token and the ``Set-Cookie`` value of a session holding its secret.

        Signed as ``flask_wtf.csrf.generate_csrf`` and Flask's ``SecureCookieSessionInterface`` sign them
        for a new visitor (tests/traceability/test_trace_cache_fastpath.py submits a form with them).
        """
        csrf_signer, session_signer, field, cookie_prefix, cookie_suffix = self._signers()
        secret = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's token format
        return csrf_signer.dumps(
            secret
        ), f"{cookie_prefix}{session_signer.dumps({field: secret})}{cookie_suffix}"

    def _signers(self) -> tuple[_TokenSerializer, _TokenSerializer, str, str, str]:
        """The CSRF token and session cookie serializers, and the cookie's fixed parts (made once).

        itsdangerous derives the signing key from the secret and the salt on every call; deriving it once
        and signing with ``key_derivation="none"`` gives the same signatures for a fraction of the work.
        """
        if self._signing is None:
            app, interface = self.app, self.app.session_interface
            csrf_secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
            csrf_key = Signer(csrf_secret, salt="wtf-csrf-token").derive_key()
            csrf_signer = _TokenSerializer(csrf_key, signer_kwargs={"key_derivation": "none"})
            session_key = Signer(
                app.secret_key,  # type: ignore[arg-type]
                salt=interface.salt,  # type: ignore[attr-defined]
                key_derivation=interface.key_derivation,  # type: ignore[attr-defined]
                digest_method=interface.digest_method,  # type: ignore[attr-defined]
            ).derive_key()
            session_signer = _TokenSerializer(
                session_key,
                serializer=interface.serializer,  # type: ignore[attr-defined]
                signer_kwargs={"key_derivation": "none", "digest_method": interface.digest_method},  # type: ignore[attr-defined]
            )
            sample = dump_cookie(
                interface.get_cookie_name(app),
                _COOKIE_SAMPLE,
                domain=interface.get_cookie_domain(app),
                path=interface.get_cookie_path(app),
                secure=interface.get_cookie_secure(app),
                httponly=interface.get_cookie_httponly(app),
                samesite=interface.get_cookie_samesite(app),
                partitioned=interface.get_cookie_partitioned(app),
            )
            prefix, suffix = sample.split(_COOKIE_SAMPLE)
            field = str(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            self._signing = (csrf_signer, session_signer, field, prefix, suffix)
        return self._signing

    # --- the database -------------------------------------------------------------------------------

    def _stamp_row(self, lot: str) -> Any:
        """The stamp row of ``lot`` read on a driver connection of this middleware (``None``: no batch).

        A connection that fails is thrown away; the error is logged and Flask answers the request instead.
        """
        engine = self.app.extensions["db"].engine
        errors = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = None
        try:
            connection = connection or self._connect(engine)
        except errors as exc:
            log.warning("trace fast path: no connection (%s)", exc.__class__.__name__)
            return None
        try:
            cursor = connection.cursor()
            cursor.execute(trace_cache.stamp_sql(engine.dialect.paramstyle), (lot,))
            row = cursor.fetchone()
            cursor.close()
        except errors as exc:
            log.warning("trace fast path: stamp query failed (%s)", exc.__class__.__name__)
            connection.close()
            return None
        self._idle.append(connection)
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
        """Close the idle driver connections (at exit, or when a test is done with the app)."""
        while self._idle:
            self._idle.pop().close()

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


def _eligible(environ: dict[str, Any]) -> bool:
    """A cookie-less GET or HEAD without a query string, of a batch trace path (checked by the caller)."""
    return (
        environ["REQUEST_METHOD"] in ("GET", "HEAD")
        and not environ.get("HTTP_COOKIE")
        and not environ.get("QUERY_STRING")
        and environ.get("PATH_INFO", "").startswith(("/t/", "/01/"))
        and environ["PATH_INFO"].isascii()
    )


def _request_id(environ: dict[str, Any]) -> str:
    """The caller's ``X-Request-ID`` when sane, else a new one (as core.observability does)."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def install(app: Flask) -> None:
    """Put the fast path in front of ``app`` (once) and close its connections when the process exits."""
    if isinstance(app.wsgi_app, TraceFastPath):
        return
    fast = TraceFastPath(app, app.wsgi_app)
    app.wsgi_app = fast  # type: ignore[method-assign]
    app.extensions["trace_fastpath"] = fast
    atexit.register(fast.close)
