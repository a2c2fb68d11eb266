"""GET requests write nothing but what is documented.

Every GET row of the access matrix (``tests/access_rows``) is opened as every persona, as
``tests/test_access_matrix.py`` does, while SQLAlchemy's ``before_cursor_execute`` records what reaches the
database. An INSERT, UPDATE or DELETE fails the test unless :data:`ALLOWLIST` names the endpoint and table
with the reason. Each allowance names the test below that makes its write happen and checks that the page
writes exactly those tables: an allowance nothing proves is not kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, event
from sqlalchemy.orm import Session

from core.models import User
from core.tokens.services import issue_token
from orders.models import CartItem, PaymentMethod
from payments.gateway import StripeGateway
from tests.access_rows import PERSONAS, R, World
from tests.commerce import Shop
from tests.payments import localstripe as ls
from tests.support import append_only_lifted
from tests.test_access_matrix import MATRIX
from traceability.models import Batch, DailyDigest, TraceEvent


@dataclass(frozen=True)
class Allowed:
    """GETs of ``endpoints`` may write ``tables`` (``"*"``: whatever the endpoint writes), because ``why``."""

    endpoints: tuple[str, ...]
    tables: tuple[str, ...]
    why: str
    proof: str  # the test of this module that makes the write happen and checks its tables


TRACE_PAGES = ("trace.short", "trace.digital_link", "trace.short_serial", "trace.digital_link_serial")
SERIAL_PAGES = ("trace.short_serial", "trace.digital_link_serial")

ALLOWLIST = (
    Allowed(
        TRACE_PAGES,
        ("traceability_batch",),
        "visit counter: scans are counted in memory and added to Batch.visit_count in batches "
        "(traceability/trace/visits.py, TRACE_VISIT_FLUSH_SECONDS; 0 in tests, so every visit writes)",
        "test_trace_page_writes_its_visit_count",
    ),
    Allowed(
        SERIAL_PAGES,
        ("traceability_serial_unit", "traceability_serial_scan"),
        "every check of a labelled unit is recorded (count, first check, network hash): the counterfeit "
        "warning is computed from them (SERIAL_MAX_CHECKS, SERIAL_MAX_NETWORKS)",
        "test_serial_page_records_the_check",
    ),
    Allowed(
        ("trace.digest", "trace.digest_json"),
        ("traceability_daily_digest",),
        "the digest pages store the digests of complete days not stored yet (README: the cron command "
        "`publish-digests` does it too; /digest stores missing days when opened); stored days never change",
        "test_digest_page_stores_missing_days",
    ),
    Allowed(
        ("cart.index", "cart.checkout"),
        ("shop_order", "shop_allocation", "traceability_batch", "shop_notification"),
        "expired reservations are released whenever the cart or checkout is opened (README; the cron command "
        "`release-reservations` does it too): unpaid orders cancelled, units back to batches, buyer told",
        "test_cart_releases_expired_reservations",
    ),
    Allowed(
        ("stats_api.summary", "stats_api.county"),
        ("core_api_token",),
        "the API token's time of last use, written at most once a minute (core/tokens/services.authenticate)",
        "test_stats_api_notes_the_tokens_last_use",
    ),
    Allowed(
        ("payments.pay",),
        ("shop_checkout",),
        "with Stripe's Payment Element on, the payment page creates the checkout's PaymentIntent once and "
        "keeps its id, so a reload (or a second tab) reuses it instead of creating another",
        "test_payment_page_keeps_the_payment_intent",
    ),
    Allowed(
        ("payments.stripe_return",),
        ("*",),
        "Stripe sends the buyer back with a GET (its redirect, not ours to change): the return applies the "
        "PaymentIntent's current state read from Stripe, idempotently (payment, orders, ledger, notices)",
        "test_stripe_return_applies_the_payment",
    ),
)

GET_ENDPOINTS = sorted(endpoint for endpoint, row in MATRIX.items() if row[0] == "GET")

# --- recording ------------------------------------------------------------------------------------------

_WRITTEN_TABLE = (
    re.compile(r'\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+"?(\w+)"?', re.IGNORECASE),
    re.compile(r'\bDELETE\s+FROM\s+(?:ONLY\s+)?"?(\w+)"?', re.IGNORECASE),
    re.compile(r'\bUPDATE\s+(?:ONLY\s+)?"?(\w+)"?\s+SET\b', re.IGNORECASE),  # not FOR UPDATE, DO UPDATE
)
_WRITE_VERB = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|MERGE|REPLACE|TRUNCATE)\b", re.IGNORECASE)
#: core.transactions.claim_write_lock on SQLite: an UPDATE that matches no row, only to take the write lock.
_LOCK_ONLY = re.compile(r"^\s*UPDATE core_user SET id=core_user\.id WHERE (?:0 = 1|false)\s*$", re.IGNORECASE)


def written_tables(statement: str) -> set[str]:
    """Tables an INSERT, UPDATE or DELETE statement writes (``{"?"}`` for a write not understood); else none.

    ``SELECT … FOR UPDATE`` and ``ON CONFLICT DO UPDATE SET`` name no table of their own after UPDATE.
    """
    if _LOCK_ONLY.match(statement):
        return set()
    tables = {table.lower() for pattern in _WRITTEN_TABLE for table in pattern.findall(statement)}
    if not tables and _WRITE_VERB.match(statement):
        return {"?"}
    return tables


@contextmanager
def recorded_writes(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """``(table, statement)`` for every write sent on ``engine`` while the block runs."""
    writes: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        writes.extend((table, " ".join(statement.split())) for table in written_tables(statement))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", record)


def allowed_tables(endpoint: str) -> set[str]:
    """The tables a GET of ``endpoint`` may write."""
    return {table for entry in ALLOWLIST if endpoint in entry.endpoints for table in entry.tables}


def engine_of(app: Flask) -> Engine:
    engine: Engine = app.extensions["db"].engine
    return engine


def get_tables(app: Flask, client: FlaskClient, url: str, **options: Any) -> set[str]:
    """Open ``url`` with a GET and return the tables written meanwhile (the response is read and closed)."""
    with recorded_writes(engine_of(app)) as writes:
        response = client.get(url, **options)
        response.close()
    assert response.status_code < 500, f"{url}: {response.status_code}"
    return {table for table, _sql in writes}


# --- the matrix -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_get_writes_only_what_is_allowed(
    endpoint: str, app: Flask, world: World, as_user: Callable[[User | None], FlaskClient]
) -> None:
    _method, path, data, _expected = MATRIX[endpoint]
    allowed = allowed_tables(endpoint)
    unexpected = []
    for persona in PERSONAS:
        url = path(world) if callable(path) else path  # builders arrange data: before recording
        world.db.flush()
        client = as_user(world.users[persona])
        with recorded_writes(engine_of(app)) as writes:
            client.open(url, method="GET", data=data or None).close()
        unexpected += [f"{persona}: {sql}" for table, sql in writes if not {"*", table} & allowed]
    assert unexpected == [], f"GET {endpoint} writes what ALLOWLIST does not allow"


def test_allowlist_names_get_endpoints_and_its_proofs() -> None:
    for entry in ALLOWLIST:
        assert set(entry.endpoints) <= set(GET_ENDPOINTS), entry.endpoints
        assert entry.why and callable(globals().get(entry.proof)), entry.proof


def test_recorder_tells_writes_from_reads() -> None:
    assert written_tables('INSERT INTO "order" (a) VALUES (?)') == {"order"}
    assert written_tables("INSERT OR REPLACE INTO t (a) VALUES (1)") == {"t"}
    assert written_tables("UPDATE shop_order SET status=? WHERE shop_order.id = ?") == {"shop_order"}
    assert written_tables("DELETE FROM shop_cart_item WHERE id = %(id)s") == {"shop_cart_item"}
    assert written_tables("WITH x AS (SELECT 1) UPDATE t SET a = 1") == {"t"}
    assert written_tables("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a") == {
        "t"
    }
    assert written_tables("SELECT shop_order.id FROM shop_order FOR UPDATE") == set()
    assert written_tables("SELECT * FROM t FOR UPDATE OF t SKIP LOCKED") == set()
    assert written_tables("SAVEPOINT sa_savepoint_1") == set()
    assert written_tables("UPDATE core_user SET id=core_user.id WHERE 0 = 1") == set()  # the lock only
    assert written_tables("TRUNCATE shop_order") == {"?"}


# --- each allowed write happens, and writes exactly its tables -------------------------------------------


def assert_writes_exactly(endpoint: str, written: set[str]) -> None:
    """``written`` is every table the allowances of ``endpoint`` name (nothing more, nothing less)."""
    allowed = allowed_tables(endpoint)
    assert written == allowed or ("*" in allowed and written), (endpoint, sorted(written))


def test_trace_page_writes_its_visit_count(app: Flask, world: World, client: FlaskClient) -> None:
    for endpoint in ("trace.short", "trace.digital_link"):
        written = get_tables(app, client, MATRIX[endpoint][1](world))
        assert_writes_exactly(endpoint, written)


def test_serial_page_records_the_check(
    app: Flask, world: World, as_user: Callable[[User | None], FlaskClient]
) -> None:
    for endpoint in SERIAL_PAGES:
        written = get_tables(app, as_user(world.users[R]), MATRIX[endpoint][1](world))
        assert_writes_exactly(endpoint, written)


def test_digest_page_stores_missing_days(
    app: Flask, db: Session, world: World, make_batch: Callable[..., Batch], client: FlaskClient
) -> None:
    batch = make_batch(world.objects["product"])
    for trace_event in db.query(TraceEvent).filter_by(batch_id=batch.id):
        trace_event.recorded_at -= timedelta(days=3)
    with append_only_lifted(db):  # arranging the past: the database refuses to rewrite events otherwise
        db.flush()
    db.execute(delete(DailyDigest))
    db.flush()
    assert_writes_exactly("trace.digest", get_tables(app, client, "/digest"))
    assert get_tables(app, client, "/digest.json") == set()  # stored already: nothing more to write
    db.execute(delete(DailyDigest))
    db.flush()
    assert_writes_exactly("trace.digest_json", get_tables(app, client, "/digest.json"))


def test_cart_releases_expired_reservations(
    app: Flask,
    db: Session,
    shop: Shop,
    make_checkout: Callable[..., Any],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    # the cart's pages release the expired reservations holding the products in the cart
    db.add(CartItem(user_id=shop.buyer.id, product_id=shop.batch_a.product_id, quantity=1))
    db.flush()
    buyer = as_user(shop.buyer)
    for endpoint, url in (("cart.index", "/cart"), ("cart.checkout", "/checkout")):
        make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER, reserve_minutes=-1)
        assert_writes_exactly(endpoint, get_tables(app, buyer, url))
        assert get_tables(app, buyer, url) == set()  # released once


def test_stats_api_notes_the_tokens_last_use(app: Flask, world: World, client: FlaskClient) -> None:
    _token, secret = issue_token(world.db, world.users[R], "get-writes")
    world.db.flush()
    headers = {"Authorization": f"Bearer {secret}"}
    assert_writes_exactly(
        "stats_api.summary", get_tables(app, client, "/api/v1/stats/summary", headers=headers)
    )
    # noted at most once a minute: the next call writes nothing
    assert get_tables(app, client, "/api/v1/stats/counties/653122", headers=headers) == set()


@pytest.fixture()
def elements(app: Flask, stripe_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> StripeGateway:
    """Stripe (localstripe) with a publishable key, so the payment page mounts the Payment Element."""
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_get_writes")
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", f"{stripe_config['STRIPE_API_BASE']}/js.stripe.com/v3/")
    return StripeGateway.from_config(app.config)


def test_payment_page_keeps_the_payment_intent(
    app: Flask,
    shop: Shop,
    make_checkout: Callable[..., Any],
    as_user: Callable[[User | None], FlaskClient],
    elements: StripeGateway,
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    assert_writes_exactly("payments.pay", get_tables(app, buyer, f"/payments/{checkout.number}"))
    assert get_tables(app, buyer, f"/payments/{checkout.number}") == set()  # a reload reuses it


def test_stripe_return_applies_the_payment(
    app: Flask,
    db: Session,
    shop: Shop,
    make_checkout: Callable[..., Any],
    as_user: Callable[[User | None], FlaskClient],
    elements: StripeGateway,
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    buyer.get(f"/payments/{checkout.number}").close()
    db.expire_all()
    ls.pay_at_stripe(elements, checkout.stripe_payment_intent)
    url = f"/payments/{checkout.number}/return?payment_intent={checkout.stripe_payment_intent}"
    written = get_tables(app, buyer, url)
    assert_writes_exactly("payments.stripe_return", written)
    assert {"shop_payment", "shop_order", "shop_checkout"} <= written, sorted(written)
    assert get_tables(app, buyer, url) == set()  # coming back again pays nothing twice
