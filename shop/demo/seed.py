"""Demo data: regions, one account per role, their organisations, and the three counties' demo catalogue.

Idempotent: objects are looked up by natural keys (e-mail, credit code or name, product name per producer) and
only what is missing is created, so running it twice changes nothing the second time. Rows are written through
the models with every field the services would set; the CLI commits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.images import store_upload
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerMember,
    ProducerStatus,
)
from catalog.products.models import (
    Certification,
    CertificationStatus,
    PriceTier,
    Product,
    ProductImage,
    QualityMark,
    products_of,
)
from core import accounts
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.models import Region, User
from core.regions import get_region, seed_regions
from procurement.institutions.models import (
    AnnualPlan,
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from shop.demo.batches import seed_batches, seed_shipping_rules
from shop.demo.benefit import seed_benefit
from shop.demo.catalog import (
    AUTHORITIES,
    DEMO_PRODUCERS,
    CertPlan,
    CertSpec,
    ProducerSpec,
    ProductSpec,
)
from shop.demo.coldchain import seed_cold_chain
from shop.demo.goals import seed_goals
from shop.demo.history import Cast, month_starts, seed_history
from shop.demo.images import logo_image, product_image
from shop.demo.payees import seed_payees
from shop.demo.people import seed_sellers, seed_shoppers
from shop.demo.questions import seed_questions
from shop.demo.sales import seed_sales
from shop.demo.stages import seed_stages
from stats.targets.services import seed_demo_targets

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed on purpose: these accounts exist only in demos)
CERTIFICATE_TERM = timedelta(days=364)  # valid_from and valid_to both count: one year
LOGO_COLOURS = {"653122": (46, 110, 70), "653131": (36, 92, 150), "500229": (140, 62, 40)}


@dataclass(frozen=True)
class DemoAccount:
    """One demo login and the role it shows."""

    role: str
    email: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin@demo.bangfu.cn", "平台管理员"),
    DemoAccount("reviewer", "reviewer.shule@demo.bangfu.cn", "疏勒县乡村振兴局审核员"),
    DemoAccount("reviewer", "reviewer.tashkurgan@demo.bangfu.cn", "塔县乡村振兴局审核员"),
    DemoAccount("reviewer", "reviewer.chengkou@demo.bangfu.cn", "城口县乡村振兴局审核员"),
    DemoAccount("producer", "producer@demo.bangfu.cn", "疏勒蔬菜合作社 负责人"),
    DemoAccount("producer", "producer.chengkou@demo.bangfu.cn", "城口腊肉企业 负责人"),
    DemoAccount("institution", "buyer@demo.bangfu.cn", "临沂市机关食堂 采购员"),
    DemoAccount("institution", "approver@demo.bangfu.cn", "临沂市机关事务中心 审批人"),
    DemoAccount("institution", "finance@demo.bangfu.cn", "临沂市机关事务中心 财务"),
    DemoAccount("consumer", "consumer@demo.bangfu.cn", "张晓梅"),
)

REVIEWER_COUNTIES = {
    "reviewer.shule@demo.bangfu.cn": "653122",
    "reviewer.tashkurgan@demo.bangfu.cn": "653131",
    "reviewer.chengkou@demo.bangfu.cn": "500229",
}


def _account(session: Session, demo: DemoAccount) -> User:
    user = accounts.find_user_by_email(session, demo.email)
    if user is None:
        user = accounts.register_user(
            session, email=demo.email, password=DEMO_PASSWORD, display_name=demo.name, verified=True
        )
    user.email_verified_at = user.email_verified_at or utcnow()  # demo addresses count as confirmed
    return user


def _moment(day: date, hour: int) -> datetime:
    """A UTC timestamp for ``hour`` o'clock on ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _regions(session: Session) -> dict[str, Region]:
    """The regions the demo producers sit in, by division code."""
    codes = {
        code for spec in DEMO_PRODUCERS for code in (spec.county_code, spec.township_code, spec.village_code)
    }
    return {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes))) if r.code}


