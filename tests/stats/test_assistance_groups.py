"""Assistance groups (帮扶集团): the county office forms and keeps them; a group's progress is exactly the sum
of its members' own counted figures (a property over random histories); who may see and change what."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from channels.assistance import services
from channels.assistance.errors import (
    AlreadyMember,
    GroupNameTaken,
    InstitutionUnknown,
    LeadStays,
    NotCountyOffice,
    RegionNotInCounty,
    TargetInvalid,
)
from channels.assistance.models import AssistanceGroup
from core.audit.services import AuditEntry
from core.models import Region, User
from procurement.institutions.models import Institution, InstitutionKind, InstitutionRole
from stats.groups.progress import group_progress
from stats.progress import received_progress
from tests.access_rows.institutions import credit_code
from tests.conftest import make_certificate
from tests.stats.ledger_support import make_order, make_supplier_order, pay, utc
from tests.support import examples

YEAR = 2025
CHENGKOU = "500229"
_codes = itertools.count(81_000_001)


@dataclass
class World:
    """A Chengkou producer with a certified and an uncertified product, four institutions with credit codes
    (three will form a group), the county's reviewer and a buyer."""

    products: list[Product]
    institutions: list[Institution]
    reviewer: User
    other_reviewer: User
    buyer: User
    county: Region


@pytest.fixture()
def world(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> World:
    owner, buyer = make_user(name="腊肉社长"), make_user(name="采购员")
    producer = make_producer(owner, county_code=CHENGKOU)
    certified, uncertified = make_product(producer, price_fen=100), make_product(producer, price_fen=100)
    make_certificate(db, certified, valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31))
    institutions = [
        make_institution(buyer, kind=kind, role=InstitutionRole.BUYER)
        for kind in (
            InstitutionKind.BUDGET_UNIT,
            InstitutionKind.SCHOOL,
            InstitutionKind.VILLAGE_ENTERPRISE,
            InstitutionKind.HOSPITAL,
        )
    ]
    for institution in institutions:
        institution.credit_code = credit_code(next(_codes))
    db.flush()
    county = region(CHENGKOU)
    return World(
        products=[certified, uncertified],
        institutions=institutions,
        reviewer=make_user(name="城口审核员", counties=[county]),
        other_reviewer=make_user(name="疏勒审核员", counties=[region("653122")]),
        buyer=buyer,
        county=county,
    )


def formed(db: Session, w: World) -> AssistanceGroup:
    """The group of the first three institutions, led by the first."""
    group = services.create_group(
        db, w.reviewer, w.county, "城口县第一帮扶集团", w.institutions[0].credit_code
    )
    for institution in w.institutions[1:3]:
        services.add_member(db, w.reviewer, group, institution.credit_code)
    return group


@dataclass(frozen=True)
class Purchase:
    """A receipt or a staff purchase of one of the four institutions."""

    institution: int
    certified: bool
    quantity: int
    price: int
    day: int  # day of the year, 0–364
    staff: bool


purchases = st.builds(
    Purchase,
    institution=st.integers(0, 3),
    certified=st.booleans(),
    quantity=st.integers(1, 30),
    price=st.integers(1, 20_000),
    day=st.integers(-5, 369),  # a few days either side of the year
    staff=st.booleans(),
)


@settings(
    max_examples=examples(10),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(purchases, min_size=1, max_size=8))
def test_a_group_counts_exactly_the_sum_of_its_members_own_figures(
    db: Session, world: World, history: list[Purchase]
) -> None:
    savepoint = db.begin_nested()
    try:
        group = formed(db, world)
        services.set_target(db, world.reviewer, group, YEAR, 1_000_000)
        for p in history:
            institution = world.institutions[p.institution]
            product = world.products[0 if p.certified else 1]
            moment = utc(date(YEAR, 1, 1) + timedelta(days=p.day))
            if p.staff:
                order = make_order(
                    db, world.buyer, [(product, p.quantity, p.price)], staff_institution=institution
                )
                pay(db, order, moment)
            else:
                make_supplier_order(
                    db, institution, world.buyer, [(product, p.quantity, p.quantity, p.price)], at=moment
                )
        progress = group_progress(db, group, YEAR)
        own = {i.id: received_progress(db, i, YEAR) for i in world.institutions}
        assert {m.institution.id for m in progress.members} == {i.id for i in world.institutions[:3]}
        for member in progress.members:
            assert member.received_fen == own[member.institution.id].received_fen
            assert member.staff_fen == own[member.institution.id].staff_fen
            assert member.counted_fen == own[member.institution.id].counted_fen
        assert progress.counted_fen == sum(own[i.id].counted_fen for i in world.institutions[:3])
        assert progress.target_fen == 1_000_000
        assert progress.remaining_fen == max(0, 1_000_000 - progress.counted_fen)
    finally:
        savepoint.rollback()


