"""Partners and tokens: registered by an administrator, the secret shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.errors import PermissionDenied
from core.models import Region, User
from tests.traceability.interop.conftest import Chain, bearer
from traceability.interop.errors import PartnerInvalid
from traceability.interop.models import Partner, PartnerKind, PartnerToken
from traceability.interop.partners import authenticate_partner, issue_partner_token, register_partner


def test_only_a_hash_of_the_token_is_kept(db: Session, chain: Chain) -> None:
    stored = db.scalars(select(PartnerToken).where(PartnerToken.partner_id == chain.cold_store.id)).one()
    assert chain.cold_store_token.startswith("xfep_")
    assert stored.token_hash == hashlib.sha256(chain.cold_store_token.encode()).hexdigest()
    assert chain.cold_store_token not in (stored.hint, stored.name) and len(stored.hint) < 16
    assert authenticate_partner(db, chain.cold_store_token) is chain.cold_store
    assert authenticate_partner(db, chain.cold_store_token + "x") is None


def test_only_administrators_register_partners_and_issue_tokens(
    db: Session, chain: Chain, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    reviewer = make_user()
    with pytest.raises(PermissionDenied):
        register_partner(db, reviewer, "某冷库", PartnerKind.COLD_STORE, producers=[chain.yak])
    with pytest.raises(PermissionDenied):
        issue_partner_token(db, reviewer, chain.cold_store, "x")


@pytest.mark.parametrize("name", ["", "慕士塔格冷库", "x" * 121])
def test_a_partner_needs_a_free_name(db: Session, chain: Chain, name: str) -> None:
    with pytest.raises(PartnerInvalid):
        register_partner(db, chain.admin, name, PartnerKind.CARRIER, producers=[chain.yak])


def test_a_partner_serves_someone_and_a_location_is_a_county(
    db: Session, chain: Chain, region: Callable[[str], Region]
) -> None:
    with pytest.raises(PartnerInvalid):
        register_partner(db, chain.admin, "无范围", PartnerKind.COUNTER)
    township = sorted(region("653131").children, key=lambda r: r.code or "")[0]
    with pytest.raises(PartnerInvalid):
        register_partner(db, chain.admin, "乡镇", PartnerKind.COUNTER, counties=[township])


def test_a_deactivated_partners_tokens_stop_working(client: FlaskClient, db: Session, chain: Chain) -> None:
    chain.cold_store.deactivated_at = chain.cold_store.created_at
    db.flush()
    assert client.get("/epcis/events", headers=bearer(chain.cold_store_token)).status_code == 401


def test_the_commands_register_a_partner_and_print_its_token_once(
    app: Flask, db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    admin = make_user(is_admin=True)
    producer = make_producer(make_user(), county_code="653131")
    db.commit()  # the commands' session is another one on the test's connection
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=["epcis", "add-partner", "--admin", admin.email, "--name", "喀什冷链", "--kind", "carrier",
              "--producer", str(producer.id), "--county", "653122"]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    partner = db.scalars(select(Partner).where(Partner.name == "喀什冷链")).one()
    issued = runner.invoke(
        args=["epcis", "issue-token", "--admin", admin.email, "--name", "TMS", str(partner.id)]
    )
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip().splitlines()[-1]
    db.expire_all()
    assert authenticate_partner(db, secret) is not None
    token = db.scalars(select(PartnerToken).where(PartnerToken.partner_id == partner.id)).one()
    revoked = runner.invoke(args=["epcis", "revoke-token", "--admin", admin.email, str(token.id)])
    assert revoked.exit_code == 0
    db.expire_all()
    assert authenticate_partner(db, secret) is None
    refused = runner.invoke(
        args=["epcis", "issue-token", "--admin", "nobody@example.test", "--name", "x", "1"]
    )
    assert refused.exit_code != 0
