"""A certificate vouches for the product as certified: its facts are frozen while it is valid, every change to
a certified product is audited and its county's reviewers hear of it, and the public list, its CSV, the API
and old lots' trace pages show what was certified — never a later edit."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.certification import services as certs
from catalog.producers.models import Producer
from catalog.products import services as products
from catalog.products.certified import CHANGED_KIND
from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.models import Region, User
from core.notifications.models import Notification
from tests.conftest import make_certificate
from traceability.models import Batch

AsUser = Callable[[User | None], FlaskClient]
NUMBER = "疏勒消帮认〔2026〕第7号"


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    """The owner of the product's producer."""
    return make_user(name="合作社社长")


@pytest.fixture()
def reviewer(make_user: Callable[..., User], region: Callable[[str], Region]) -> User:
    """The reviewer of 疏勒县, the producer's county."""
    return make_user(name="疏勒审核员", counties=[region("653122")])


@pytest.fixture()
def other_reviewer(make_user: Callable[..., User], region: Callable[[str], Region]) -> User:
    """A reviewer of 城口县 only: none of their business."""
    return make_user(name="城口审核员", counties=[region("500229")])


@pytest.fixture()
def tomato(
    db: Session,
    owner: User,
    reviewer: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> Product:
    """疏勒县鲜番茄, 5 kg boxes, certified by the county's reviewer through the service."""
    product = make_product(
        make_producer(owner=owner),
        name="疏勒县鲜番茄",
        category=Category.VEGETABLES,
        unit=Unit.BOX,
        net_weight_g=5000,
        specification="5 kg 一级",
    )
    application = certs.apply_for_certification(db, owner, product)
    today = shanghai_date()
    certs.certify(
        db,
        reviewer,
        application,
        NUMBER,
        "疏勒县乡村振兴局",
        today,
        today + timedelta(days=300),
    )
    return product


def form(product: Product, **changes: Any) -> dict[str, Any]:
    """The edit form as a browser sends it (every field), with ``changes``."""
    data = {
        "name": product.name,
        "name_en": product.name_en or "",
        "category": product.category.value,
        "description": product.description or "",
        "unit": product.unit.value,
        "net_weight_g": str(product.net_weight_g or ""),
        "specification": product.specification or "",
        "price": f"{product.price_fen // 100}.{product.price_fen % 100:02d}",
        "institution_moq": str(product.institution_moq),
        "monthly_capacity": str(product.monthly_capacity or ""),
        "season_start": str(product.season_start),
        "season_end": str(product.season_end),
        "brand": product.brand or "",
        "gtin": product.gtin or "",
    }
    return data | changes


def product_entries(db: Session, product: Product) -> list[AuditEntry]:
    """The audit entries about ``product``, oldest first."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == "product", AuditEntry.subject_id == product.id
    )
    return list(db.scalars(query.order_by(AuditEntry.id)))


def inbox(db: Session, user: User) -> list[Notification]:
    """``user``'s notices of changes to certified products or products under review, oldest first (the
    application itself is announced too, by another kind of notice)."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == CHANGED_KIND)
    return list(db.scalars(query.order_by(Notification.id)))


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "城口老腊肉"},
        {"category": "meat"},
        {"specification": "10 kg 二级"},
        {"net_weight_g": "10000"},
        {"unit": "kg", "net_weight_g": ""},
        {"name_en": "Fresh tomatoes"},
        {"brand": "疏勒蔬菜"},
    ],
)
def test_a_certified_fact_cannot_change_while_the_certificate_is_valid(
    as_user: AsUser, owner: User, tomato: Product, db: Session, english: None, changes: dict[str, str]
) -> None:
    response = as_user(owner).post(f"/producer/products/{tomato.id}", data=form(tomato, **changes))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "cannot change while certificate 疏勒消帮认〔2026〕第7号 is valid" in page
    assert "add it as a new product and apply for its certification" in page
    db.expire_all()
    assert (tomato.name, tomato.category, tomato.specification) == (
        "疏勒县鲜番茄",
        Category.VEGETABLES,
        "5 kg 一级",
    )
    assert product_entries(db, tomato) == []


def test_the_service_refuses_too(owner: User, tomato: Product, db: Session) -> None:
    data = products.ProductData(
        name="改名番茄", category=Category.VEGETABLES, unit=Unit.BOX, net_weight_g=5000, price_fen=2500
    )
    with pytest.raises(products.CertifiedFactsFrozen) as refused:
        products.update_product(db, owner, tomato, data)
    assert refused.value.status == 409 and refused.value.field == "name"


