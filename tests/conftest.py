"""Test harness: app and schema built once per run; every test runs inside a rolled-back transaction.

The database is SQLite in a temporary directory, or PostgreSQL when ``SHOP_TEST_DATABASE_URL`` is set
(``make test`` runs the whole suite both ways). The schema is built by the real Alembic migrations.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import FlaskLoginClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from catalog.products.models import (
    Category,
    Certification,
    CertificationStatus,
    Product,
    Unit,
)
from core.clock import shanghai_date
from core.db import DatabaseState, utcnow
from core.migrate import upgrade
from core.models import Region, User
from core.regions import get_region, seed_regions
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from shop import create_app
from tests.access_rows import World
from tests.support import database_url, reset_database
from traceability.models import Batch

PASSWORD = "correct-horse-battery"

#: The commerce fixtures (Stripe through localstripe, a small shop, checkouts) are shared by several packages.
pytest_plugins = ["tests.commerce"]

# Hypothesis measures wall-clock time: its ``too_slow`` health check and its 200 ms deadline fail tests on a
# loaded machine (CI: two shared cores, ``-n 2``) although nothing is wrong, and no test here is about speed.
# The "suite" profile drops both for every test. It builds on the profile active at import (hypothesis's own
# "ci" profile when it detects CI), so it is not called "ci" itself. Loaded before any test module is
# imported, it is the parent of every explicit ``@settings(...)``; one that sets ``suppress_health_check=``
# replaces the list and must name ``too_slow`` again. ``HYPOTHESIS_PROFILE=default`` restores the defaults.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def base_config(url: str, tmp_dir: str) -> dict[str, Any]:
    """Configuration shared by the in-process app and the live server of the browser tests."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": url,
        "UPLOAD_DIR": f"{tmp_dir}/uploads",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_SIGNUP": "1000 per minute",
        "RATELIMIT_COMPLAINT": "1000 per minute",
        "RATELIMIT_QUESTION": "1000 per minute",
        "PUBLIC_BASE_URL": "http://trace.test",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app under test, its database migrated to head and the region tree loaded."""
    tmp_dir = tmp_path_factory.mktemp("app")
    url = database_url(tmp_dir / "test.sqlite3")
    reset_database(url)
    config = base_config(url, str(tmp_dir))
    config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; elsewhere it would only add noise
    app = create_app(config)
    app.test_client_class = FlaskLoginClient
    engine = app.extensions["db"].engine
    upgrade(engine)
    with Session(engine) as session:
        seed_regions(session)
        session.commit()
    yield app
    engine.dispose()


@pytest.fixture()
def connection(app: Flask) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test.

    The app's sessions join it with SAVEPOINTs, so ``commit()`` in views and services works as usual
    and nothing a test writes survives it.
    """
    state: DatabaseState = app.extensions["db"]
    original = state.sessionmaker
    with state.engine.connect() as conn:
        outer = conn.begin()
        state.sessionmaker = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield conn
        finally:
            state.sessionmaker = original
            if outer.is_active:
                outer.rollback()


@pytest.fixture()
def db(app: Flask, connection: Connection) -> Iterator[Session]:
    """A session on the test's connection for arranging and checking data.

    Requests get sessions of their own on the same connection, so they see what the test wrote; after a
    request changed something, ``db.expire_all()`` before reading it back. No app context stays pushed, so
    each request has its own ``g`` (and its own signed-in user) as in production.
    """
    state: DatabaseState = app.extensions["db"]
    session = state.sessionmaker()
    yield session
    session.close()


@pytest.fixture()
def client(app: Flask, db: Session) -> FlaskClient:
    """An anonymous browser."""
    return app.test_client()


_counter = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """The hash of ``PASSWORD``, computed once: hashing is deliberately slow."""
    return generate_password_hash(PASSWORD)


