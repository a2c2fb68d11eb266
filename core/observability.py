"""Request ids and one log line per request (plain text or JSON)."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from flask import Flask, Response, g, request

log = logging.getLogger("shop.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """Render each record as one JSON object, carrying any ``extra`` fields given to the logger."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(app: Flask) -> None:
    """Send our loggers to stderr in the configured format (once per process)."""
    root = logging.getLogger("shop")
    if getattr(root, "_shop_configured", False):
        return
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("shop", "core", "catalog", "traceability"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(app.config["LOG_LEVEL"])
        logger.propagate = False
    root._shop_configured = True  # type: ignore[attr-defined]


def request_id(incoming: str) -> str:
    """The caller's ``X-Request-ID`` when it is sane (8–64 of ``A-Za-z0-9._-``), else a new random one."""
    return incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(16)


def _start_request() -> None:
    g.request_id = request_id(request.headers.get("X-Request-ID", ""))
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    request_id = g.get("request_id", "-")
    response.headers["X-Request-ID"] = request_id
    log.info(
        "%s %s %s %.1fms rid=%s",
        request.method,
        request.path,
        response.status_code,
        elapsed_ms,
        request_id,
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed_ms, 1),
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Give every request an id (kept from ``X-Request-ID`` when sane) and log it once."""
    configure_logging(app)
    app.before_request(_start_request)
    app.after_request(_log_request)
