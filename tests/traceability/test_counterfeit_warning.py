"""Nobody can brand a genuine label a copy from one client, and reviewers can see why a label is flagged.

The counterfeit warning counts distinct scanners over time (traceability.serials): one client's requests,
refreshes, JSON fetches, user agents or dropped cookies never add up to several scanners, and the browser
that comes back from another network stays one scanner (its cookie, set on that label's address only).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.models import Region, User
from traceability.models import Batch, SerialUnit
from traceability.serials import create_serials
from traceability.trace.views import SCANNER_COOKIE

JSON = {"Accept": "application/json"}
PHONES = ["Mozilla/5.0 (iPhone) MicroMessenger/8.0", "Mozilla/5.0 (Linux; Android 14) AlipayClient", "curl/8"]


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def batch(
    owner: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> Batch:
    veg = make_product(make_producer(owner=owner), name="疏勒辣椒", category=Category.VEGETABLES)
    return make_batch(veg)


@pytest.fixture()
def unit(batch: Batch, owner: User, db: Session) -> SerialUnit:
    [found] = create_serials(db, owner, batch, 1)
    return found


def serial_json(app: Flask, url: str) -> dict[str, object]:
    data = app.test_client().get(url, headers=JSON).get_json()
    return dict(data["serial"])


def test_twenty_two_anonymous_requests_from_one_client_never_brand_a_label(
    app: Flask, batch: Batch, unit: SerialUnit, db: Session
) -> None:
    url = f"/t/{batch.lot_code}/{unit.serial}"
    for n in range(22):  # the attack, with every header a client controls varied as well
        client = app.test_client(use_cookies=False)
        headers = {"User-Agent": PHONES[n % len(PHONES)], "Accept-Language": "en"}
        assert (
            client.get(url, headers=headers, environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}).status_code
            == 200
        )
        client.get(url, headers=JSON, environ_base={"REMOTE_ADDR": "203.0.113.200"})
        client.head(url, environ_base={"REMOTE_ADDR": "203.0.113.201"})
    serial = serial_json(app, url)
    assert (serial["scanners"], serial["checks"], serial["suspicious"]) == (1, 1, False)
    page = app.test_client().get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_data(as_text=True)
    assert "counterfeit-heading" not in page
    db.refresh(unit)
    assert (unit.scanner_count, unit.check_count) == (1, 1)


def test_the_same_browser_is_one_scanner_from_any_network(app: Flask, batch: Batch, unit: SerialUnit) -> None:
    url = f"/t/{batch.lot_code}/{unit.serial}"
    phone = app.test_client()
    first = phone.get(url, environ_base={"REMOTE_ADDR": "223.5.5.1"})
    cookie = phone.get_cookie(SCANNER_COOKIE, path=url)
    assert cookie is not None and cookie.http_only and cookie.path == url
    assert phone.get_cookie(SCANNER_COOKIE, path=f"/t/{batch.lot_code}") is None  # only this label's address
    assert first.headers.get("Cache-Control") == "private, no-store"  # its cookie is this browser's own
    for address in ("114.114.114.114", "8.8.8.8", "1.1.1.1", "2400:3200::1", "39.156.66.10"):
        phone.get(url, environ_base={"REMOTE_ADDR": address})
    assert serial_json(app, url)["scanners"] == 1
    forged = app.test_client()  # a cookie this site did not sign names nobody
    forged.set_cookie(SCANNER_COOKIE, "[1, 1]", path=url)
    forged.get(url, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert serial_json(app, url)["scanners"] == 2


def test_the_batch_page_explains_a_flagged_label_to_producer_and_reviewer(
    app: Flask,
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    owner: User,
    batch: Batch,
    unit: SerialUnit,
) -> None:
    url = f"/t/{batch.lot_code}/{unit.serial}"
    addresses = ["223.5.5.1", "114.114.114.114", "8.8.8.8", "2400:3200::1"]
    for address in addresses:
        app.test_client().get(url, environ_base={"REMOTE_ADDR": address})
    reviewer = make_user(counties=[region("653122")])
    for user in (owner, reviewer):
        client = as_user(user)
        client.post("/language", data={"locale": "en"})
        page = client.get(f"/producer/batches/{batch.id}").get_data(as_text=True)
        assert "Labels scanned unusually" in page and unit.serial in page and "Warning shown" in page
        assert "4 different scanners, 4 scans; first" in page
        for network in ("223.5.0.0/16", "114.114.0.0/16", "8.8.0.0/16", "2400:3200::/32"):
            assert network in page
        assert "223.5.5.1" not in page  # never an address


def test_a_calm_label_is_not_listed(
    as_user: Callable[[User | None], FlaskClient], app: Flask, owner: User, batch: Batch, unit: SerialUnit
) -> None:
    app.test_client().get(f"/t/{batch.lot_code}/{unit.serial}")
    client = as_user(owner)
    client.post("/language", data={"locale": "en"})
    assert "Labels scanned unusually" not in client.get(f"/producer/batches/{batch.id}").get_data(
        as_text=True
    )