def test_the_edit_form_shows_the_certified_facts_read_only_and_saves_the_rest(
    as_user: AsUser,
    owner: User,
    reviewer: User,
    other_reviewer: User,
    tomato: Product,
    db: Session,
    english: None,
) -> None:
    client = as_user(owner)
    page = client.get(f"/producer/products/{tomato.id}").get_data(as_text=True)
    assert "vouches for this product&#39;s name" in page or "vouches for this product's name" in page
    inputs = re.finditer(r'<(input|select|textarea)[^>]* id="(\w+)"[^>]*>', page)
    tags = {m.group(2): m.group(0) for m in inputs}
    for name in ("name", "name_en", "category", "unit", "net_weight_g", "specification", "brand"):
        assert " disabled" in tags[name], tags[name]
    for name in ("description", "price", "gtin"):
        assert " disabled" not in tags[name], tags[name]

    # a browser sends no disabled inputs: the certified facts are kept, the rest is saved
    data = form(tomato, description="新鲜采摘", price="28.00")
    for name in ("name", "name_en", "category", "unit", "net_weight_g", "specification", "brand"):
        data.pop(name)
    assert client.post(f"/producer/products/{tomato.id}", data=data).status_code == 302
    db.expire_all()
    assert tomato.name == "疏勒县鲜番茄" and tomato.description == "新鲜采摘" and tomato.price_fen == 2800

    [entry] = product_entries(db, tomato)
    assert entry.action == "product.update" and entry.actor_id == owner.id and entry.region_code == "653122"
    assert entry.before == {"description": None, "price_fen": 2500}
    assert entry.after == {"description": "新鲜采摘", "price_fen": 2800}
    [message] = inbox(db, reviewer)
    assert message.kind == "catalog.certified_changed"
    assert "疏勒县鲜番茄" in message.subject and NUMBER in message.body
    assert message.link == f"/review/certifications/{tomato.certifications[-1].id}"
    assert inbox(db, other_reviewer) == []


def test_commercial_terms_of_a_certified_product_are_audited_without_a_notice(
    as_user: AsUser, owner: User, reviewer: User, tomato: Product, db: Session
) -> None:
    quick = {
        "price": "30.00",
        "institution_moq": "5",
        "season_start": "1",
        "season_end": "12",
        "is_active": "y",
    }
    assert as_user(owner).post(f"/producer/products/{tomato.id}/quick", data=quick).status_code == 302
    tiers = {"tier1-min_quantity": "10", "tier1-price": "25.00"}
    assert as_user(owner).post(f"/producer/products/{tomato.id}/tiers", data=tiers).status_code == 302
    marks = {"green_food": "LB-18-2301", "organic": "", "geographical_indication": ""}
    assert as_user(owner).post(f"/producer/products/{tomato.id}/quality-marks", data=marks).status_code == 302
    actions = [(e.action, e.after) for e in product_entries(db, tomato)]
    assert actions == [
        ("product.quick_update", {"price_fen": 3000, "institution_moq": 5}),
        ("product.tiers", {"tiers": "10+: 2500"}),
        ("product.quality_marks", {"quality_marks": "green_food: LB-18-2301"}),
    ]
    assert [m.kind for m in inbox(db, reviewer)] == ["catalog.certified_changed"]  # the marks only


def test_a_product_under_review_is_watched_too(
    as_user: AsUser,
    owner: User,
    reviewer: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    db: Session,
    english: None,
) -> None:
    product = make_product(make_producer(owner=owner), name="疏勒红枣")
    certs.apply_for_certification(db, owner, product)
    response = as_user(owner).post(f"/producer/products/{product.id}", data=form(product, name="疏勒骏枣"))
    assert response.status_code == 302  # nothing is certified yet: the facts may still change
    db.expire_all()
    [entry] = product_entries(db, product)
    assert entry.before == {"name": "疏勒红枣"} and entry.after == {"name": "疏勒骏枣"}
    [message] = inbox(db, reviewer)
    assert "under review" in message.subject


def test_an_uncertified_product_changes_freely_and_quietly(
    as_user: AsUser,
    owner: User,
    reviewer: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    db: Session,
) -> None:
    product = make_product(make_producer(owner=owner), name="疏勒白菜")
    response = as_user(owner).post(f"/producer/products/{product.id}", data=form(product, name="疏勒大白菜"))
    assert response.status_code == 302
    assert product_entries(db, product) == [] and inbox(db, reviewer) == []


def test_certifying_records_what_the_certificate_vouches_for(tomato: Product, db: Session) -> None:
    [cert] = tomato.certifications
    assert (cert.certified_name, cert.certified_category, cert.certified_unit) == (
        "疏勒县鲜番茄",
        Category.VEGETABLES,
        Unit.BOX,
    )
    assert (cert.certified_net_weight_g, cert.certified_specification) == (5000, "5 kg 一级")
    assert cert.certified_producer == tomato.producer.name
    assert cert.certified_origin is not None and cert.certified_origin.startswith("新疆维吾尔自治区")
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "certification.certify", AuditEntry.subject_id == cert.id
        )
    ).one()
    assert entry.after is not None and entry.after["certified_name"] == "疏勒县鲜番茄"


