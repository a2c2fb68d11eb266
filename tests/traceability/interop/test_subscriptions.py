"""Webhook subscriptions: a recall of a lot a subscriber serves is POSTed to it, once, after the recall
committed; a failure is retried later; other partners hear nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from tests.traceability.interop.conftest import Chain, bearer
from traceability.interop.capture import schema_problem
from traceability.interop.eventhash import document_events, document_hash_ids
from traceability.interop.models import EpcisDelivery, EpcisSubscription
from traceability.recall.services import recall_batch

HOOK = "/epcis/queries/RecalledLots/subscriptions"


class Receiver(BaseHTTPRequestHandler):
    """A partner's webhook endpoint: keeps what it is sent."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        """Keep the body and answer 204 (``/redirect``: 307 to the metadata service)."""
        length = int(self.headers["Content-Length"])
        Receiver.received.append({"path": self.path, "body": json.loads(self.rfile.read(length)),
                                  "type": self.headers["Content-Type"]})  # fmt: skip
        self.send_response(307 if self.path == "/redirect" else 204)
        if self.path == "/redirect":
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture()
def webhook(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real HTTP endpoint on the loopback (plain http and the loopback address allowed for the test)."""
    monkeypatch.setitem(app.config, "SHOP_EPCIS_WEBHOOK_ALLOW_HTTP", True)
    monkeypatch.setitem(app.config, "SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES", ["127.0.0.1"])
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def _subscribe(client: FlaskClient, token: str, dest: str) -> Any:
    return client.post(HOOK, json={"dest": dest}, headers=bearer(token))


def test_a_recall_is_posted_to_the_subscriber_once(
    app: Flask, client: FlaskClient, db: Session, chain: Chain, webhook: str
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    created = _subscribe(client, chain.cold_store_token, webhook)
    assert created.status_code == 201
    subscription_id = created.get_json()["subscriptionID"]
    assert _subscribe(client, chain.carrier_token, webhook).status_code == 201  # serves Chengkou only
    listed = client.get(HOOK, headers=bearer(chain.cold_store_token)).get_json()["subscriptions"]
    assert [s["subscriptionID"] for s in listed] == [subscription_id]

    recall_batch(db, chain.yak.members[0].user, batch, "冷链温度超标")
    queued = db.scalars(select(EpcisDelivery)).all()
    assert [d.subscription_id for d in queued] == [int(subscription_id)]  # owed in the recall's transaction
    assert Receiver.received == []  # nothing is sent before the recall commits
    db.commit()  # the command's session is another one on the test's connection

    runner = app.test_cli_runner()
    assert runner.invoke(args=["epcis", "deliver"]).output == "1 delivered, 0 failed (retried later)\n"
    assert runner.invoke(args=["epcis", "deliver"]).output == "0 delivered, 0 failed (retried later)\n"
    assert len(Receiver.received) == 1
    sent = Receiver.received[0]
    assert sent["path"] == "/hook" and sent["type"] == "application/ld+json"
    document = sent["body"]
    assert document["type"] == "EPCISQueryDocument" and schema_problem(document) is None
    results = document["epcisBody"]["queryResults"]
    assert results["queryName"] == "RecalledLots" and results["subscriptionID"] == subscription_id
    (event,) = document_events(document)
    assert event["disposition"] == "recalled"
    assert event["quantityList"][0]["epcClass"] == "https://id.gs1.org/01/04012345123456/10/YAK001"
    assert document_hash_ids(document) == [event["eventID"]]


def test_a_failed_delivery_is_retried_later(
    app: Flask, db: Session, client: FlaskClient, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES", ["127.0.0.1"])
    app.config["SHOP_EPCIS_WEBHOOK_ALLOW_HTTP"] = True
    try:
        batch = chain.make_lot("04012345123456", "YAK001")
        assert _subscribe(client, chain.cold_store_token, "http://127.0.0.1:9/closed").status_code == 201
    finally:
        app.config["SHOP_EPCIS_WEBHOOK_ALLOW_HTTP"] = False
    recall_batch(db, chain.yak.members[0].user, batch, "冷链温度超标")
    db.commit()
    output = app.test_cli_runner().invoke(args=["epcis", "deliver"]).output
    assert output == "0 delivered, 1 failed (retried later)\n"
    db.expire_all()
    delivery = db.scalars(select(EpcisDelivery)).one()
    assert delivery.attempts == 1 and delivery.delivered_at is None and delivery.last_error
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=30)  # not again at once


@pytest.mark.parametrize("dest", ["http://partner.example/hook", "ftp://x/y", "not a url", "", None,
                                  "https://user:pw@partner.example/", "https://x/" + "a" * 500])  # fmt: skip
def test_a_subscription_needs_an_https_url(client: FlaskClient, chain: Chain, dest: Any) -> None:
    response = client.post(HOOK, json={"dest": dest}, headers=bearer(chain.cold_store_token))
    assert response.status_code == 400
    assert response.get_json()["type"] == "epcisException:ValidationException"


def test_unknown_queries_and_others_subscriptions_are_not_found(
    app: Flask, client: FlaskClient, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a partner's WMS on a documentation network (RFC 5737), allowed here as a private link would be
    monkeypatch.setitem(app.config, "SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES", ["192.0.2.0/24"])
    unknown = client.post("/epcis/queries/Nope/subscriptions", json={"dest": "https://192.0.2.10/"},
                          headers=bearer(chain.cold_store_token))  # fmt: skip
    assert unknown.status_code == 404
    created = _subscribe(client, chain.cold_store_token, "https://192.0.2.10/hook").get_json()
    url = f"{HOOK}/{created['subscriptionID']}"
    assert client.delete(url, headers=bearer(chain.carrier_token)).status_code == 404
    assert client.delete(url, headers=bearer(chain.cold_store_token)).status_code == 204
    assert client.delete(url, headers=bearer(chain.cold_store_token)).status_code == 404
    assert client.get(HOOK, headers=bearer(chain.cold_store_token)).get_json()["subscriptions"] == []
    names = client.get("/epcis/queries", headers=bearer(chain.cold_store_token)).get_json()["queries"]
    assert [q["name"] for q in names] == ["RecalledLots"]


@pytest.mark.parametrize(
    ("dest", "address"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1"),
        ("https://localhost:8443/hook", "127.0.0.1"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://192.168.1.20/hook", "192.168.1.20"),
        ("https://100.64.0.7/hook", "100.64.0.7"),  # carrier-grade NAT
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),  # a cloud's metadata service
        ("https://224.0.0.1/hook", "224.0.0.1"),
        ("https://240.0.0.1/hook", "240.0.0.1"),
        ("https://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104 (a destination refused, not a bind)
        ("https://[::1]/hook", "::1"),
        ("https://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1"),
        ("https://[fe80::1]/hook", "fe80::1"),
        ("https://[fd00::5]/hook", "fd00::5"),
    ],
)
def test_a_webhook_into_our_own_network_is_refused(
    client: FlaskClient, db: Session, chain: Chain, dest: str, address: str
) -> None:
    response = _subscribe(client, chain.cold_store_token, dest)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "epcisException:ValidationException"
    assert address in problem["title"] and "公网" in problem["title"]  # translated (zh-CN by default)
    assert db.scalars(select(EpcisSubscription)).all() == []


def test_a_webhook_host_that_does_not_resolve_is_refused(client: FlaskClient, chain: Chain) -> None:
    response = _subscribe(client, chain.cold_store_token, "https://wms.invalid/hook")
    assert response.status_code == 400
    assert "wms.invalid" in response.get_json()["title"]


def test_the_destination_is_checked_again_when_delivering(
    app: Flask, client: FlaskClient, db: Session, chain: Chain, webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between subscribing and delivering the address may change (DNS): each delivery checks it anew."""
    batch = chain.make_lot("04012345123456", "YAK001")
    assert _subscribe(client, chain.cold_store_token, webhook).status_code == 201
    recall_batch(db, chain.yak.members[0].user, batch, "冷链温度超标")
    db.commit()
    monkeypatch.setitem(app.config, "SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES", [])  # 127.0.0.1 no longer allowed
    output = app.test_cli_runner().invoke(args=["epcis", "deliver"]).output
    assert output == "0 delivered, 1 failed (retried later)\n"
    assert Receiver.received == []
    db.expire_all()
    delivery = db.scalars(select(EpcisDelivery)).one()
    assert delivery.delivered_at is None and "127.0.0.1" in (delivery.last_error or "")


def test_a_redirect_from_the_webhook_is_not_followed(
    app: Flask, client: FlaskClient, db: Session, chain: Chain, webhook: str
) -> None:
    """A webhook answering 3xx (say, to an internal address) has not received the result: it is retried."""
    batch = chain.make_lot("04012345123456", "YAK001")
    assert (
        _subscribe(client, chain.cold_store_token, webhook.replace("/hook", "/redirect")).status_code == 201
    )
    recall_batch(db, chain.yak.members[0].user, batch, "冷链温度超标")
    db.commit()
    output = app.test_cli_runner().invoke(args=["epcis", "deliver"]).output
    assert output == "0 delivered, 1 failed (retried later)\n"
    assert [r["path"] for r in Receiver.received] == ["/redirect"]  # asked once, never followed