@pytest.fixture()
def english(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages in English, for tests that read English messages (visitors without a choice get zh_CN)."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


@pytest.fixture()
def make_user(db: Session) -> Callable[..., User]:
    """Factory: ``make_user(email=..., is_admin=..., counties=[region], verified=True)`` → a saved user with
    ``PASSWORD`` (``verified``: the e-mail address is confirmed, as roles need)."""

    def make(
        email: str | None = None,
        *,
        is_admin: bool = False,
        counties: list[Region] | None = None,
        name: str = "测试用户",
        verified: bool = True,
    ) -> User:
        user = User(email=email or f"user{next(_counter)}@example.test", display_name=name, is_admin=is_admin)
        user.email_verified_at = utcnow() if verified else None
        user.password_hash = password_hash()
        user.reviewer_counties = counties or []
        db.add(user)
        db.flush()
        return user

    return make


@pytest.fixture()
def region(db: Session) -> Callable[[str], Region]:
    """Look a seeded region up by division code."""

    def get(code: str) -> Region:
        found = get_region(db, code)
        assert found is not None, code
        return found

    return get


@pytest.fixture()
def make_producer(db: Session, region: Callable[[str], Region]) -> Callable[..., Producer]:
    """Factory: ``make_producer(owner=user, county_code="653122", status=...)`` → a saved producer."""

    def make(
        owner: User | None = None,
        *,
        county_code: str = "653122",
        name: str | None = None,
        status: ProducerStatus = ProducerStatus.APPROVED,
        kind: ProducerKind = ProducerKind.COOPERATIVE,
    ) -> Producer:
        producer = Producer(
            name=name or f"测试合作社{next(_counter)}", kind=kind, status=status, county=region(county_code)
        )
        if owner is not None:
            producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        db.add(producer)
        db.flush()
        return producer

    return make


@pytest.fixture()
def make_institution(db: Session) -> Callable[..., Institution]:
    """Factory: ``make_institution(member=user, role=...)`` → a saved, verified institution."""

    def make(
        member: User | None = None,
        *,
        role: InstitutionRole = InstitutionRole.BUYER,
        kind: InstitutionKind = InstitutionKind.BUDGET_UNIT,
        verified: bool = True,
    ) -> Institution:
        institution = Institution(
            name=f"测试单位{next(_counter)}",
            kind=kind,
            status=InstitutionStatus.VERIFIED if verified else InstitutionStatus.PENDING,
        )
        if member is not None:
            institution.members.append(InstitutionMember(user=member, role=role))
        db.add(institution)
        db.flush()
        return institution

    return make


@pytest.fixture()
def make_product(db: Session) -> Callable[..., Product]:
    """Factory: ``make_product(producer, name=..., price_fen=..., category=..., certified=True)``.

    ``certified=True`` adds a certificate valid from 30 days ago to a year ahead (Asia/Shanghai dates).
    """

    def make(
        producer: Producer,
        *,
        name: str | None = None,
        price_fen: int = 2500,
        category: Category = Category.VEGETABLES,
        unit: Unit = Unit.KG,
        certified: bool = False,
        **fields: Any,
    ) -> Product:
        product = Product(
            producer=producer,
            name=name or f"测试产品{next(_counter)}",
            category=category,
            unit=unit,
            price_fen=price_fen,
            **fields,
        )
        db.add(product)
        db.flush()
        if certified:
            make_certificate(db, product)
        return product

    return make


def make_certificate(
    db: Session,
    product: Product,
    *,
    valid_from: date | None = None,
    valid_to: date | None = None,
    status: CertificationStatus = CertificationStatus.CERTIFIED,
) -> Certification:
    """Give ``product`` a certification record (default: certified, valid now)."""
    today = shanghai_date()
    cert = Certification(
        product=product,
        status=status,
        certificate_no=f"XFBF-TEST-{next(_counter):05d}",
        authority="测试县乡村振兴局",
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=365),
        decided_at=utcnow(),
    )
    db.add(cert)
    db.flush()
    if status in (CertificationStatus.CERTIFIED, CertificationStatus.REVOKED):
        cert.record_facts()  # as certifying does: what the certificate vouches for
        db.flush()
    return cert


@pytest.fixture()
def make_batch(db: Session, region: Callable[[str], Region]) -> Callable[..., Batch]:
    """Factory: ``make_batch(product, quantity=100, compliance=True, by=user)`` through the real service.

    The origin is the first township of the producer's county; ``by`` defaults to a member of the producer.
    """

    def make(
        product: Product,
        *,
        quantity: int = 100,
        compliance: bool = True,
        by: User | None = None,
        produced_on: date | None = None,
        best_before: date | None = None,
        **fields: Any,
    ) -> Batch:
        from traceability.batches.services import BatchData, ComplianceData, create_batch
        from traceability.models import ComplianceBasis

        user = by or product.producer.members[0].user
        county = product.producer.county
        origin = fields.pop("origin", None) or sorted(county.children, key=lambda r: r.code or "")[0]
        today = shanghai_date()
        if product.category.is_meat:
            fields.setdefault("slaughterhouse", "塔什库尔干县定点屠宰场")
            fields.setdefault("origin_quarantine_no", "6531310012345")
            fields.setdefault("slaughter_quarantine_no", "6531310067890")
        data = BatchData(
            quantity=quantity,
            produced_on=produced_on or today - timedelta(days=1),
            best_before=best_before or today + timedelta(days=30),
            origin=origin,
            **fields,
        )
        certificate = (
            ComplianceData(
                basis=ComplianceBasis.QUALITY_CONTROL, contact_phone="13912345678", issued_on=today
            )
            if compliance
            else None
        )
        return create_batch(db, user, product, data, certificate)

    return make


PERSONAS = ("anonymous", "consumer", "producer", "institution", "reviewer", "admin")


@pytest.fixture()
def personas(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> dict[str, User | None]:
    """One user per role (reviewer of 疏勒县); ``anonymous`` is ``None``."""
    producer_user = make_user(name="生产者")
    make_producer(owner=producer_user)
    institution_user = make_user(name="采购员")
    make_institution(member=institution_user)
    return {
        "anonymous": None,
        "consumer": make_user(name="消费者"),
        "producer": producer_user,
        "institution": institution_user,
        "reviewer": make_user(name="审核员", counties=[region("653122")]),
        "admin": make_user(name="管理员", is_admin=True),
    }


@pytest.fixture()
def world(
    app: Flask,
    db: Session,
    personas: dict[str, User | None],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> World:
    """Personas plus the objects access checks are tried on (see tests.access_rows.World)."""
    owner = personas["producer"]
    assert owner is not None
    producer = owner.producer_memberships[0].producer
    objects = {
        "producer": producer,
        "other_county_producer": make_producer(county_code="500229", status=ProducerStatus.PENDING),
        "product": make_product(producer, certified=True),
    }
    factories = {
        "make_user": make_user,
        "make_producer": make_producer,
        "make_product": make_product,
        "make_institution": make_institution,
        "region": region,
        "upload_dir": app.config["UPLOAD_DIR"],
    }
    return World(users=personas, db=db, factories=factories, objects=objects)


@pytest.fixture()
def as_user(app: Flask, db: Session) -> Callable[[User | None], FlaskClient]:
    """``as_user(user)`` → a test client signed in as ``user`` (anonymous for ``None``)."""

    def client_for(user: User | None) -> FlaskClient:
        return app.test_client(user=user) if user is not None else app.test_client()

    return client_for


def row_count(db: Session, table: str) -> int:
    """Count rows of ``table`` (for asserting that nothing was half-written)."""
    return int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 (test-only names)