def expire(cert: Certification) -> None:
    """Let ``cert`` have ended yesterday (it was valid for 30 days before)."""
    today = shanghai_date()
    cert.valid_from, cert.valid_to = today - timedelta(days=30), today - timedelta(days=1)


def test_after_expiry_the_facts_change_and_old_pages_still_show_what_was_certified(
    as_user: AsUser,
    client: FlaskClient,
    owner: User,
    tomato: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(tomato)  # an old lot, sold as 疏勒县鲜番茄
    [cert] = tomato.certifications
    expire(cert)
    db.flush()
    renamed = form(tomato, name="喀什番茄礼盒", specification="3 kg 礼盒", net_weight_g="3000")
    assert as_user(owner).post(f"/producer/products/{tomato.id}", data=renamed).status_code == 302
    db.expire_all()
    assert tomato.name == "喀什番茄礼盒"

    trace = client.get(f"/t/{batch.lot_code}").get_data(as_text=True)
    assert cert.certificate_no in trace and "疏勒县鲜番茄 · 5 kg 一级" in trace
    data = client.get(f"/t/{batch.lot_code}", headers={"Accept": "application/json"}).get_json()
    assert data["certificate"]["product"]["name"] == "疏勒县鲜番茄"
    assert data["certificate"]["product"]["specification"] == "5 kg 一级"
    api = client.get(f"/api/v1/products/{tomato.id}").get_json()
    assert api["name"] == "喀什番茄礼盒" and api["certificate"] is None  # expired: not shown as valid
    page = client.get(f"/products/{tomato.id}").get_data(as_text=True)
    assert "疏勒县鲜番茄 · 5 kg 一级" in page  # the expired certificate names what it certified


def test_the_public_list_csv_and_api_show_the_certified_facts(
    client: FlaskClient, tomato: Product, db: Session
) -> None:
    # a product changed behind the application's back (or before this rule existed) keeps its certificate's
    # facts on every public surface
    tomato.name, tomato.specification = "别的产品", "别的规格"
    db.flush()
    listing = client.get("/certified?county=653122").get_data(as_text=True)
    assert "疏勒县鲜番茄" in listing and "5 kg 一级" in listing and "别的产品" not in listing
    rows = list(csv.reader(io.StringIO(client.get("/certified.csv?county=653122").data.decode("utf-8-sig"))))
    [row] = [r for r in rows if r[3] == NUMBER]
    assert row[2] == "疏勒县鲜番茄" and row[8] == "5 kg 一级"
    api = client.get("/api/v1/certified?county=653122").get_json()
    [item] = [i for i in api["items"] if i["certificate"]["number"] == NUMBER]
    assert item["product"]["name"] == "疏勒县鲜番茄"
    assert item["certificate"]["product"]["specification"] == "5 kg 一级"
    detail = client.get(f"/api/v1/products/{tomato.id}").get_json()
    assert detail["certificate"]["product"]["name"] == "疏勒县鲜番茄"


def test_a_certificate_issued_before_the_rule_falls_back_to_the_product(
    make_producer: Callable[..., Producer], make_product: Callable[..., Product], db: Session
) -> None:
    product = make_product(make_producer(), name="老证书产品")
    cert = make_certificate(db, product, status=CertificationStatus.APPLIED)
    assert cert.certified_name is None and cert.facts.name == "老证书产品"


def test_a_change_made_while_the_reviewer_looks_is_noticed_before_certifying(
    as_user: AsUser,
    owner: User,
    reviewer: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    db: Session,
    english: None,
) -> None:
    product = make_product(make_producer(owner=owner), name="疏勒白杏")
    application = certs.apply_for_certification(db, owner, product)
    desk = as_user(reviewer)
    seen = re.search(
        r'name="facts_seen"[^>]* value="(\w+)"', desk.get(f"/review/certifications/{application.id}").text
    )
    assert seen is not None
    assert (
        as_user(owner)
        .post(f"/producer/products/{product.id}", data=form(product, name="疏勒杏干"))
        .status_code
        == 302
    )
    today = shanghai_date()
    decision = {
        "certificate_no": "疏勒消帮认〔2026〕第8号",
        "authority": "疏勒县乡村振兴局",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=30)).isoformat(),
        "facts_seen": seen.group(1),
    }
    response = desk.post(f"/review/certifications/{application.id}/certify", data=decision)
    assert response.status_code == 409 and "changed the product after you opened" in response.text
    db.expire_all()
    assert application.status == CertificationStatus.APPLIED
    fresh = re.search(r'name="facts_seen"[^>]* value="(\w+)"', response.text)
    assert fresh is not None and fresh.group(1) != seen.group(1)
    decision["facts_seen"] = fresh.group(1)
    assert desk.post(f"/review/certifications/{application.id}/certify", data=decision).status_code == 302
    db.expire_all()
    assert application.status == CertificationStatus.CERTIFIED and application.certified_name == "疏勒杏干"
