"""Targets: admins set them in yuan, changes are audited, progress is computed from certified sales."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.audit.services import AuditEntry
from core.models import Region, User
from procurement.institutions.models import Institution
from stats.models import Target, TargetScope
from stats.targets.forms import parse_yuan
from stats.targets.services import (
    InvalidTarget,
    TargetData,
    create_target,
    progress_of_targets,
    seed_demo_targets,
    target_progress,
)
from tests.conftest import make_certificate, row_count
from tests.stats.ledger_support import make_order, make_supplier_order, pay, refund, utc

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


Client = Callable[[User | None], FlaskClient]


@pytest.fixture()
def admin(make_user: Callable[..., User]) -> User:
    """An administrator who reads English."""
    user = make_user(is_admin=True)
    user.locale = "en"
    return user


def audit(db: Session) -> list[tuple[str, int]]:
    """(action, subject id) of every target audit entry, oldest first."""
    query = select(AuditEntry).where(AuditEntry.subject_type == "target").order_by(AuditEntry.id)
    return [(e.action, e.subject_id) for e in db.scalars(query)]


def test_an_admin_sets_chengkous_five_year_target_in_yuan(admin: User, as_user: Client, db: Session) -> None:
    response = as_user(admin).post(
        "/admin/targets/new",
        data={
            "scope": "county",
            "county": "500229",
            "start_year": "2021",
            "end_year": "2025",
            "amount": "300,000,000",
            "note": "城口县规划",
        },
    )

    assert response.status_code == 302
    (target,) = db.scalars(select(Target))
    assert (target.scope, target.start_year, target.end_year, target.amount_fen) == (
        TargetScope.COUNTY,
        2021,
        2025,
        30_000_000_000,
    )
    assert target.created_by_id == admin.id and target.institution_id is None
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.subject_type == "target"))
    assert (entry.action, entry.region_code, entry.after["amount_fen"]) == (
        "target.create",
        "500229",
        30_000_000_000,
    )
    page = as_user(admin).get("/admin/targets/").get_data(as_text=True)
    assert "城口县" in page and "¥300,000,000.00" in page and "2021–2025" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scope": "county", "county": ""}, "Choose the county"),
        ({"scope": "partner", "county": "653122", "institution": ""}, "Choose the partner institution"),
        ({"start_year": "2026", "end_year": "2021"}, "cannot come before"),
        ({"amount": "12.345"}, "Enter an amount in yuan"),
        ({"amount": "0"}, "Enter an amount in yuan"),
        ({"amount": "1e3"}, None),
        ({"start_year": "1999"}, None),
    ],
)
def test_an_invalid_target_is_refused_and_nothing_is_written(
    admin: User, as_user: Client, db: Session, fields: dict[str, str], message: str | None
) -> None:
    data = {"scope": "county", "county": "653122", "start_year": "2021", "end_year": "2025", "amount": "1000"}

    response = as_user(admin).post("/admin/targets/new", data=data | fields)

    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert row_count(db, "stats_target") == 0 and audit(db) == []


def test_yuan_are_parsed_with_decimal_into_fen() -> None:
    assert parse_yuan("12.50") == 1250 and parse_yuan("¥0.01") == 1 and parse_yuan("3,000") == 300_000
    assert parse_yuan("0.1") == 10 and parse_yuan("19.99") == 1999  # 19.99 * 100 as a float is 1998.99…
    assert [parse_yuan(t) for t in ("", "abc", "-5", "NaN", "Infinity", "0.001", "100000000001")] == [
        None
    ] * 7


def test_editing_and_deleting_a_target_is_audited(
    admin: User, as_user: Client, db: Session, make_institution: Callable[..., Institution], region: Any
) -> None:
    partner = make_institution()
    partner.paired_counties.append(region("653131"))
    target = create_target(
        db, admin, TargetData(TargetScope.COUNTY, 2024, 2024, 100_000, county=region("653131"))
    )
    client = as_user(admin)
    form = client.get(f"/admin/targets/{target.id}/edit").get_data(as_text=True)
    assert 'value="1000"' in form  # the amount is shown in yuan

    response = client.post(
        f"/admin/targets/{target.id}/edit",
        data={
            "scope": "partner",
            "county": "653131",
            "institution": str(partner.id),
            "start_year": "2024",
            "end_year": "2025",
            "amount": "2500.50",
        },
    )

    assert response.status_code == 302
    db.expire_all()
    assert (target.scope, target.institution_id, target.end_year, target.amount_fen) == (
        TargetScope.PARTNER,
        partner.id,
        2025,
        250_050,
    )
    assert client.post(f"/admin/targets/{target.id}/delete").status_code == 302
    assert row_count(db, "stats_target") == 0
    assert audit(db) == [
        ("target.create", target.id),
        ("target.update", target.id),
        ("target.delete", target.id),
    ]
    update = db.scalars(select(AuditEntry).where(AuditEntry.action == "target.update")).one()
    assert (update.before["amount_fen"], update.after["amount_fen"]) == (100_000, 250_050)


def test_services_refuse_non_admins(make_user: Callable[..., User], db: Session) -> None:
    from core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_target(db, make_user(), TargetData(TargetScope.PLATFORM, 2025, 2025, 100))
    with pytest.raises(InvalidTarget):
        create_target(db, make_user(is_admin=True), TargetData(TargetScope.PLATFORM, 2025, 2025, 0))


def test_progress_counts_certified_sales_within_the_years_less_refunds(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Any,
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> None:
    buyer = make_user()
    chengkou = make_producer(county_code="500229")
    pork = make_product(chengkou, price_fen=10000)
    make_certificate(db, pork, valid_from=date(2021, 1, 1), valid_to=date(2025, 12, 31))
    uncertified = make_product(chengkou, price_fen=10000)
    shule = make_product(make_producer(), price_fen=10000)
    make_certificate(db, shule, valid_from=date(2021, 1, 1), valid_to=date(2025, 12, 31))
    partner = make_institution(buyer)
    partner.paired_counties.append(region("500229"))

    sold = make_order(db, buyer, [(pork, 10, 10000)])
    pay(db, sold, utc(date(2022, 5, 1)))  # +100,000
    refund(db, sold, {sold.lines[0]: 2}, utc(date(2022, 5, 3)))  # −20,000
    pay(db, make_order(db, buyer, [(uncertified, 5, 10000)]), utc(date(2022, 5, 1)))  # not certified
    pay(db, make_order(db, buyer, [(pork, 1, 10000)]), utc(date(2020, 12, 31), 15))  # 2020 in Shanghai
    pay(db, make_order(db, buyer, [(shule, 7, 10000)]), utc(date(2023, 1, 1)))  # another county
    make_supplier_order(db, partner, buyer, [(pork, 30, 30, 9000)], at=utc(date(2024, 8, 8)))  # +270,000

    def progress(scope: TargetScope, **fields: Any) -> int:
        fields.setdefault("start_year", 2021)
        fields.setdefault("end_year", 2025)
        return target_progress(db, Target(scope=scope, amount_fen=1_000_000, **fields))[0]

    county = region("500229").id
    assert progress(TargetScope.COUNTY, county_id=county) == 100_000 - 20_000 + 270_000
    assert progress(TargetScope.COUNTY, county_id=county, start_year=2022, end_year=2022) == 80_000
    assert progress(TargetScope.PARTNER, county_id=county, institution_id=partner.id) == 270_000
    assert progress(TargetScope.PLATFORM) == 80_000 + 270_000 + 70_000
    assert target_progress(
        db, Target(scope=TargetScope.PLATFORM, start_year=2021, end_year=2025, amount_fen=9)
    ) == (
        420_000,
        9,
    )
    # the admin page's progress of every target at once equals each target's own
    targets = [
        Target(scope=TargetScope.COUNTY, county_id=county, start_year=2021, end_year=2025, amount_fen=5),
        Target(scope=TargetScope.COUNTY, county_id=county, start_year=2022, end_year=2022, amount_fen=6),
        Target(
            scope=TargetScope.COUNTY,
            county_id=region("653122").id,
            start_year=2023,
            end_year=2030,
            amount_fen=7,
        ),
        Target(
            scope=TargetScope.PARTNER,
            county_id=county,
            institution_id=partner.id,
            start_year=2024,
            end_year=2024,
            amount_fen=8,
        ),
        Target(scope=TargetScope.PLATFORM, start_year=2020, end_year=2023, amount_fen=9),
    ]
    db.add_all(targets)
    db.flush()
    assert progress_of_targets(db, targets) == {t.id: target_progress(db, t) for t in targets}


def test_demo_targets_are_seeded_once(db: Session, region: Callable[[str], Region]) -> None:
    made = seed_demo_targets(db)

    assert seed_demo_targets(db) == []
    chengkou = next(t for t in made if t.scope is TargetScope.COUNTY)
    assert (chengkou.county_id, chengkou.start_year, chengkou.end_year, chengkou.amount_fen) == (
        region("500229").id,
        2021,
        2025,
        300_000_000_00,
    )
    assert {t.scope for t in made} == {TargetScope.COUNTY, TargetScope.PLATFORM}
