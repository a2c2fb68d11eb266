"""Each request gets an id and one log line; JSON logs carry the same fields."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient

from core.observability import JsonFormatter


def test_request_id_is_returned_and_reused(client: FlaskClient) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc12345-req"}).headers["X-Request-ID"]
        == "abc12345-req"
    )
    assert (
        client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"}).headers["X-Request-ID"]
        != "bad id; <script>"
    )


def test_one_log_line_per_request(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("shop.request")
    logger.propagate = True
    logger.setLevel(logging.INFO)
    try:
        with caplog.at_level(logging.INFO, logger="shop.request"):
            client.get("/healthz", headers={"X-Request-ID": "trace-me-123"})
    finally:
        logger.propagate = False
    lines = [r for r in caplog.records if r.name == "shop.request"]
    assert len(lines) == 1
    assert lines[0].request_id == "trace-me-123" and lines[0].status == 200  # type: ignore[attr-defined]
    payload = json.loads(JsonFormatter().format(lines[0]))
    assert payload["path"] == "/healthz" and payload["request_id"] == "trace-me-123"