def test_the_county_office_forms_and_keeps_a_group(db: Session, world: World) -> None:
    group = formed(db, world)
    assert (
        group.member_ids() == [i.id for i in world.institutions[:3]]
        and group.lead_id == world.institutions[0].id
    )
    with pytest.raises(GroupNameTaken):
        services.create_group(
            db, world.reviewer, world.county, "城口县第一帮扶集团", world.institutions[3].credit_code
        )
    with pytest.raises(AlreadyMember):
        services.add_member(db, world.reviewer, group, world.institutions[1].credit_code)
    with pytest.raises(InstitutionUnknown):
        services.add_member(db, world.reviewer, group, "91500000MA00000000")
    with pytest.raises(NotCountyOffice):
        services.add_member(db, world.other_reviewer, group, world.institutions[3].credit_code)
    with pytest.raises(LeadStays):
        services.remove_member(db, world.reviewer, group, group.members[0])
    services.remove_member(db, world.reviewer, group, group.members[2])
    assert len(group.members) == 2

    town = sorted(world.county.children, key=lambda r: r.code or "")[0]
    services.pair_region(db, world.reviewer, group, town)
    services.pair_region(db, world.reviewer, group, town)  # again: nothing changes
    assert group.pairings == [town]
    with pytest.raises(RegionNotInCounty):
        services.pair_region(db, world.reviewer, group, world.county)
    with pytest.raises(RegionNotInCounty):
        shule_town = world.other_reviewer.reviewer_counties[0].children[0]
        services.pair_region(db, world.reviewer, group, shule_town)

    services.set_target(db, world.reviewer, group, YEAR, 5_000_000)
    services.set_target(db, world.reviewer, group, YEAR, 6_000_000)
    assert group.target_for(YEAR) == 6_000_000 and len(group.targets) == 1
    for year, amount in ((YEAR, 0), (YEAR, None), (2019, 100), (YEAR, 10**13)):
        with pytest.raises(TargetInvalid):
            services.set_target(db, world.reviewer, group, year, amount)
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "assistance_group").order_by(AuditEntry.id)
    ).all()
    assert actions[:4] == [
        "assistance_group.create",
        "assistance_group.add_member",
        "assistance_group.add_member",
        "assistance_group.remove_member",
    ]


def test_the_pages_keep_a_group_and_show_its_progress_to_whom_it_concerns(
    db: Session, world: World, as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User]
) -> None:
    desk = as_user(world.reviewer)
    bad = desk.post(
        "/assistance-groups/", data={"name": "x", "county": CHENGKOU, "lead_credit_code": "1" * 18}
    )
    assert bad.status_code == 400
    unknown = desk.post(
        "/assistance-groups/",
        data={"name": "城口县第二帮扶集团", "county": CHENGKOU, "lead_credit_code": "9" * 18},
    )
    assert unknown.status_code == 400 and db.scalar(select(AssistanceGroup.id)) is None
    other = as_user(world.other_reviewer).post(
        "/assistance-groups/",
        data={
            "name": "城口县第二帮扶集团",
            "county": CHENGKOU,
            "lead_credit_code": world.institutions[0].credit_code,
        },
    )
    assert other.status_code == 403
    created = desk.post(
        "/assistance-groups/",
        data={
            "name": "城口县第二帮扶集团",
            "county": CHENGKOU,
            "lead_credit_code": world.institutions[0].credit_code,
        },
    )
    assert created.status_code == 302
    group = db.scalars(select(AssistanceGroup)).one()
    base = f"/assistance-groups/{group.id}"
    assert (
        desk.post(f"{base}/members", data={"credit_code": world.institutions[1].credit_code}).status_code
        == 302
    )
    assert (
        desk.post(f"{base}/members", data={"credit_code": world.institutions[1].credit_code}).status_code
        == 409
    )
    assert desk.post(f"{base}/targets", data={"year": str(YEAR), "amount": "-5"}).status_code == 400
    assert desk.post(f"{base}/targets", data={"year": str(YEAR), "amount": "300,000.00"}).status_code == 302
    assert desk.post(f"{base}/pairings", data={"region_code": "653122"}).status_code == 400
    db.expire_all()
    assert group.target_for(YEAR) == 30_000_000

    make_supplier_order(
        db, world.institutions[1], world.buyer, [(world.products[0], 10, 10, 1234)], at=utc(date(YEAR, 5, 4))
    )
    page = as_user(world.buyer).get(f"{base}?year={YEAR}")  # a buyer of a member institution
    assert page.status_code == 200 and "¥123.40" in page.get_data(as_text=True)
    assert desk.get(f"{base}?year={YEAR}").status_code == 200
    assert desk.get(f"{base}/manage").status_code == 200
    assert as_user(world.other_reviewer).get(base).status_code == 403
    assert as_user(make_user()).get(base).status_code == 403
    assert as_user(world.buyer).get(f"{base}/manage").status_code == 403
    assert desk.get("/assistance-groups/999999").status_code == 404
