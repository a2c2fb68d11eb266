"""The catalog counters say exactly what counting the catalog says, after any history of changes.

Pages read how many products buyers see, how many certificates and certified products are valid on a day, and
how many producers are approved (with their households) from ``catalog_count``, kept in the flush that changes
the catalog. Here random histories of products, certificates and producers are played through the ORM, and
after each step every counter read (per county, per category, on days before, during and after the
certificates) must equal the count the pages made before over the whole catalog. Other tests may have left
rows behind in the shared database, so both sides are compared as changes since the test began.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import public, search_filters
from catalog.counts import services as counts
from catalog.eligibility import valid_certificate_clause
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
from core.clock import shanghai_date
from core.models import Region
from tests.conftest import make_certificate
from tests.support import examples

COUNTIES = ("653122", "500229")
CATEGORIES = (Category.MEAT, Category.TEA)
STATUSES = (ProducerStatus.APPROVED, ProducerStatus.SUSPENDED, ProducerStatus.PENDING)


def raw_figures(db: Session, counties: list[Region], days: list[date]) -> dict[Any, int]:
    """What the pages counted over the catalog before there were counters."""
    found: dict[Any, int] = {}
    for county in [None, *counties]:
        code = county.code if county else None
        ids = (county.id,) if county else None
        for category in (None, *CATEGORIES):
            query = search_filters.filtered_products(
                search_filters.SearchFilters(county=code, category=category)
            )
            found[("visible", code, category)] = db.scalar(
                select(func.count()).select_from(query.order_by(None).subquery())
            )
        scope = [Producer.status == ProducerStatus.APPROVED] + ([Producer.county_id.in_(ids)] if ids else [])
        count, lifted, monitored = db.execute(
            select(
                func.count(Producer.id),
                func.coalesce(func.sum(Producer.lifted_households), 0),
                func.coalesce(func.sum(Producer.monitored_households), 0),
            ).where(*scope)
        ).one()
        found[("producers", code)] = (count, lifted, monitored)
        for day in days:
            found[("certificates", code, day)] = public.count_certified(db, code, today=day)
            certified = (
                select(func.count(func.distinct(Product.id)))
                .join(Certification, Certification.product_id == Product.id)
                .join(Producer, Producer.id == Product.producer_id)
                .where(*scope, Product.is_active.is_(True), valid_certificate_clause(day))
            )
            found[("certified", code, day)] = db.scalar(certified)
    return found


def counter_figures(db: Session, counties: list[Region], days: list[date]) -> dict[Any, int]:
    """The same figures read from the counters."""
    found: dict[Any, Any] = {}
    for county in [None, *counties]:
        code = county.code if county else None
        ids = [county.id] if county else None
        for category in (None, *CATEGORIES):
            found[("visible", code, category)] = counts.visible_products(
                db, county.id if county else None, category.value if category else None
            )
        producers = counts.producer_counts(db, ids)
        found[("producers", code)] = (producers.producers, producers.lifted, producers.monitored)
        for day in days:
            found[("certificates", code, day)] = counts.certificates_valid(db, day, ids)
            found[("certified", code, day)] = counts.certified_products(db, day, ids)
    return found


def changes(now: dict[Any, Any], start: dict[Any, Any]) -> dict[Any, Any]:
    """Each figure's change since the start (tuples element-wise)."""
    return {
        key: tuple(a - b for a, b in zip(value, start[key], strict=True))
        if isinstance(value, tuple)
        else value - start[key]
        for key, value in now.items()
    }


step = st.one_of(
    st.tuples(st.just("product"), st.integers(0, 3), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("toggle"), st.integers(0, 20)),
    st.tuples(st.just("category"), st.integers(0, 20), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 3)),
    st.tuples(st.just("certify"), st.integers(0, 20), st.integers(-40, 10), st.integers(0, 60)),
    st.tuples(st.just("revoke"), st.integers(0, 20)),
    st.tuples(st.just("redate"), st.integers(0, 20), st.integers(-40, 10), st.integers(0, 60)),
    st.tuples(st.just("status"), st.integers(0, 3), st.sampled_from(STATUSES)),
    st.tuples(st.just("households"), st.integers(0, 3), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("relocate"), st.integers(0, 3), st.integers(0, 1)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
)