def _find_producer(session: Session, spec: ProducerSpec) -> Producer | None:
    """The demo producer already stored: by credit code, else by name."""
    if spec.credit_code is not None:
        found = session.scalar(select(Producer).where(Producer.credit_code == spec.credit_code))
        if found is not None:
            return found
    return session.scalar(select(Producer).where(Producer.name == spec.name))


def _ensure_producer(
    session: Session, spec: ProducerSpec, regions: dict[str, Region], users: dict[str, User]
) -> Producer:
    """Find or create the producer of ``spec``; fill in profile fields an older demo left empty."""
    producer = _find_producer(session, spec)
    if producer is None:
        producer = Producer(
            name=spec.name, kind=spec.kind, status=spec.status, county=regions[spec.county_code]
        )
        session.add(producer)
    profile = {
        "credit_code": spec.credit_code,
        "township": regions[spec.township_code],
        "village": regions[spec.village_code] if spec.village_code else None,
        "address": spec.address,
        "contact_name": spec.contact_name,
        "contact_phone": spec.contact_phone,
        "description": spec.description,
    }
    for field, value in profile.items():
        if getattr(producer, field) is None:
            setattr(producer, field, value)
    if not (producer.linkage_modes or producer.lifted_households or producer.monitored_households):
        producer.lifted_households = spec.lifted_households
        producer.monitored_households = spec.monitored_households
        producer.linkage_modes = [mode.value for mode in spec.linkage_modes]
    if producer.status != ProducerStatus.PENDING and producer.decided_at is None:
        producer.decided_at = _moment(shanghai_date() - timedelta(days=400), 11)
    owner = users.get(spec.owner_email or "")
    if owner is not None and not any(m.user is owner for m in producer.members):
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
    return producer


def _certification(
    spec: CertSpec, county_code: str, today: date, reviewer: User | None, applicant: User | None
) -> Certification:
    """A certification record standing as ``spec`` says relative to ``today``."""
    applicant_id = applicant.id if applicant is not None else None
    if spec.plan is CertPlan.APPLIED:
        return Certification(
            status=CertificationStatus.APPLIED,
            applied_at=_moment(today - timedelta(days=spec.days), 10),
            applied_by_id=applicant_id,
        )
    if spec.plan is CertPlan.VALID:
        valid_from = today - timedelta(days=spec.days)
        valid_to = valid_from + CERTIFICATE_TERM
    else:
        valid_to = today + timedelta(days=spec.days if spec.plan is CertPlan.EXPIRING else -spec.days)
        valid_from = valid_to - CERTIFICATE_TERM
    authority = AUTHORITIES[county_code]
    return Certification(
        status=CertificationStatus.CERTIFIED,
        certificate_no=authority.certificate_no(valid_from.year, spec.number),
        authority=authority.authority,
        valid_from=valid_from,
        valid_to=valid_to,
        applied_at=_moment(valid_from - timedelta(days=14), 10),
        applied_by_id=applicant_id,
        decided_at=_moment(valid_from, 9),
        decided_by=reviewer,
    )


def _new_product(producer: Producer, spec: ProducerSpec, item: ProductSpec) -> Product:
    """A product of ``producer`` with its tiers and quality marks, as the product form would save it."""
    return Product(
        producer=producer,
        name=item.name,
        name_en=item.name_en,
        category=item.category,
        description=item.description,
        unit=item.unit,
        net_weight_g=item.net_weight_g,
        specification=item.specification,
        price_fen=item.price_fen,
        institution_moq=item.institution_moq,
        monthly_capacity=item.monthly_capacity,
        season_start=item.season[0],
        season_end=item.season[1],
        is_cold_chain=item.is_cold_chain,
        brand=item.brand,
        gtin=spec.gtin(item),
        is_active=True,
        tiers=[PriceTier(min_quantity=q, unit_price_fen=price) for q, price in item.tiers],
        quality_marks=[QualityMark(kind=kind, certificate_no=number) for kind, number in item.marks],
    )


