"""The statistics API answers reviewers' and admins' tokens with the dashboards' figures; the token pages
create (shown once) and revoke tokens stored only as hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product, Unit
from core.audit.services import AuditEntry
from core.errors import PermissionDenied
from core.models import Region, User
from core.tokens.services import (
    ApiToken,
    TokenNameInvalid,
    authenticate,
    issue_token,
)
from stats.models import Channel, Target, TargetScope
from tests.conftest import row_count
from tests.stats.test_dashboards import add_rollup

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


@pytest.fixture()
def shule_sales(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> Product:
    """疏勒县 sales in 2025 and a 城口县 sale."""
    melon = make_product(make_producer(name="疏勒县绿源合作社"), name="郭牌西瓜")
    add_rollup(db, melon, date(2025, 1, 31), 123_456, quantity=4)
    add_rollup(db, melon, date(2025, 2, 1), 1_000, certified=False, channel=Channel.STAFF)
    add_rollup(db, make_product(make_producer(county_code="500229")), date(2025, 2, 1), 9_900)
    return melon


def bearer(secret: str) -> dict[str, str]:
    """The header a program sends."""
    return {"Authorization": f"Bearer {secret}"}


def test_requests_without_a_valid_token_get_401_json(
    client: FlaskClient, db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    token, secret = issue_token(db, make_user(counties=[region("653122")]), "script")
    revoked, revoked_secret = issue_token(db, make_user(is_admin=True), "old")
    revoked.revoked_at = revoked.created_at
    db.flush()
    for headers in (
        {},
        {"Authorization": secret},  # no scheme
        {"Authorization": f"Basic {secret}"},
        bearer("xfbf_not-a-token"),
        bearer(secret + "x"),
        bearer(revoked_secret),
    ):
        response = client.get("/api/v1/stats/counties/653122?year=2025", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["status"] == 401  # type: ignore[index]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert token.last_used_at is None
    assert client.get("/api/v1/stats/summary", headers=bearer(secret)).status_code == 200
    db.expire_all()
    assert db.get(ApiToken, token.id).last_used_at is not None  # type: ignore[union-attr]


def test_county_figures_match_the_dashboard_to_the_fen(
    client: FlaskClient,
    db: Session,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    shule_sales: Product,
) -> None:
    shule = region("653122")
    db.add(
        Target(scope=TargetScope.COUNTY, county_id=shule.id, start_year=2025, end_year=2025, amount_fen=10**6)
    )
    _token, secret = issue_token(db, make_user(counties=[shule]), "script")
    response = client.get("/api/v1/stats/counties/653122?year=2025", headers=bearer(secret))
    assert response.status_code == 200
    data = response.json
    assert data["county"] == {"code": "653122", "name": "疏勒县"}  # type: ignore[index]
    assert data["period"] == {"start": "2025-01-01", "end": "2025-12-31", "channel": None}  # type: ignore[index]
    assert data["totals"] == {  # type: ignore[index]
        "sales_fen": 124_456,
        "counted_fen": 123_456,
        "ordinary_fen": 1_000,
        "entries": 2,
    }  # no quantity: several products' units never add up (see the test of units below)
    assert [(m["key"], m["counted_fen"]) for m in data["monthly"][:2]] == [
        ("2025-01", 123_456),
        ("2025-02", 0),
    ]  # type: ignore[index]
    assert [r["key"] for r in data["by_channel"]] == ["online", "staff"]  # type: ignore[index]
    assert data["by_product"][0]["producer"] == "疏勒县绿源合作社"  # type: ignore[index]
    assert data["targets"][0]["counted_fen"] == 123_456 and data["targets"][0]["target_fen"] == 10**6  # type: ignore[index]

    page = client.get("/stats/?year=2025")  # the public page (anonymous) agrees
    assert "¥1,234.56" in page.get_data(as_text=True)
    staff = client.get("/api/v1/stats/counties/653122?year=2025&channel=staff", headers=bearer(secret)).json
    assert staff["totals"]["sales_fen"] == 1_000  # type: ignore[index]


def test_a_token_reads_only_its_owners_counties(
    client: FlaskClient, db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    reviewer = make_user(counties=[region("653122")])
    _token, secret = issue_token(db, reviewer, "script")
    refused = client.get("/api/v1/stats/counties/500229", headers=bearer(secret))
    assert refused.status_code == 403 and refused.json["error"]["status"] == 403  # type: ignore[index]
    assert client.get("/api/v1/stats/counties/999999", headers=bearer(secret)).status_code == 404
    bad = client.get("/api/v1/stats/counties/653122?month_from=9&month_to=3", headers=bearer(secret))
    assert bad.status_code == 400 and "not valid" in bad.json["error"]["message"]  # type: ignore[index]

    _admin_token, admin_secret = issue_token(db, make_user(is_admin=True), "admin script")
    assert client.get("/api/v1/stats/counties/500229", headers=bearer(admin_secret)).status_code == 200

    reviewer.reviewer_counties = []  # the role is taken away: so is the token's access
    db.flush()
    assert client.get("/api/v1/stats/counties/653122", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/stats/summary", headers=bearer(secret)).status_code == 403


def test_summary_gives_the_public_figures(
    client: FlaskClient, db: Session, make_user: Callable[..., User], shule_sales: Product
) -> None:
    _token, secret = issue_token(db, make_user(is_admin=True), "script")
    data = client.get("/api/v1/stats/summary?year=2025", headers=bearer(secret)).json
    assert data["totals"]["counted_fen"] == 123_456 + 9_900  # type: ignore[index]
    by_code = {c["code"]: c["period"]["sales_fen"] for c in data["counties"]}  # type: ignore[index]
    assert by_code == {"653122": 124_456, "653131": 0, "500229": 9_900}


def test_tokens_are_stored_hashed_and_only_for_reviewers_and_admins(
    db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    reviewer = make_user(counties=[region("653122")])
    token, secret = issue_token(db, reviewer, "  monthly report  ")
    assert secret.startswith("xfbf_") and len(secret) > 40
    assert token.name == "monthly report" and token.hint == secret[:11]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.token_hash
    assert authenticate(db, secret) is token and token.last_used_at is not None
    first_use = token.last_used_at
    authenticate(db, secret)
    assert token.last_used_at == first_use  # written at most once a minute
    token.last_used_at = first_use - timedelta(minutes=2)
    authenticate(db, secret)
    assert token.last_used_at > first_use - timedelta(minutes=2)
    with pytest.raises(PermissionDenied):
        issue_token(db, make_user(), "consumer")
    with pytest.raises(TokenNameInvalid):
        issue_token(db, reviewer, "   ")
    reviewer.is_active = False
    assert authenticate(db, secret) is None


def test_token_page_shows_the_secret_once_and_revokes(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    reviewer = make_user(counties=[region("653122")])
    client = as_user(reviewer)
    before = row_count(db, "core_api_token")
    assert client.post("/account/api-tokens/", data={"name": ""}).status_code == 400
    assert row_count(db, "core_api_token") == before  # nothing written

    created = client.post("/account/api-tokens/", data={"name": "月报脚本"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    db.expire_all()
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == reviewer.id))
    assert token is not None and token.name == "月报脚本"
    html = created.get_data(as_text=True)
    secret = html.split('class="stats-secret-value">')[1].split("<")[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == token.token_hash
    listing = client.get("/account/api-tokens/").get_data(as_text=True)
    assert secret not in listing and token.hint in listing

    other = make_user(counties=[region("653122")])
    assert as_user(other).post(f"/account/api-tokens/{token.id}/revoke").status_code == 403
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 302
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "api_token")).all()
    assert sorted(actions) == ["api_token.create", "api_token.revoke"]
    assert as_user(None).get("/api/v1/stats/summary", headers=bearer(secret)).status_code == 401


def test_openapi_document_lists_the_statistics_paths_with_bearer_auth(
    app: Flask, client: FlaskClient
) -> None:
    spec = client.get("/api/v1/openapi.json").json
    county = spec["paths"]["/api/v1/stats/counties/{code}"]["get"]  # type: ignore[index]
    assert county["security"] == [{"bearerToken": []}]
    assert {"200", "400", "401", "403", "404"} <= set(county["responses"])
    names = {p["name"] for p in county["parameters"]}
    assert {"code", "year", "month_from", "month_to", "channel"} <= names
    assert "/api/v1/stats/summary" in spec["paths"]  # type: ignore[operator]
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"  # type: ignore[index]
    assert "/api/v1/products" in spec["paths"]  # type: ignore[operator]  (the catalog's paths stay)


def test_quantities_are_weights_in_kg_and_counts_in_pieces_never_added_together(
    client: FlaskClient,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    producer = make_producer(name="疏勒县绿源合作社")
    by_kg = make_product(producer, name="西红柿", unit=Unit.KG)
    by_jin = make_product(producer, name="骏枣", unit=Unit.JIN)
    by_piece = make_product(producer, name="郭牌西瓜", unit=Unit.PIECE)
    by_box = make_product(producer, name="雪菊礼盒", unit=Unit.BOX)
    add_rollup(db, by_kg, date(2025, 3, 1), 5_000, quantity=3)
    add_rollup(db, by_jin, date(2025, 3, 2), 4_000, quantity=5)  # 2.5 kg
    add_rollup(db, by_piece, date(2025, 3, 3), 3_000, quantity=7)
    add_rollup(db, by_box, date(2025, 4, 3), 2_000, quantity=2)
    _token, secret = issue_token(db, make_user(counties=[region("653122")]), "script")
    data = client.get("/api/v1/stats/counties/653122?year=2025", headers=bearer(secret)).json
    assert data is not None
    assert data["quantities"] == {"weight_kg": "5.500", "pieces": 7, "boxes": 2}
    products = {row["name"]: (row["quantity"], row["unit"]) for row in data["by_product"]}
    assert products == {
        "西红柿": (3, "kg"),
        "骏枣": (5, "jin"),
        "郭牌西瓜": (7, "piece"),
        "雪菊礼盒": (2, "box"),
    }
    for breakdown in ("monthly", "by_channel", "by_buyer_kind", "by_partner", "top_institutions"):
        assert all("quantity" not in row and "unit" not in row for row in data[breakdown]), breakdown
    assert "quantity" not in data["totals"]
    summary = client.get("/api/v1/stats/summary?year=2025", headers=bearer(secret)).json
    assert summary is not None
    assert "quantity" not in summary["totals"] and "quantity" not in summary["all_time"]
    assert all("quantity" not in line["period"] for line in summary["counties"])
    assert all("quantity" not in row for row in summary["monthly"])
