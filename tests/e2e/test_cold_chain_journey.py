"""Issue 21's cold-chain journey, as the systems and people involved do it:

- the platform's administrator registers the cold store that serves Tashkurgan's yak-meat company as an EPCIS
  partner and issues it a token; the cold store subscribes to the ``RecalledLots`` named query with a webhook;
- the cold store's system captures an EPCIS 2.0 shipping event for a frozen yak-meat lot, its temperature
  logger's readings inside (``sensorElementList``): the lot warmed to −9.5 °C on the way;
- the lot goes on hold at once; the county reviewer sees it on the recall page;
- a consumer scans the lot on a 360 px phone: the trace page shows the excursion, when and where, and the
  curve with its safe band;
- the reviewer recalls the lot in the browser; the deliverer (cron's ``flask --app shop epcis deliver``) POSTs
  the recall to the cold store's webhook, which names the lot.

Real Chromium, a real HTTP capture with a bearer token, a real webhook server on the loopback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.accounts import find_user_by_email
from core.clock import shanghai_date
from core.db import db_session
from core.models import Region
from core.notifications.models import Notification
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import PHONE, log_in, phone
from traceability.batches.services import BatchData, ComplianceData, create_batch
from traceability.coldchain.ranges import ColdChainKind, kind_of
from traceability.interop.models import PartnerKind
from traceability.interop.partners import issue_partner_token, register_partner
from traceability.models import Batch, ComplianceBasis

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.bangfu.cn"
REVIEWER = "reviewer.tashkurgan@demo.bangfu.cn"
YAK_MEAT = "塔县有机牦牛肉"
COLD_STORE = "慕士塔格冷库（旅程测试）"
STORE_GLN = "urn:epc:id:sgln:6974408.00001.0"  # the cold store's location, as its system names it
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
RECALL_REASON = "冷链运输途中温度升至 −9.5 °C，超出冷冻肉 −18 °C 以下的要求，召回本批次。"
BEIJING = ZoneInfo("Asia/Shanghai")


class Webhook(BaseHTTPRequestHandler):
    """The cold store's webhook endpoint: keeps every POST it is sent."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        """Keep the path, the media type and the body; answer 204."""
        length = int(self.headers["Content-Length"])
        Webhook.received.append(
            {
                "path": self.path,
                "type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture()
def webhook(live_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real HTTP server on a loopback port; its URL (the loopback allowed as a webhook destination)."""
    monkeypatch.setitem(live_app.config, "SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES", ["127.0.0.1"])
    Webhook.received = []
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/epcis/hook"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the county reviewer and the consumer; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("reviewer", "consumer")}
    opened = {role: context.new_page() for role, context in contexts.items()}
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for role, page in opened.items():
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{role}.png"), full_page=True)
    for context in contexts.values():
        context.close()


def narrow(page: Page, what: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{what} is {wide} px wide on a 360 px phone"


def cold_store_with_a_fresh_lot(app: Flask) -> tuple[str, str, str, int]:
    """What the administrator and the company do before the journey, through the services their pages use:
    a fresh lot of frozen yak meat (the journey recalls it: the demo's own lots stay as other journeys expect
    them), a cold store registered for the company and a token for its WMS.

    Returns (the partner's token, the lot's code, the product's GTIN-14, the batch's id).
    """
    with app.test_request_context():
        admin = find_user_by_email(db_session, ADMIN)
        assert admin is not None
        yak = db_session.scalars(
            select(Product)
            .join(Producer, Producer.id == Product.producer_id)
            .join(Region, Region.id == Producer.county_id)
            .where(Region.code == "653131", Product.name == YAK_MEAT)
        ).one()
        assert kind_of(yak) is ColdChainKind.FROZEN_MEAT and yak.gtin
        today = shanghai_date()
        county = yak.producer.county
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        data = BatchData(
            quantity=80,
            produced_on=today - timedelta(days=1),
            best_before=today + timedelta(days=180),
            origin=origin,
            slaughterhouse=f"{county.name}定点屠宰场",
            origin_quarantine_no=f"{county.code}0{yak.id:06d}7",
            slaughter_quarantine_no=f"{county.code}0{yak.id:06d}8",
        )
        certificate = ComplianceData(ComplianceBasis.QUALITY_CONTROL, "13800138000", today)
        batch = create_batch(db_session, admin, yak, data, certificate)  # the company has no account
        partner = register_partner(
            db_session, admin, COLD_STORE, PartnerKind.COLD_STORE, producers=[yak.producer]
        )
        _token, secret = issue_partner_token(db_session, admin, partner, "WMS")
        db_session.commit()
        return secret, batch.lot_code, yak.gtin.zfill(14), batch.id


def shipping_with_an_excursion(epc_class: str, now: datetime) -> tuple[dict[str, Any], datetime]:
    """The cold store's EPCIS document: one shipping event whose logger read −21 … −19 °C, then −9.5 °C
    (its compressor stopped), then −19 °C again; and the time of the warm reading."""
    start = (now - timedelta(hours=4)).replace(second=0, microsecond=0)
    values = [-21.0, -20.5, -19.5, -9.5, -14.0, -19.0]
    reports = [
        {"type": "gs1:Temperature", "value": value, "uom": "CEL",
         "time": (start + timedelta(minutes=30 * i)).isoformat().replace("+00:00", "Z")}
        for i, value in enumerate(values)
    ]  # fmt: skip
    event = {
        "type": "ObjectEvent",
        "eventTime": (start + timedelta(hours=3)).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "bizLocation": {"id": STORE_GLN},
        "quantityList": [{"epcClass": epc_class, "quantity": 40, "uom": "KGM"}],
        "sensorElementList": [
            {"sensorMetadata": {"deviceID": "urn:epc:id:giai:6974408.LOGGER7"}, "sensorReport": reports}
        ],
    }
    document = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": now.isoformat().replace("+00:00", "Z"),
        "epcisBody": {"eventList": [event]},
    }
    return document, start + timedelta(minutes=90)


def test_a_captured_excursion_holds_the_lot_shows_on_the_scan_and_the_recall_reaches_the_cold_store(
    pages: dict[str, Page], playwright: Playwright, live_app: Flask, live_server: str, webhook: str
) -> None:
    base = live_server
    secret, lot, gtin, batch_id = cold_store_with_a_fresh_lot(live_app)
    auth = {"Authorization": f"Bearer {secret}"}
    system = playwright.request.new_context(base_url=base, extra_http_headers=auth)
    try:
        # the cold store subscribes to recalls of the lots it serves (plain http: a loopback test server)
        allowed = live_app.config.get("SHOP_EPCIS_WEBHOOK_ALLOW_HTTP", False)
        live_app.config["SHOP_EPCIS_WEBHOOK_ALLOW_HTTP"] = True
        try:
            subscribed = system.post("/epcis/queries/RecalledLots/subscriptions", data={"dest": webhook})
        finally:
            live_app.config["SHOP_EPCIS_WEBHOOK_ALLOW_HTTP"] = allowed
        assert subscribed.status == 201, subscribed.text()
        subscription_id = subscribed.json()["subscriptionID"]

        # its WMS captures the shipping event with the logger's readings: 202 and an accepted job
        epc_class = f"https://id.gs1.org/01/{gtin}/10/{lot}"
        document, warm_at = shipping_with_an_excursion(epc_class, datetime.now(UTC))
        captured = system.post(
            "/epcis/capture",
            data=json.dumps(document).encode(),
            headers={"Content-Type": "application/ld+json", "GS1-EPCIS-Version": "2.0.0"},
        )
        assert captured.status == 202, captured.text()
        job = system.get(captured.headers["location"])
        assert job.status == 200
        report = job.json()
        assert report["success"] is True and report["errors"] == [], report
        assert report["eventCount"] == 1 and len(report["acceptedEventIDs"]) == 1
        assert report["acceptedEventIDs"][0].startswith("ni:///sha-256;")
    finally:
        system.dispose()

    # the lot is on hold, and the county's reviewer was told
    with Session(live_app.extensions["db"].engine) as session:
        batch = session.get_one(Batch, batch_id)
        assert batch.is_on_hold and not batch.is_recalled
        reviewer_user = find_user_by_email(session, REVIEWER)
        assert reviewer_user is not None
        told = session.scalars(
            select(Notification.link).where(
                Notification.user_id == reviewer_user.id, Notification.kind == "batch_hold"
            )
        ).all()
        assert f"/producer/batches/{batch_id}" in told

    # the reviewer finds it on the recall page, marked as held off sale
    reviewer = pages["reviewer"]
    log_in(reviewer, base, REVIEWER)
    reviewer.goto(base + f"/producer/batches/review?lot={lot}")
    card = reviewer.locator("main article.card", has_text=lot)
    expect(card).to_have_count(1)
    expect(card.locator(".badges")).to_contain_text("暂停销售")
    narrow(reviewer, "the recall page")

    # a consumer scans the lot on a phone: the excursion, when and where, and the curve
    consumer = pages["consumer"]
    consumer.goto(base + f"/t/{lot}")
    main = consumer.locator("main")
    expect(main).to_contain_text(YAK_MEAT)
    expect(main).to_contain_text("暂停销售：核查期间不销售")
    verdict = consumer.locator("section[aria-labelledby=cold-chain-heading]")
    expect(verdict.locator(".status-bad")).to_contain_text("测得 −9.5 °C，超出 −18 °C 以下")
    expect(verdict).to_contain_text(warm_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))
    expect(verdict).to_contain_text(f"{COLD_STORE} · {STORE_GLN}")  # who, then where as its system says
    expect(verdict).to_contain_text("县乡村振兴局核查期间，该批次暂停销售。")
    curve = verdict.locator("svg.cold-chain-curve")
    expect(curve).to_be_visible()
    expect(curve.locator("rect.safe-band")).to_have_count(1)
    assert curve.locator("polyline").count() >= 1
    expect(curve.locator("circle")).not_to_have_count(0)  # the readings outside the band, in red
    assert curve.bounding_box()["width"] <= PHONE["width"]  # type: ignore[index]
    narrow(consumer, "the trace page with the cold chain")

    # the reviewer recalls the lot on the recall page
    reviewer.reload()
    card = reviewer.locator("main article.card", has_text=lot)
    card.locator("details.recall-box summary").click()
    card.locator("details.recall-box textarea").fill(RECALL_REASON)
    narrow(reviewer, "the recall form")
    card.get_by_role("button", name=f"召回批次 {lot}").click()
    expect(reviewer.get_by_text(f"批次 {lot} 已召回。")).to_be_visible()
    with Session(live_app.extensions["db"].engine) as session:
        assert session.get_one(Batch, batch_id).is_recalled

    # cron's deliverer POSTs the recall to the cold store's webhook: an EPCIS query result naming the lot
    assert Webhook.received == []  # nothing is sent from the reviewer's request
    result = live_app.test_cli_runner().invoke(args=["epcis", "deliver"])
    assert result.exit_code == 0, result.output
    assert ", 0 failed" in result.output and not result.output.startswith("0 delivered"), result.output
    mine = [r for r in Webhook.received if r["path"] == "/epcis/hook"]
    assert len(mine) == 1, Webhook.received
    sent = mine[0]
    assert sent["type"] == "application/ld+json"
    body = sent["body"]
    assert body["type"] == "EPCISQueryDocument"
    results = body["epcisBody"]["queryResults"]
    assert results["queryName"] == "RecalledLots" and results["subscriptionID"] == subscription_id
    (event,) = results["resultsBody"]["eventList"]
    assert event["disposition"] == "recalled"
    assert [q["epcClass"] for q in event["quantityList"]] == [epc_class]
    assert lot in json.dumps(body, ensure_ascii=False)

    # the consumer's next scan says it is recalled
    consumer.reload()
    expect(consumer.locator("main")).to_contain_text("召回")
    narrow(consumer, "the recalled lot's trace page")