def _ensure_products(
    session: Session, producer: Producer, spec: ProducerSpec, reviewer: User | None, today: date
) -> None:
    """Create the products of ``spec`` that ``producer`` does not have yet, each with its certification."""
    existing = {product.name for product in products_of(producer)}
    applicant = next((m.user for m in producer.members if m.role == MemberRole.OWNER), None)
    for item in spec.products:
        if item.name in existing:
            continue
        product = _new_product(producer, spec, item)
        session.add(product)
        if item.certificate is not None:
            cert = _certification(item.certificate, spec.county_code, today, reviewer, applicant)
            product.certifications.append(cert)
            if cert.status == CertificationStatus.CERTIFIED:
                cert.record_facts()  # what it vouches for, as certifying records it


def _ensure_images(producers: list[tuple[ProducerSpec, Producer]], upload_dir: Path) -> None:
    """Draw and store a logo for each producer without one and a picture for each product without any."""
    for spec, producer in producers:
        if spec.logo_motif and producer.logo_key is None:
            colour = LOGO_COLOURS.get(spec.county_code, LOGO_COLOURS["653122"])
            png = logo_image(spec.logo_text, spec.logo_motif, colour)
            producer.logo_key = store_upload(io.BytesIO(png), upload_dir).key
        items = {item.name: item for item in spec.products}
        for product in products_of(producer):
            item = items.get(product.name)
            if item is None or product.images:
                continue
            png = product_image(product.name, product.category, item.motif, item.specification or "")
            stored = store_upload(io.BytesIO(png), upload_dir)
            product.images.append(
                ProductImage(key=stored.key, position=0, width=stored.width, height=stored.height)
            )


def seed_catalog(session: Session, users: dict[str, User], upload_dir: Path | None = None) -> list[Producer]:
    """Create the demo producers and products that are missing; return the producers. Does not commit.

    Certificates are dated relative to today (Asia/Shanghai): most valid for a year, a few about to expire,
    expired or applied for, and a few products without any. Pictures are drawn only when ``upload_dir`` is
    given.
    """
    regions = _regions(session)
    reviewers = {code: users[email] for email, code in REVIEWER_COUNTIES.items() if email in users}
    today = shanghai_date()
    pairs = []
    for spec in DEMO_PRODUCERS:
        producer = _ensure_producer(session, spec, regions, users)
        _ensure_products(session, producer, spec, reviewers.get(spec.county_code), today)
        pairs.append((spec, producer))
    session.flush()
    if upload_dir is not None:
        _ensure_images(pairs, upload_dir)
        session.flush()
    return [producer for _spec, producer in pairs]


@dataclass(frozen=True)
class InstitutionSpec:
    """The demo institution: Linyi's municipal canteen office, paired with Chengkou."""

    name: str = "临沂市直机关事务服务中心"
    #: A made-up but valid 统一社会信用代码: 1 (机构编制) 2 (事业单位), 371300 (临沂市), organisation code.
    credit_code: str = "12371300MB2856048T"
    region_code: str = "371300"  # 临沂市, used only if the region tree has it
    paired_county_codes: tuple[str, ...] = ("500229",)
    address: str = "山东省临沂市兰山区北京路 2 号 机关第一食堂"
    contact_name: str = "刘建国"
    contact_phone: str = "13953912345"
    spending_limit_fen: int = 2_000_000  # ¥20,000: a buyer's larger order needs the approver
    plan_budget_fen: int = 120_000_000  # ¥1,200,000 canteen farm-product budget this year
    plan_share_permille: int = 300
    members: tuple[tuple[str, InstitutionRole], ...] = (
        ("buyer@demo.bangfu.cn", InstitutionRole.BUYER),
        ("approver@demo.bangfu.cn", InstitutionRole.APPROVER),
        ("finance@demo.bangfu.cn", InstitutionRole.FINANCE),
    )


DEMO_INSTITUTION = InstitutionSpec()


