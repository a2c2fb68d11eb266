"""What a dashboard costs does not grow with the ledger, the catalog or the number of targets.

Every statistics page is opened over a small history, then again after sales of many more products, buyers
and months (and more targets and producers) were added: each page must send the same statements, as many,
never one per product, target or county, and never read the sales ledger itself or the monthly roll-up that
splits every product by every buyer (the narrow county roll-ups answer). The figures are the business of the
property tests (tests/stats/test_counting_property.py); this guards the cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, User
from procurement.institutions.models import Institution, InstitutionKind
from stats.models import Channel, Target, TargetScope
from tests.stats.test_dashboards import add_rollup

#: Statements each page may send, the signed-in user and unread count included.
#: The public page: the data versions its ETag is made of, the counties, two roll-up reads and two catalog
#: counter reads (products and producers on sale), whatever the size of the ledger and catalog.
#: The county page adds its producers' verified household benefit (one indexed read of the county's verified
#: reports of one year) beside this year's counted sales, which it takes from its own totals when the filters
#: show the whole year (the default), else from one more read of the county roll-up.
CEILINGS = {"public": 6, "county": 19, "producer": 7, "institution": 17, "targets": 8}
#: Tables no dashboard reads: the ledger itself, and the roll-ups with every dimension.
NEVER_READ = ("stats_sales_entry", "stats_monthly_rollup")
_unique = itertools.count()


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """Collect the SQL sent on the test's connection (requests share it), savepoints left out."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            sent.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", seen)


def history(
    db: Session,
    products: list[Product],
    institutions: list[Institution],
    months: int,
    region: Callable[[str], Region],
) -> None:
    """Sales of every product to consumers and to every institution, over ``months`` months to this one,
    and a target per county and partner."""
    today = shanghai_date()
    for back in range(months):
        day = (today.replace(day=1) - timedelta(days=31 * back)).replace(day=10)
        for product in products:
            add_rollup(db, product, day, 10_000 + next(_unique))
            for institution in institutions:
                add_rollup(
                    db,
                    product,
                    day,
                    5_000,
                    channel=Channel.PROCUREMENT,
                    buyer_kind=institution.kind.value,
                    institution=institution,
                    paired=True,
                    funding_source="budget",
                )
    for institution in institutions:
        db.add(
            Target(
                scope=TargetScope.PARTNER,
                county_id=region("653122").id,
                institution_id=institution.id,
                start_year=today.year,
                end_year=today.year,
                amount_fen=1_000_000,
            )
        )
    db.add(
        Target(
            scope=TargetScope.COUNTY,
            county_id=region("653122").id,
            start_year=today.year - 1,
            end_year=today.year,
            amount_fen=9_000_000,
        )
    )
    db.flush()


def costs(app: Flask, db: Session, users: dict[str, User]) -> dict[str, int]:
    """The statements each dashboard sends (each answers 200)."""
    pages = {
        "public": (None, "/stats/"),
        "county": (users["admin"], "/stats/county/653122"),
        "producer": (users["member"], "/stats/producer"),
        "institution": (users["buyer"], "/institution/"),
        "targets": (users["admin"], "/admin/targets/"),
    }
    found = {}
    for name, (user, url) in pages.items():
        client = app.test_client(user=user) if user else app.test_client()
        with statements(db) as sent:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        assert not [s for s in sent if any(f"FROM {table}" in s for table in NEVER_READ)], name
        found[name] = len(sent)
    return found


def test_dashboards_cost_the_same_whatever_the_size_of_the_ledger(
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> None:
    member, buyer = make_user(), make_user()
    users = {"admin": make_user(is_admin=True), "member": member, "buyer": buyer}
    shule = make_producer(owner=member)
    products = [make_product(shule, certified=True) for _ in range(2)]
    institutions = [make_institution(member=buyer, kind=InstitutionKind.SCHOOL)]
    history(db, products, institutions, 2, region)

    small = costs(app, db, users)
    for code in ("653122", "500229"):
        producer = make_producer(county_code=code)
        products += [make_product(producer, certified=True) for _ in range(2)]
    institutions += [make_institution(kind=InstitutionKind.HOSPITAL) for _ in range(2)]
    history(db, products, institutions, 5, region)
    large = costs(app, db, users)

    assert large == small
    for name, ceiling in CEILINGS.items():
        assert large[name] <= ceiling, (name, large[name])
