"""The public trace page: URL forms, QR codes, JSON, visits, tampering, recalls, genealogy, serials."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog.producers.models import LinkageMode, Producer
from catalog.products.models import Category, Product, Unit
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from tests.conftest import make_certificate
from tests.support import append_only_lifted
from traceability.batches.services import BatchData
from traceability.models import Batch, SerialUnit
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.services import recall_batch
from traceability.serials import create_serials

GTIN = "06901234567892"
JSON = {"Accept": "application/json"}


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer], db: Session) -> Producer:
    found = make_producer(owner=owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    found.lifted_households, found.monitored_households = 38, 5
    found.linkage_modes = [LinkageMode.ORDER_PURCHASE.value, LinkageMode.PRIORITY_EMPLOYMENT.value]
    db.flush()
    return found


@pytest.fixture()
def veg(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒辣椒", category=Category.VEGETABLES, certified=True)


@pytest.fixture()
def batch(veg: Product, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(veg, quantity=120)


@pytest.fixture()
def english(client: FlaskClient) -> FlaskClient:
    """The anonymous browser with the interface in English (stable texts whatever the translations say)."""
    client.post("/language", data={"locale": "en"})
    return client


def page(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_short_url_shows_the_key_facts_without_login(
    english: FlaskClient, batch: Batch, veg: Product
) -> None:
    html = page(english.get(f"/t/{batch.lot_code}"))
    town = batch.origin
    for fact in (
        "疏勒辣椒",
        "疏勒县绿源蔬菜种植农民专业合作社",
        f"疏勒县 › {town.name}",
        batch.lot_code,
        batch.best_before.isoformat(),
        veg.certifications[0].certificate_no,
        batch.compliance.number,  # type: ignore[union-attr]
        "Record verified (2 steps)",
        "Harvest",
        "38",
    ):
        assert fact in html, fact
    assert "status-bad" not in html and "trace-banner" not in html
    assert 'id="event-1"' in html and 'id="event-2"' in html


def test_both_url_forms_resolve_and_the_gtin_must_match(
    client: FlaskClient, batch: Batch, veg: Product, db: Session
) -> None:
    assert client.get(f"/01/{GTIN}/10/{batch.lot_code}").status_code == 404  # product has no GTIN yet
    veg.gtin = GTIN
    db.flush()
    assert client.get(f"/01/{GTIN}/10/{batch.lot_code}").status_code == 200
    assert client.get(f"/01/{GTIN[1:]}/10/{batch.lot_code}").status_code == 200  # GTIN-13 of the same item
    assert client.get(f"/t/{batch.lot_code}").status_code == 200
    assert client.get(f"/t/{batch.lot_code.lower()}").status_code == 200
    assert client.get(f"/01/06901234567885/10/{batch.lot_code}").status_code == 404
    assert client.get(f"/01/notagtin/10/{batch.lot_code}").status_code == 404
    body = client.get(f"/01/{GTIN}/10/{batch.lot_code}", headers=JSON).get_json()
    assert body["trace_url"] == f"http://trace.test/01/{GTIN}/10/{batch.lot_code}"


def test_unknown_lot_is_404_as_page_and_as_json(client: FlaskClient, db: Session) -> None:
    missing = client.get("/t/000000-NONE")
    assert missing.status_code == 404 and "text/html" in missing.content_type
    as_json = client.get("/t/000000-NONE", headers=JSON)
    assert as_json.status_code == 404 and as_json.get_json()["error"]["status"] == 404


def _decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_qr_images_decode_to_the_absolute_trace_url(
    client: FlaskClient, batch: Batch, veg: Product, owner: User, db: Session
) -> None:
    response = client.get(f"/t/{batch.lot_code}/qr.png")
    assert response.status_code == 200 and response.content_type == "image/png"
    assert (
        "public" in response.headers["Cache-Control"] and "max-age=86400" in response.headers["Cache-Control"]
    )
    assert _decode(response.data) == [f"http://trace.test/t/{batch.lot_code}"]
    [unit] = create_serials(db, owner, batch, 1)
    assert _decode(client.get(f"/t/{batch.lot_code}/{unit.serial}/qr.png").data) == [
        f"http://trace.test/t/{batch.lot_code}/{unit.serial}"
    ]
    veg.gtin = GTIN
    db.flush()
    digital_link = f"http://trace.test/01/{GTIN}/10/{batch.lot_code}"
    assert _decode(client.get(f"/01/{GTIN}/10/{batch.lot_code}/qr.png").data) == [digital_link]
    assert _decode(client.get(f"/t/{batch.lot_code}/qr.png").data) == [
        digital_link
    ]  # always the canonical URL
    assert _decode(client.get(f"/01/{GTIN}/10/{batch.lot_code}/21/{unit.serial}/qr.png").data) == [
        f"{digital_link}/21/{unit.serial}"
    ]
    assert client.get(f"/t/{batch.lot_code}/nosuchserial/qr.png").status_code == 404
    db.refresh(batch)
    assert batch.visit_count == 0  # fetching a QR image is not a visit


def test_json_contract(client: FlaskClient, batch: Batch, veg: Product) -> None:
    response = client.get(f"/t/{batch.lot_code}", headers=JSON)
    assert response.status_code == 200 and response.content_type == "application/json"
    assert "Accept" in response.vary
    data = response.get_json()
    assert set(data) == {
        "lot", "trace_url", "product", "producer", "origin", "produced_on", "produced_on_kind", "best_before",
        "quantity", "certificate", "compliance", "quarantine", "events", "transformed", "sources", "parents",
        "children", "chain", "recalled", "recall", "visits", "on_hold", "cold_chain", "sampling",
    }  # fmt: skip
    assert (data["produced_on_kind"], data["transformed"], data["sources"]) == ("harvest", False, [])
    assert data["sampling"] == []  # no quality sample's result recorded
    assert data["lot"] == batch.lot_code and data["trace_url"] == f"http://trace.test/t/{batch.lot_code}"
    assert data["product"] == {
        "id": veg.id, "name": "疏勒辣椒", "name_en": None, "gtin": None,
        "category": "vegetables", "unit": "kg",
    }  # fmt: skip
    assert data["producer"]["county"] == {"code": "653122", "name": "疏勒县"}
    assert data["producer"]["linkage"] == {
        "lifted_households": 38,
        "monitored_households": 5,
        "modes": ["order_purchase", "priority_employment"],
        "verified_benefit": None,  # nothing verified (settlement's tests cover a verified figure)
    }
    assert [r["level"] for r in data["origin"]["path"]] == ["county", "township"]
    assert data["origin"]["path"][1]["code"] == batch.origin.code
    assert data["produced_on"] == batch.produced_on.isoformat()
    assert data["best_before"] == batch.best_before.isoformat() and data["quantity"] == 120
    cert = veg.certifications[0]
    assert data["certificate"] == {
        "number": cert.certificate_no,
        "authority": cert.authority,
        "valid_from": cert.valid_from.isoformat(),  # type: ignore[union-attr]
        "valid_to": cert.valid_to.isoformat(),  # type: ignore[union-attr]
        "valid": True,
        "state": "valid",
        "product": cert.facts.as_dict(),
    }
    assert data["certificate"]["product"]["name"] == veg.name
    assert data["compliance"]["number"] == batch.compliance.number  # type: ignore[union-attr]
    assert data["compliance"]["basis"] == "quality_control" and data["compliance"]["commitments"]
    assert data["quarantine"] is None
    assert [e["kind"] for e in data["events"]] == ["commissioning", "inspection"]
    first = data["events"][0]
    assert set(first) >= {"seq", "kind", "occurred_at", "place", "actor", "details", "note", "hash"}
    assert first["occurred_at"].endswith("Z") and first["hash"] == batch.events[0].hash
    assert first["actor"] == "疏勒县绿源蔬菜种植农民专业合作社"
    assert data["chain"] == {"valid": True, "events": 2, "broken_at": None}
    assert (data["parents"], data["children"], data["recalled"], data["recall"]) == ([], [], False, None)
    assert data["visits"] == 1


def test_expired_certificate_is_shown_as_not_valid(
    client: FlaskClient,
    producer: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    product = make_product(producer, category=Category.FRUIT)
    today = shanghai_date()
    make_certificate(db, product, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    data = client.get(f"/t/{make_batch(product).lot_code}", headers=JSON).get_json()
    assert data["certificate"]["valid"] is False and data["certificate"]["state"] == "expired"


def test_every_visit_is_counted_atomically(client: FlaskClient, batch: Batch, db: Session) -> None:
    client.get(f"/t/{batch.lot_code}")
    client.get(f"/t/{batch.lot_code}", headers=JSON)
    third = client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    client.get(f"/t/{batch.lot_code}?linkType=gs1:epcis")
    assert third["visits"] == 3
    db.refresh(batch)
    assert batch.visit_count == 4


def test_tampering_with_a_stored_event_shows_the_chain_broken(
    english: FlaskClient, batch: Batch, db: Session
) -> None:
    with append_only_lifted(db):
        db.execute(
            text("UPDATE traceability_event SET place = '伪造产地' WHERE id = :id"),
            {"id": batch.events[1].id},
        )
    html = page(english.get(f"/t/{batch.lot_code}"))
    assert "Record broken" in html and "status-bad" in html
    assert "Record verified" not in html
    assert 'id="event-2" class="is-broken"' in html
    data = english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert data["chain"] == {"valid": False, "events": 2, "broken_at": 2}


def test_a_deleted_event_is_detected_too(client: FlaskClient, batch: Batch, db: Session) -> None:
    with append_only_lifted(db):  # from the EPCIS query index too, as its foreign key asks
        db.execute(text("DELETE FROM traceability_epcis_event_lot WHERE trace_event_id = :id"),
                   {"id": batch.events[1].id})  # fmt: skip
        db.execute(text("DELETE FROM traceability_event WHERE id = :id"), {"id": batch.events[1].id})
    data = client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert data["chain"]["valid"] is False and data["chain"]["events"] == 1


def test_recalled_batch_shows_a_red_banner(
    english: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    recall_batch(db, owner, batch, "农药残留抽检不合格")
    html = page(english.get(f"/t/{batch.lot_code}"))
    assert "This batch has been recalled" in html and "农药残留抽检不合格" in html
    assert 'class="trace-banner" role="alert" aria-labelledby="recall-heading"' in html
    data = english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert data["recalled"] is True
    assert data["recall"]["reason"] == "农药残留抽检不合格" and data["recall"]["at"].endswith("Z")
    assert data["events"][-1]["kind"] == "recall" and data["chain"]["valid"] is True


def test_genealogy_links_parents_and_children(
    english: FlaskClient,
    batch: Batch,
    owner: User,
    producer: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
    db: Session,
) -> None:
    sauce = make_product(
        producer, name="辣椒酱", category=Category.PROCESSED, unit=Unit.PIECE, net_weight_g=250
    )
    other = make_batch(batch.product, quantity=30)
    today = shanghai_date()
    data = BatchData(40, today, today + timedelta(days=365), region("653122").children[0])
    [jar] = process_batches(
        db,
        owner,
        [ProcessInput(batch, 100), ProcessInput(other, 30)],
        [ProcessOutput(sauce, data)],
        occurred_at=utcnow(),
        place="疏勒县加工车间",
        process="研磨装瓶",
    )
    parent_page = page(english.get(f"/t/{batch.lot_code}"))
    assert "Used to make" in parent_page and f'href="/t/{jar.lot_code}"' in parent_page
    child = english.get(f"/t/{jar.lot_code}", headers=JSON).get_json()
    assert sorted(p["lot"] for p in child["parents"]) == sorted([batch.lot_code, other.lot_code])
    assert {p["trace_url"] for p in child["parents"]} == {
        f"http://trace.test/t/{batch.lot_code}",
        f"http://trace.test/t/{other.lot_code}",
    }
    child_page = page(english.get(f"/t/{jar.lot_code}"))
    assert "Made from" in child_page and f'href="/t/{other.lot_code}"' in child_page
    parent = english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert parent["children"] == [
        {"lot": jar.lot_code, "trace_url": f"http://trace.test/t/{jar.lot_code}", "product": "辣椒酱"}
    ]


def test_meat_batch_shows_slaughter_and_quarantine_numbers(
    english: FlaskClient,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    yak = make_product(
        make_producer(owner=make_user(), county_code="653131"), name="有机牦牛肉", category=Category.MEAT
    )
    meat = make_batch(yak)
    html = page(english.get(f"/t/{meat.lot_code}"))
    assert "塔什库尔干县定点屠宰场" in html and "6531310067890" in html and "Slaughter" in html
    data = english.get(f"/t/{meat.lot_code}", headers=JSON).get_json()
    assert data["quarantine"] == {
        "slaughterhouse": "塔什库尔干县定点屠宰场",
        "origin_quarantine_no": "6531310012345",
        "slaughter_quarantine_no": "6531310067890",
    }


@pytest.fixture()
def unit(batch: Batch, owner: User, db: Session) -> SerialUnit:
    [found] = create_serials(db, owner, batch, 1)
    return found


def test_serial_page_tells_first_check_and_counts_scans_not_requests(
    app: Flask,
    english: FlaskClient,
    batch: Batch,
    unit: SerialUnit,
    veg: Product,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"/t/{batch.lot_code}/{unit.serial}"
    first = page(english.get(url))
    assert "This is the first check of this label." in first and "1 time" in first
    refreshed = page(english.get(url))  # within the scan window: not a new scan
    assert "1 time" in refreshed and "First checked" in refreshed and "1 scanner" in refreshed
    data = english.get(url, headers=JSON).get_json()  # a JSON fetch is not a scan either
    serial = data["serial"]
    assert serial["serial"] == unit.serial and serial["trace_url"] == f"http://trace.test{url}"
    assert (serial["checks"], serial["scanners"], serial["suspicious"], serial["reason"]) == (
        1,
        1,
        False,
        None,
    )
    assert serial["first_checked_at"].endswith("Z")
    monkeypatch.setitem(app.config, "SERIAL_SCAN_WINDOW_MINUTES", 0)  # as if the window had passed
    veg.gtin = GTIN
    db.flush()
    via_link = f"/01/{GTIN}/10/{batch.lot_code}/21/{unit.serial}"
    assert "2 times" in page(english.get(via_link))
    assert english.get(via_link, headers=JSON).get_json()["serial"]["checks"] == 2
    db.refresh(unit)
    assert (unit.check_count, unit.scanner_count) == (2, 1) and unit.first_checked_at is not None


def test_unknown_or_foreign_serial_is_404(
    client: FlaskClient, batch: Batch, unit: SerialUnit, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    other = make_batch(veg)
    assert client.get(f"/t/{batch.lot_code}/AAAAAAAAAAAAAAAA").status_code == 404
    assert client.get(f"/t/{other.lot_code}/{unit.serial}").status_code == 404


def test_label_opened_by_many_scanners_shows_counterfeit_warning(
    app: Flask, batch: Batch, unit: SerialUnit
) -> None:
    url = f"/t/{batch.lot_code}/{unit.serial}"
    limit = app.config["SERIAL_MAX_NETWORKS"]
    for n in range(limit):  # different people: each their own browser and network
        calm = page(app.test_client().get(url, environ_base={"REMOTE_ADDR": f"10.{n}.0.7"}))
    assert "counterfeit-heading" not in calm
    english = app.test_client()
    english.post("/language", data={"locale": "en"})
    html = page(english.get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"}))
    assert "Warning: this label may be a copy" in html and 'aria-labelledby="counterfeit-heading"' in html
    assert f"checked by {limit + 1} different scanners" in html
    data = english.get(url, headers=JSON, environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_json()
    assert data["serial"]["suspicious"] is True and data["serial"]["reason"] == "scanners"
