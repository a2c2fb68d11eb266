"""Helpers for tests against localstripe: find and start the server, sign webhooks, pay as Stripe.js would.

The fixtures that use them live in ``tests/commerce.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from payments.gateway import CardDetails, Intent, StripeGateway

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_shop_payments"
WEBHOOK_SECRET = "whsec_test_shop_payments_0123456789"
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"


def executable() -> str:
    """Where localstripe is installed; fails the test with the way to install it when it is nowhere."""
    candidates = [os.environ.get("SHOP_LOCALSTRIPE"), str(ROOT / ".venv-localstripe/bin/localstripe")]
    candidates.append("/tmp/ls-venv/bin/localstripe")  # noqa: S108 (where the lead's machine has it)
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "localstripe is not installed: run `make test` (it creates .venv-localstripe), or "
        "`python3 -m venv .venv-localstripe && .venv-localstripe/bin/pip install localstripe`, "
        "or point SHOP_LOCALSTRIPE at the executable."
    )


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _call(base: str, method: str, path: str, form: dict[str, str] | None = None) -> int:
    """One request to localstripe at ``base``; returns the HTTP status."""
    parsed = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=5)
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def answers(base: str) -> bool:
    """Whether localstripe at ``base`` answers an API call."""
    try:
        return _call(base, "GET", "/v1/customers") == 200
    except OSError:
        return False


def start(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start localstripe on a free loopback port, wait until it answers; return the process and base URL."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [executable(), "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not answers(base):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"localstripe did not start on {base}:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.1)
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server (terminate, then kill if it lingers)."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def configure_webhook(base: str, hook_id: str, url: str, secret: str = WEBHOOK_SECRET) -> None:
    """Ask localstripe to deliver every event to ``url``, signed with ``secret``."""
    assert _call(base, "POST", f"/_config/webhooks/{hook_id}", {"url": url, "secret": secret}) == 200


def signature_header(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload`` as Stripe computes it (HMAC-SHA256 of ``t.payload``)."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def event_payload(event_type: str, data_object: dict[str, Any], event_id: str | None = None) -> str:
    """The JSON body of a Stripe event carrying ``data_object`` (a snapshot, possibly stale)."""
    event = {
        "id": event_id or f"evt_test_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": data_object},
    }
    return json.dumps(event)


def signed_post(client: Any, payload: str, secret: str = WEBHOOK_SECRET) -> Any:
    """POST ``payload`` to the webhook with a valid signature for ``secret``."""
    headers = {"Stripe-Signature": signature_header(payload, secret)}
    return client.post(
        "/payments/stripe/webhook", data=payload, headers=headers, content_type="application/json"
    )


def intent_snapshot(gateway: StripeGateway, intent_id: str) -> dict[str, Any]:
    """The PaymentIntent as Stripe shows it now (what an event created at this moment would carry)."""
    data: dict[str, Any] = gateway.client.v1.payment_intents.retrieve(intent_id).to_dict()
    return data


def pay_at_stripe(gateway: StripeGateway, intent_id: str, number: str = GOOD_CARD) -> Intent:
    """Pay a PaymentIntent directly at Stripe, as the buyer's browser would with Stripe.js."""
    card = CardDetails(number, 12, 2030, "123")
    method = gateway.create_card_payment_method(card, idempotency_key=f"test-{secrets.token_hex(8)}")
    return gateway.confirm(intent_id, payment_method=method)
