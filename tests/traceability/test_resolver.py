"""GS1-Conformant resolver: the description document, linksets, link-type redirects, JSON-LD by Accept,
keys in GS1's order, and labels printed before a product's GTIN was corrected."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product, RetiredGtin
from catalog.products.services import ProductData, update_product
from core.models import User
from traceability.models import Batch
from traceability.resolver.services import GS1, LINKSET_TYPE, canonical_path, redirect_target
from traceability.serials import create_serials

GTIN = "06901234567892"
NEW_GTIN = "06901234567885"
LINKSET = {"Accept": LINKSET_TYPE}


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def veg(owner: User, make_producer: Callable[..., Producer], make_product: Callable[..., Product]) -> Product:
    producer = make_producer(owner=owner)
    return make_product(producer, name="疏勒辣椒", category=Category.VEGETABLES, certified=True, gtin=GTIN)


@pytest.fixture()
def batch(veg: Product, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(veg, quantity=60)


def dl(batch: Batch, gtin: str = GTIN) -> str:
    return f"/01/{gtin}/10/{batch.lot_code}"


def test_the_resolver_describes_itself(client: FlaskClient) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200 and response.content_type == "application/json"
    document = response.get_json()
    assert document["resolverRoot"] == "http://trace.test"
    assert document["supportedPrimaryKeys"] == ["01"]
    assert document["supportedLinkType"] == [{"namespace": GS1, "prefix": "gs1:"}]
    assert document["name"] and document["linkTypeDefaultCanBeLinkset"] is False
    assert "public" in response.headers["Cache-Control"]


def test_linkset_by_link_type_and_by_accept(client: FlaskClient, batch: Batch, veg: Product) -> None:
    by_query = client.get(dl(batch), query_string={"linkType": "linkset"})
    by_accept = client.get(dl(batch), headers=LINKSET)
    for response in (by_query, by_accept):
        assert response.status_code == 200 and response.mimetype == LINKSET_TYPE
        assert "Accept" in response.vary
    document = json.loads(by_accept.data)
    (entry,) = document["linkset"]
    anchor = f"http://trace.test{dl(batch)}"
    assert entry["anchor"] == anchor
    product_page = f"http://trace.test/products/{veg.id}"
    assert entry[GS1 + "pip"] == [
        {"href": product_page, "title": "疏勒辣椒", "type": "text/html", "hreflang": ["zh-CN"]}
    ]
    assert entry[GS1 + "traceability"][0]["href"] == anchor
    assert entry[GS1 + "certificationInfo"][0]["href"] == product_page + "#certificate-heading"
    assert entry[GS1 + "epcis"][0] == {
        "href": f"{anchor}?linkType=gs1:epcis",
        "title": f"疏勒辣椒 · {batch.lot_code}",
        "type": "application/ld+json",
    }
    assert entry[GS1 + "recallStatus"][0]["title"] == "not recalled"
    link = by_accept.headers["Link"]
    assert f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"' in link
    assert f'<{product_page}>; rel="{GS1}pip"' in link
    # the HTML page names the same links, and stays the default
    page = client.get(dl(batch))
    assert page.mimetype == "text/html" and page.headers["Link"] == link


def test_the_linkset_is_cached_like_the_page(client: FlaskClient, batch: Batch) -> None:
    first = client.get(dl(batch), headers=LINKSET)
    tag = first.headers["ETag"]
    assert client.get(dl(batch), headers={**LINKSET, "If-None-Match": tag}).status_code == 304
    html_tag = client.get(dl(batch)).headers["ETag"]
    assert html_tag != tag  # one URL, two representations, two versions


def test_link_types_redirect_to_their_targets(client: FlaskClient, batch: Batch, veg: Product) -> None:
    pip = client.get(dl(batch), query_string={"linkType": "gs1:pip"})
    assert pip.status_code == 307 and pip.headers["Location"] == f"http://trace.test/products/{veg.id}"
    full = client.get(dl(batch), query_string={"linkType": GS1 + "certificationInfo"})
    assert full.status_code == 307 and full.headers["Location"].endswith("#certificate-heading")
    # a link type the lot has no link of gets the default: the trace page
    other = client.get(dl(batch), query_string={"linkType": "gs1:nutritionalInfo"})
    assert other.status_code == 200 and other.mimetype == "text/html"
    assert (
        client.get("/01/06901234567892/10/NO-SUCH", query_string={"linkType": "gs1:pip"}).status_code == 404
    )
    assert redirect_target("pip", []) is None


def test_json_ld_by_accept_is_the_epcis_document(client: FlaskClient, batch: Batch) -> None:
    response = client.get(dl(batch), headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.content_type == "application/ld+json"
    document = json.loads(response.data)
    assert document["type"] == "EPCISDocument"
    assert client.get(dl(batch), headers={"Accept": "text/html,*/*;q=0.8"}).mimetype == "text/html"
    assert client.get(dl(batch), headers={"Accept": "*/*"}).mimetype == "text/html"


def test_a_serial_answers_the_same_way(client: FlaskClient, batch: Batch, owner: User, db: Session) -> None:
    serial = create_serials(db, owner, batch, 1)[0].serial
    url = f"{dl(batch)}/21/{serial}"
    document = json.loads(client.get(url, headers=LINKSET).data)
    assert document["linkset"][0]["anchor"] == f"http://trace.test{url}"
    assert client.get(url, query_string={"linkType": "gs1:pip"}).status_code == 307


def test_keys_out_of_order_redirect_to_the_canonical_uri(
    client: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    serial = create_serials(db, owner, batch, 1)[0].serial
    response = client.get(f"/01/{GTIN}/21/{serial}/10/{batch.lot_code}?linkType=linkset")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{dl(batch)}/21/{serial}?linkType=linkset"
    assert client.get(f"/01/notagtin/21/{serial}/10/{batch.lot_code}").status_code == 404
    assert canonical_path("6901234567892", "L1", "S1") == "/01/06901234567892/10/L1/21/S1"


def test_codes_printed_before_a_gtin_correction_keep_resolving(
    client: FlaskClient, batch: Batch, veg: Product, owner: User, db: Session
) -> None:
    serial = create_serials(db, owner, batch, 1)[0].serial
    data = ProductData(
        name=veg.name, category=veg.category, unit=veg.unit, price_fen=veg.price_fen, gtin=NEW_GTIN
    )
    update_product(db, owner, veg, data)
    assert db.query(RetiredGtin).filter_by(product_id=veg.id, gtin=GTIN).count() == 1
    assert client.get(dl(batch, NEW_GTIN)).status_code == 200
    old = client.get(dl(batch), query_string={"linkType": "linkset"})
    assert old.status_code == 301 and old.headers["Location"] == f"{dl(batch, NEW_GTIN)}?linkType=linkset"
    unit = client.get(f"{dl(batch)}/21/{serial}")
    assert unit.status_code == 301 and unit.headers["Location"] == f"{dl(batch, NEW_GTIN)}/21/{serial}"
    qr = client.get(f"{dl(batch)}/qr.png")
    assert qr.status_code == 301 and qr.headers["Location"] == f"{dl(batch, NEW_GTIN)}/qr.png"
    # a GTIN the product never carried is still nobody's
    assert client.get(dl(batch, "06901234567878")).status_code == 404