def change_product(
    db: Session, product: Product, action: str, args: list[Any], producers: list[Producer], today: date
) -> None:
    """One step of a history that changes ``product`` (or its certificates)."""
    if action == "toggle":
        product.is_active = not product.is_active
    elif action == "category":
        product.category = args[0]
    elif action == "move":
        product.producer = producers[args[0]]
    elif action in ("certify", "redate"):
        start, end = today + timedelta(days=args[0]), today + timedelta(days=args[0] + args[1])
        if action == "certify" or not product.certifications:
            db.flush()
            make_certificate(db, product, valid_from=start, valid_to=end)
        else:
            product.certifications[-1].valid_from, product.certifications[-1].valid_to = start, end
    elif action == "revoke" and product.certifications:
        product.certifications[0].status = CertificationStatus.REVOKED
    elif action == "delete":
        db.delete(product)


@settings(
    max_examples=examples(8),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_counters_equal_the_counted_catalog_after_any_history(
    db: Session,
    region: Callable[[str], Region],
    make_producer: Callable[..., Producer],
    steps: list[tuple[Any, ...]],
) -> None:
    counties = [region(code) for code in COUNTIES]
    today = shanghai_date()
    days = [today + timedelta(days=offset) for offset in (-1, 0, 30)]
    savepoint = db.begin_nested()
    try:
        start_raw, start_counted = raw_figures(db, counties, days), counter_figures(db, counties, days)
        producers = [make_producer(county_code=COUNTIES[i % 2], status=STATUSES[i % 3]) for i in range(4)]
        products: list[Product] = []
        for action, *args in steps:
            live = [p for p in products if p in db]
            if action == "product":
                product = Product(
                    producer=producers[args[0]],
                    name="计数产品",
                    category=args[1],
                    unit=Unit.KG,
                    price_fen=100,
                )
                db.add(product)
                products.append(product)
            elif action == "status":
                producers[args[0]].status = args[1]
            elif action == "households":
                producers[args[0]].lifted_households, producers[args[0]].monitored_households = args[1:]
            elif action == "relocate":
                producers[args[0]].county = counties[args[1]]
            elif live:
                change_product(db, live[args[0] % len(live)], action, args[1:], producers, today)
            db.flush()
            db.expire_all()
            assert changes(counter_figures(db, counties, days), start_counted) == changes(
                raw_figures(db, counties, days), start_raw
            ), (action, args)
    finally:
        savepoint.rollback()


def test_rebuilding_the_counters_gives_what_the_flushes_kept(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    producer = make_producer(county_code="500229")
    producer.lifted_households = 7
    for index in range(3):
        make_product(producer, category=Category.HONEY, certified=index > 0)
    kept = counts.stored_counts(db)

    counts.rebuild_counts(db)

    assert counts.stored_counts(db) == kept == counts.contributions(db, None, None)
    assert counts.check_counts(db) == {}


def test_a_certificate_counts_from_its_first_to_its_last_day_only(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    county = make_producer(county_code="653131")
    product = make_product(county)
    today = shanghai_date()
    ids = [county.county_id]
    before = {day: counts.certified_products(db, today + timedelta(days=day), ids) for day in (-1, 0, 9, 10)}

    make_certificate(db, product, valid_from=today, valid_to=today + timedelta(days=9))

    after = {day: counts.certified_products(db, today + timedelta(days=day), ids) for day in (-1, 0, 9, 10)}
    assert {day: after[day] - before[day] for day in after} == {-1: 0, 0: 1, 9: 1, 10: 0}
    product.is_active = False  # a product buyers no longer see is no certified product of the county
    db.flush()
    assert counts.certified_products(db, today, ids) == before[0]


def test_the_command_checks_and_rewrites_the_counters(
    app: Any, db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    make_product(make_producer(county_code="653131"), category=Category.TEA)
    db.commit()
    runner = app.test_cli_runner()

    counts.add(db, {(counts.VISIBLE, 0, "", counts.UNDATED): 5})  # a counter gone wrong
    db.commit()
    wrong = runner.invoke(args=["catalog", "counts", "--check"])
    rewritten = runner.invoke(args=["catalog", "counts"])
    right = runner.invoke(args=["catalog", "counts", "--check"])

    assert wrong.exit_code == 1 and "visible county=0 category=* day=1970-01-01" in wrong.output
    assert rewritten.exit_code == 0 and "counters rewritten" in rewritten.output
    assert right.exit_code == 0 and "0 differences" in right.output
