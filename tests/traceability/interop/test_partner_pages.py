"""The administrator's partner page: register, issue a token shown once, revoke."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.models import User
from traceability.interop.models import Partner, PartnerToken
from traceability.interop.partners import authenticate_partner


def test_an_administrator_registers_a_partner_and_gives_it_a_token(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    english: None,
) -> None:
    admin = make_user(is_admin=True)
    producer = make_producer(make_user(), county_code="653131")
    client = as_user(admin)
    form = {"name": "慕士塔格冷库", "kind": "cold_store", "producers": str(producer.id)}
    assert client.post("/admin/epcis-partners/", data=form).status_code == 302
    partner = db.scalars(select(Partner).where(Partner.name == "慕士塔格冷库")).one()
    assert [s.producer_id for s in partner.scopes] == [producer.id]

    page = client.post(f"/admin/epcis-partners/{partner.id}/tokens", data={"name": "WMS"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = re.search(r"xfep_[A-Za-z0-9_-]+", page.get_data(as_text=True))
    assert secret is not None and authenticate_partner(db, secret[0]) is partner
    again = client.get("/admin/epcis-partners/").get_data(as_text=True)
    assert secret[0] not in again and "WMS" in again  # shown once

    token = db.scalars(select(PartnerToken).where(PartnerToken.partner_id == partner.id)).one()
    assert client.post(f"/admin/epcis-partners/tokens/{token.id}/revoke").status_code == 302
    db.expire_all()
    assert authenticate_partner(db, secret[0]) is None


def test_bad_registrations_are_refused_with_a_message(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], english: None
) -> None:
    client = as_user(make_user(is_admin=True))
    for form, message in (
        ({"name": "A", "kind": "carrier", "producers": "abc"}, "Give producer ids as numbers"),
        ({"name": "A", "kind": "carrier", "producers": "999999"}, "No producer has this id"),
        ({"name": "A", "kind": "carrier"}, "at least one producer or county"),
        ({"name": "A\u202e", "kind": "carrier", "counties": "653122"}, "unique name of 1 to 120 characters"),
    ):
        response = client.post("/admin/epcis-partners/", data=form)
        assert response.status_code == 400, form
        assert message in response.get_data(as_text=True), form