def seed_institution(
    session: Session, users: dict[str, User], spec: InstitutionSpec = DEMO_INSTITUTION
) -> Institution:
    """Find or create the verified demo institution, fill in facts an older demo left empty, add the missing
    members and this year's plan (Asia/Shanghai). Does not commit."""
    institution = session.scalar(select(Institution).where(Institution.credit_code == spec.credit_code))
    if institution is None:
        institution = session.scalar(select(Institution).where(Institution.name == spec.name))
    if institution is None:
        institution = Institution(
            name=spec.name,
            kind=InstitutionKind.BUDGET_UNIT,
            status=InstitutionStatus.VERIFIED,
            decided_at=_moment(shanghai_date() - timedelta(days=400), 10),
        )
        session.add(institution)
    facts = {
        "credit_code": spec.credit_code,
        "region": get_region(session, spec.region_code),
        "address": spec.address,
        "contact_name": spec.contact_name,
        "contact_phone": spec.contact_phone,
        "spending_limit_fen": spec.spending_limit_fen,
    }
    for field, value in facts.items():
        if getattr(institution, field) is None:
            setattr(institution, field, value)
    if not institution.paired_counties:
        counties = (get_region(session, code) for code in spec.paired_county_codes)
        institution.paired_counties = [county for county in counties if county is not None]
    for email, role in spec.members:
        user = users.get(email)
        if user is not None and role not in institution.roles_of(user):
            institution.members.append(InstitutionMember(user=user, role=role))
    session.flush()
    year = shanghai_date().year
    if not any(plan.year == year for plan in institution.plans):
        institution.plans.append(
            AnnualPlan(
                year=year,
                canteen_budget_fen=spec.plan_budget_fen,
                reserved_share_permille=spec.plan_share_permille,
                featured_county_ids=[county.id for county in institution.paired_counties],
            )
        )
        session.flush()
    return institution


def seed_demo(
    session: Session, *, upload_dir: Path | None = None, history_months: int = 0
) -> list[DemoAccount]:
    """Create the regions, demo accounts, their organisations, the catalogue and batches at every stage,
    the last ``history_months`` calendar months of orders (:mod:`shop.demo.history`; ``flask --app shop
    seed-demo`` writes :data:`~shop.demo.history.HISTORY_MONTHS`) with targets sized to them, and buyers'
    questions, most answered (:mod:`shop.demo.questions`); return the accounts. The history needs the Flask
    app (its services build links): run it in an app context.

    With ``upload_dir``, products and producers without pictures get generated ones. Does not commit.
    """
    seed_regions(session)
    users = {demo.email: _account(session, demo) for demo in DEMO_ACCOUNTS}
    users["admin@demo.bangfu.cn"].is_admin = True
    for email, code in REVIEWER_COUNTIES.items():
        county = get_region(session, code)
        if county is not None and county not in users[email].reviewer_counties:
            users[email].reviewer_counties.append(county)

    institution = seed_institution(session, users)
    session.flush()
    producers = seed_catalog(session, users, upload_dir)
    reviewers = {}
    for email, code in REVIEWER_COUNTIES.items():
        county = get_region(session, code)
        if county is not None:
            reviewers[county.id] = users[email]
    seed_payees(session, producers, reviewers)
    seed_benefit(session, producers, reviewers, upload_dir)
    admin = users["admin@demo.bangfu.cn"]
    seed_batches(session, admin)
    sellers = seed_sellers(session, producers, DEMO_PASSWORD)
    seed_stages(session, sellers, admin, reviewers)
    seed_cold_chain(session)
    seed_shipping_rules(session)
    seed_demo_targets(session)
    # a few paid orders: the running total counted toward assistance (home page, results)
    seed_sales(session, users["consumer@demo.bangfu.cn"], admin)
    if history_months > 0:
        shoppers = seed_shoppers(session, DEMO_PASSWORD, DEMO_INSTITUTION.credit_code)
        cast = Cast(admin, shoppers, sellers, reviewers, institution, users["buyer@demo.bangfu.cn"])
        seed_history(session, cast, history_months)
        today = shanghai_date()
        seed_goals(session, admin, institution, month_starts(today, history_months)[0].year, today.year)
    seed_questions(session, users["consumer@demo.bangfu.cn"], sellers)
    return list(DEMO_ACCOUNTS)
