"""The demo data: real-looking sellers of three counties, valid codes, dated certificates, drawn pictures."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.browse.services import browse_products
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerKind,
    ProducerStatus,
)
from catalog.producers.workbench import producer_day
from catalog.products.models import (
    Certification,
    CertificationStatus,
    PriceTier,
    Product,
    ProductImage,
    QualityMark,
    QualityMarkKind,
    Unit,
)
from catalog.questions.models import Question
from catalog.questions.services import answered_questions
from catalog.search_filters import SearchFilters
from catalog.shelf import sale_problem
from catalog.validators import validate_credit_code, validate_gtin14
from core.clock import shanghai_date
from core.models import User
from settlement.benefit.figures import verified_benefit
from settlement.benefit.models import BenefitLine, BenefitReport
from shop.demo.batches import HELP_SELL_DEMO_PRODUCT
from shop.demo.catalog import DEMO_PRODUCERS, CertPlan, ProductSpec
from shop.demo.motifs import MOTIFS
from shop.demo.questions import DEMO_QUESTIONS
from shop.demo.sales import PURCHASES
from shop.demo.seed import seed_demo
from shop.home import home_page
from traceability.chain import verify_chain
from traceability.coldchain.models import SensorReading
from traceability.holds.models import BatchHold, HoldReason
from traceability.models import Batch, BatchStatus, EventKind, TraceEvent

COUNTED = (
    User,
    Producer,
    Product,
    PriceTier,
    QualityMark,
    Certification,
    ProductImage,
    Batch,
    TraceEvent,
    BenefitReport,
    BenefitLine,
    SensorReading,
    Question,
)


def _counts(db: Session) -> dict[str, int]:
    """How many rows of each demo-relevant model exist."""
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0 for model in COUNTED}


def _demo_products(db: Session) -> list[Product]:
    """The products of the demo producers."""
    names = [spec.name for spec in DEMO_PRODUCERS]
    return list(db.scalars(select(Product).join(Producer).where(Producer.name.in_(names))))


def test_seeding_twice_changes_nothing(demo_db: Session) -> None:
    first = _counts(demo_db)
    seed_demo(demo_db)
    assert _counts(demo_db) == first
    assert first["Product"] >= sum(len(spec.products) for spec in DEMO_PRODUCERS)
    assert first["ProductImage"] == 0  # no upload_dir, no pictures


def test_every_organisation_has_a_valid_credit_code_and_households_a_phone(demo_db: Session) -> None:
    names = [spec.name for spec in DEMO_PRODUCERS]
    producers = list(demo_db.scalars(select(Producer).where(Producer.name.in_(names))))
    assert len(producers) == len(DEMO_PRODUCERS)
    for producer in producers:
        if producer.kind.is_organisation:
            assert producer.credit_code is not None
            assert validate_credit_code(producer.credit_code) == producer.credit_code
            assert producer.credit_code[2:8] == producer.county.code
        else:
            assert producer.credit_code is None and producer.contact_phone


def test_every_gtin_validates(demo_db: Session) -> None:
    gtins = [p.gtin for p in _demo_products(demo_db) if p.gtin]
    assert len(gtins) >= 5
    assert all(validate_gtin14(gtin) == gtin and gtin.startswith("069") for gtin in gtins)


def _planned(plan: CertPlan | None) -> list[ProductSpec]:
    """The demo products whose certification is planned as ``plan`` (``None``: no certificate at all)."""
    return [
        item
        for spec in DEMO_PRODUCERS
        for item in spec.products
        if (item.certificate.plan if item.certificate else None) is plan
    ]


def test_the_catalogue_spans_the_three_counties_and_many_categories() -> None:
    """Issue 16: dozens of products, each county with at least ten, across at least five categories, most
    certified and a few not (so the storefront shows buyable and unbuyable ones)."""
    items = [(spec, item) for spec in DEMO_PRODUCERS for item in spec.products]
    assert len(items) >= 36
    for county in ("653122", "653131", "500229"):
        assert sum(spec.county_code == county for spec, _item in items) >= 10, county
    assert len({item.category for _spec, item in items}) >= 5
    assert len(_planned(CertPlan.VALID)) > len(items) // 2
    for plan in (CertPlan.EXPIRING, CertPlan.EXPIRED, CertPlan.APPLIED, None):
        assert 1 <= len(_planned(plan)) <= 4, plan
    names = [item.name for _spec, item in items]
    assert len(set(names)) == len(names)  # a product is found again by its name
    drawn = [item.motif for _spec, item in items] + [s.logo_motif for s in DEMO_PRODUCERS if s.logo_motif]
    assert set(drawn) <= set(MOTIFS)  # no picture falls back to the default leaf
    for spec in DEMO_PRODUCERS:
        refs = [item.gtin_item for item in spec.products if item.gtin_item]
        assert len(set(refs)) == len(refs), spec.name
        assert not refs or spec.gs1_prefix, spec.name
    for county in {spec.county_code for spec in DEMO_PRODUCERS}:
        certs = [item.certificate for spec, item in items if spec.county_code == county and item.certificate]
        numbers = [cert.number for cert in certs if cert.plan is not CertPlan.APPLIED]
        assert len(set(numbers)) == len(numbers), county


def test_certificates_are_dated_relative_to_today(demo_db: Session) -> None:
    today = shanghai_date()
    certs = [c for p in _demo_products(demo_db) for c in p.certifications]
    certified = [c for c in certs if c.status == CertificationStatus.CERTIFIED]
    expiring = [c for c in certified if today <= c.valid_to <= today + timedelta(days=30)]
    expired = [c for c in certified if c.valid_to < today]
    assert len(expiring) == len(_planned(CertPlan.EXPIRING))
    for cert in expiring:
        assert cert.product.is_active and cert.product.valid_certificate_on(today) is cert
    assert len(expired) == len(_planned(CertPlan.EXPIRED))
    assert all(c.product.valid_certificate_on(today) is None for c in expired)
    assert sum(c.is_valid_on(today) for c in certified) == len(certified) - len(expired)
    for cert in certified:
        assert (cert.valid_to - cert.valid_from).days == 364  # one year, both ends counted
        assert cert.certificate_no and cert.authority and cert.decided_at and cert.decided_by
        assert cert.decided_by.reviews_county(cert.product.producer.county)
        assert cert.certified_name == cert.product.name  # what it vouches for, recorded as certifying does
    pending = [c for c in certs if c.status == CertificationStatus.APPLIED]
    assert len(pending) == len(_planned(CertPlan.APPLIED))
    assert all(c.decided_at is None and c.certificate_no is None for c in pending)
    uncertified = {p.name for p in _demo_products(demo_db) if not p.certifications}
    assert uncertified == {item.name for item in _planned(None)}


def test_all_three_counties_have_approved_sellers_and_a_household_waits_for_review(demo_db: Session) -> None:
    products = _demo_products(demo_db)
    approved = {p.producer.county.code for p in products if p.producer.status == ProducerStatus.APPROVED}
    assert approved == {"653122", "653131", "500229"}
    pending = [p for p in products if p.producer.status == ProducerStatus.PENDING]
    assert pending and all(p.producer.kind == ProducerKind.HOUSEHOLD for p in pending)
    for producer in {p.producer for p in products if p.producer.is_approved}:
        assert producer.decided_at is not None and producer.township is not None
        assert producer.households_total > 0 and producer.linkage_modes


def test_the_demo_producer_owns_the_shule_cooperative(demo_db: Session) -> None:
    seed_demo(demo_db)
    coop = demo_db.scalar(select(Producer).where(Producer.name == "疏勒县绿源蔬菜种植农民专业合作社"))
    assert coop is not None and coop.is_approved
    assert [(m.user.email, m.role) for m in coop.members] == [("producer@demo.bangfu.cn", MemberRole.OWNER)]
    assert {p.brand for p in coop.products} == {"疏勒蔬菜"}


def test_yak_jerky_and_yak_meat_are_listed_as_the_plans_describe(demo_db: Session) -> None:
    jerky = demo_db.scalar(select(Product).where(Product.name == "塔县有机牦牛肉干"))
    assert jerky is not None and "牦牛" in jerky.name
    assert jerky.unit == Unit.BOX and jerky.net_weight_g == 250
    meat = demo_db.scalar(select(Product).where(Product.name.contains("有机牦牛肉"), Product.unit == Unit.KG))
    assert meat is not None and meat.price_fen == 12800 and meat.is_cold_chain
    assert meat.unit_price_for(200) < meat.unit_price_for(50) < meat.price_fen
    assert [m.kind for m in meat.quality_marks] == [QualityMarkKind.ORGANIC]
    pork = demo_db.scalar(select(Product).where(Product.name == "城口老腊肉"))
    assert pork is not None and pork.brand == "大巴山硒谷"
    assert pork.quality_marks[0].kind == QualityMarkKind.GEOGRAPHICAL_INDICATION


def test_demo_batches_are_in_stock_with_verified_chains_and_one_recall(demo_db: Session) -> None:
    batches = list(demo_db.scalars(select(Batch)))
    assert len(batches) >= 12
    for batch in batches:
        assert verify_chain(batch.events, batch.lot_code, batch.head_hash).valid
        assert batch.compliance is not None
    recalled = [b for b in batches if b.is_recalled]
    assert [b.product.name for b in recalled] == ["疏勒西红柿"]
    shipped = [b for b in batches if any(e.kind == EventKind.SHIPPING for e in b.events)]
    assert len(shipped) == len(batches)


def test_the_demo_yak_meat_shows_its_cold_chain_held_on_the_trace_page(
    demo_db: Session, demo_client: FlaskClient
) -> None:
    lot = demo_db.scalar(
        select(Batch.lot_code)
        .join(Product, Product.id == Batch.product_id)
        .where(Product.name == "塔县有机牦牛肉", Batch.status == BatchStatus.ACTIVE)
    )
    assert lot is not None
    page = demo_client.get(f"/t/{lot}").get_data(as_text=True)
    assert "冷链全程 −18 °C 以下" in page and "svg" in page
    cold_holds = select(func.count()).select_from(BatchHold).where(BatchHold.reason == HoldReason.COLD_CHAIN)
    assert demo_db.scalar(cold_holds) == 0  # every demo reading is in range


def test_approved_producers_get_shipping_rules_and_meat_sellers_skip_far_provinces(demo_db: Session) -> None:
    from orders.models import ShippingRule

    rules = {r.producer.name: r for r in demo_db.scalars(select(ShippingRule))}
    approved = demo_db.scalars(select(Producer).where(Producer.status == ProducerStatus.APPROVED)).all()
    assert set(rules) == {p.name for p in approved}
    assert rules["城口县大巴山火炕腊肉食品有限公司"].excluded_provinces == ["540000", "460000"]
    assert rules["疏勒县绿源蔬菜种植农民专业合作社"].excluded_provinces == []
    assert all(r.flat_fee_fen == 1200 and r.free_above_fen == 9900 for r in rules.values())


def test_the_linyi_canteen_office_is_verified_paired_and_planned(demo_db: Session) -> None:
    from procurement.institutions.models import AnnualPlan, Institution, InstitutionRole
    from procurement.ordering.services import needs_approval

    seed_demo(demo_db)
    office = demo_db.scalars(select(Institution).where(Institution.name == "临沂市直机关事务服务中心")).one()
    assert office.is_verified and office.credit_code is not None
    assert validate_credit_code(office.credit_code) == office.credit_code
    assert [c.code for c in office.paired_counties] == ["500229"]
    assert office.contact_name and office.contact_phone and office.address
    assert office.spending_limit_fen == 2_000_000 and needs_approval(office, 2_000_001)
    roles = {(m.user.email, m.role) for m in office.members}
    assert roles == {
        ("buyer@demo.bangfu.cn", InstitutionRole.BUYER),
        ("approver@demo.bangfu.cn", InstitutionRole.APPROVER),
        ("finance@demo.bangfu.cn", InstitutionRole.FINANCE),
    }
    plans = demo_db.scalars(select(AnnualPlan).where(AnnualPlan.institution_id == office.id)).all()
    assert [(p.year, p.canteen_budget_fen, p.reserved_share_permille) for p in plans] == [
        (shanghai_date().year, 120_000_000, 300)
    ]
    assert plans[0].reserved_fen == 36_000_000  # ¥360,000 to buy from formerly poor areas this year


def test_each_county_shows_verified_household_benefit(demo_db: Session) -> None:
    reports = list(demo_db.scalars(select(BenefitReport)))
    assert {report.producer.county.code for report in reports} == {"653122", "653131", "500229"}
    for report in reports:
        assert report.status.value == "verified" and report.decided_by is not None
        for line in report.lines:
            recorded = (
                report.producer.lifted_households
                if line.category.value == "lifted"
                else report.producer.monitored_households
            )
            assert 0 < line.households <= recorded
    shown = verified_benefit(demo_db, reports[-1].producer_id, reports[-1].year)
    assert shown is not None and shown.amount_fen > 0


def test_the_home_page_of_the_demo_has_something_in_every_section(demo_db: Session) -> None:
    seed_demo(demo_db)  # idempotent: the paid orders are not paid twice
    demo_db.flush()
    home = home_page(demo_db, shanghai_date())
    assert home.counted.counted_fen > 0 and home.counted.entries == len(PURCHASES)
    assert home.in_season and home.help_sell
    assert HELP_SELL_DEMO_PRODUCT in {entry.product.name for entry in home.help_sell}
    for card in home.counties:
        assert card.products, card.showcase.code
        assert sale_problem(card.products[0]) is None  # each county leads with what can be bought
    listing = [p for page in (1, 2) for p in browse_products(demo_db, SearchFilters(), page, 24).items]
    problems = [sale_problem(product) is not None for product in listing]
    assert any(problems) and problems == sorted(problems)  # the demo has unbuyable products, all last
    assert problems.count(False) >= 24  # a full first page of products that can be bought


def test_buyers_asked_in_every_county_most_are_answered_and_one_waits_on_the_workbench(
    demo_db: Session, app: Flask
) -> None:
    asked = list(demo_db.scalars(select(Question).order_by(Question.id)))
    assert len(asked) == len(DEMO_QUESTIONS)
    assert {question.county.code for question in asked} == {"653122", "653131", "500229"}
    waiting = [question for question in asked if not question.is_answered]
    assert len(waiting) == 1 and len(asked) - len(waiting) >= 5
    for question in asked:
        assert not question.is_hidden and question.asker is not None
        if question.is_answered:
            members = {member.user_id for member in question.producer.members}
            assert question.answer_author_id in members and question.answered_at > question.created_at
            shown = answered_questions(demo_db, question.product_id, 1, 10)
            assert question.id in {item["id"] for item in shown}
    demo_producer = demo_db.scalars(select(User).where(User.email == "producer@demo.bangfu.cn")).one()
    ids = [member.producer_id for member in demo_producer.producer_memberships]
    with app.test_request_context():
        (card,) = [task for task in producer_day(demo_db, ids) if task["kind"] == "new_questions"]
    assert card["count"] == 1 and waiting[0].producer_id in ids
    seed_demo(demo_db)
    assert demo_db.scalar(select(func.count(Question.id))) == len(asked)
