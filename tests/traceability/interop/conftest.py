"""A cold store serving a Tashkurgan producer, a carrier serving Chengkou, lots numbered as GS1 examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.models import Region, User
from traceability.batches import services as batch_services
from traceability.interop.models import Partner, PartnerKind
from traceability.interop.partners import issue_partner_token, register_partner
from traceability.models import Batch

FIXTURES = Path(__file__).parent / "fixtures"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def gs1_example(name: str) -> dict[str, Any]:
    """One of GS1's example documents (fixtures/gs1)."""
    document: dict[str, Any] = json.loads((FIXTURES / "gs1" / name).read_text(encoding="utf-8"))
    return document


def document(*events: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    """An EPCISDocument of ``events``."""
    return {
        "@context": context or [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-03T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def shipping(epc_class: str, *, minute: int = 0, **fields: Any) -> dict[str, Any]:
    """A shipping ObjectEvent of a lot (class level), ``minute`` past 08:00 Beijing time on 3 Nov 2026."""
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-03T08:{minute:02d}:00+08:00",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "quantityList": [{"epcClass": epc_class, "quantity": 20, "uom": "KGM"}],
        **fields,
    }


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header of a partner token."""
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Chain:
    """The scene: an administrator, two producers, two partners with tokens, and a lot maker."""

    admin: User
    yak: Producer  # 塔什库尔干 (653131): served by the cold store by name
    pork: Producer  # 城口 (500229): served by the carrier through its county
    cold_store: Partner
    carrier: Partner
    cold_store_token: str
    carrier_token: str
    make_lot: Callable[..., Batch]

    def capture(
        self, client: FlaskClient, body: Any, token: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """POST a capture document (a dict as JSON, or raw bytes) with the cold store's token by default."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = bearer(token or self.cold_store_token)
        return client.post(
            "/epcis/capture", data=data, headers=headers, content_type="application/ld+json", **kwargs
        )

    def job(self, client: FlaskClient, response: TestResponse, token: str | None = None) -> dict[str, Any]:
        """The capture job a 202 points to."""
        assert response.status_code == 202, response.get_data(as_text=True)
        job = client.get(response.headers["Location"], headers=bearer(token or self.cold_store_token))
        assert job.status_code == 200
        return dict(job.get_json())


@pytest.fixture()
def chain(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
    monkeypatch: pytest.MonkeyPatch,
) -> Chain:
    """Partners registered and tokens issued through the services an administrator uses."""
    admin = make_user(is_admin=True)
    yak = make_producer(make_user(), county_code="653131")
    pork = make_producer(make_user(), county_code="500229")
    cold_store = register_partner(db, admin, "慕士塔格冷库", PartnerKind.COLD_STORE, producers=[yak])
    carrier = register_partner(db, admin, "城口冷链物流", PartnerKind.CARRIER, counties=[region("500229")])
    _t1, cold_secret = issue_partner_token(db, admin, cold_store, "WMS")
    _t2, carrier_secret = issue_partner_token(db, admin, carrier, "TMS")
    products: dict[str, Product] = {}

    def make_lot(gtin: str, lot: str, producer: Producer | None = None) -> Batch:
        """A lot of ours numbered ``lot`` of the product with ``gtin`` (the lot number a document names;
        ours are otherwise random, so the generator is told the number to use)."""
        owner = producer or yak
        if gtin not in products:
            products[gtin] = make_product(owner, gtin=gtin, category=Category.PROCESSED)
        monkeypatch.setattr(batch_services, "new_lot_code", lambda _session, _day: lot)
        return make_batch(products[gtin])

    return Chain(admin, yak, pork, cold_store, carrier, cold_secret, carrier_secret, make_lot)
