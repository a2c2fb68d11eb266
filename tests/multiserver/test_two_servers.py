"""The production shape, on one machine: two app servers, one PostgreSQL, one Redis, nothing else shared.

Two gunicorn servers of ``shop:create_app()`` (one worker each, production settings: no TESTING, CSRF on,
limits in Redis, one trusted reverse proxy), each with an environment and a
temporary directory of its own, as two machines behind a reverse proxy would be. Requests are real HTTP;
each simulated person has a client address of their own (the proxy's ``X-Forwarded-For``), and any server
may answer any of their requests. They show:

- a recall made through A (the producer, through the real form) is on B's trace page and JSON within 1 s;
- a session made on A works on B, and signing out through B ends it on A;
- log-in throttling counts across both: wrong passwords alternately to A and B, the 6th gets a 429;
- 20 buyers racing for the last 5 units, half through each server at once: 5 sold, 15 told "not enough
  stock" (409), no 5xx, stock never negative. (The issue names a flash sale; flash sales do not exist yet.
  A flash sale is this checkout race: the same conditional stock draw guarantees it.)

PostgreSQL only: several machines never share a SQLite file.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from core.db import utcnow
from core.models import User
from orders.models import Checkout, Order
from tests.faults.committed import ADDRESS, Committed, assert_consistent, seed
from tests.multiserver.servers import AppServer, Browser, app_servers, redis_server
from traceability.models import Batch

pytestmark = pytest.mark.skipif(
    make_url(os.environ.get("SHOP_TEST_DATABASE_URL") or "sqlite://").get_backend_name() != "postgresql",
    reason="several app servers share PostgreSQL (the PostgreSQL run of `make test` runs this)",
)

PASSWORD = "two-servers-pass-2026"
LOGIN_LIMIT = 5
BUYERS = 20
UNITS = 5
#: A hash that is quick to check (the app verifies any method a hash names): 22 log-ins stay cheap.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
#: How soon a write through one server must show through the other.
VISIBLE_WITHIN = 1.0


@dataclass
class Setting:
    """What the module's tests run against: the two servers and the committed shop."""

    a: AppServer
    b: AppServer
    engine: Engine
    sale: Committed  # a product with UNITS units left and BUYERS buyers
    recall: Committed  # a producer (its owner signs in) with one batch to recall

    def email(self, user_id: int) -> str:
        """The e-mail address of user ``user_id``."""
        with Session(self.engine) as session:
            return session.get_one(User, user_id).email


_addresses = iter(range(1, 250))


def new_browser() -> Browser:
    """A browser with a client address nobody else in this module uses."""
    return Browser(f"198.51.100.{next(_addresses)}")


def with_passwords(engine: Engine, data: Committed) -> None:
    """Give the owner and buyers of ``data`` the password ``PASSWORD`` and a confirmed address."""
    with Session(engine) as session:
        session.execute(
            update(User)
            .where(User.id.in_(data.user_ids))
            .values(password_hash=CHEAP_HASH, email_verified_at=utcnow())
        )
        session.commit()


@pytest.fixture(scope="module")
def setting(
    committed_url: str, committed_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setting]:
    """Redis and two app servers on the module's database, with a small shop committed in it."""
    sale = seed(committed_engine, quantities=(UNITS,), buyers=BUYERS)
    recall = seed(committed_engine, quantities=(10,), buyers=1)
    for data in (sale, recall):
        with_passwords(committed_engine, data)
    root = tmp_path_factory.mktemp("servers")
    with redis_server(root) as redis_url:
        env = {
            "SHOP_SECRET_KEY": secrets.token_urlsafe(48),  # one for all servers, as a deployment has
            "SHOP_DATABASE_URL": committed_url,
            "SHOP_UPLOAD_DIR": str(root / "uploads"),  # shared storage, as production needs
            "SHOP_RATELIMIT_STORAGE_URL": redis_url,
            "SHOP_RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
            "SHOP_PROXY_FIX_X_FOR": "1",  # behind one reverse proxy: the client address is X-Forwarded-For
            "SHOP_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "SHOP_REMEMBER_COOKIE_SECURE": "false",
            "SHOP_PUBLIC_BASE_URL": "http://shop.test",
            "SHOP_LOG_LEVEL": "WARNING",
        }
        with app_servers(["a", "b"], env, root) as (a, b):
            yield Setting(a, b, committed_engine, sale, recall)


@pytest.fixture()
def servers(setting: Setting, request: pytest.FixtureRequest) -> Setting:
    """The setting; a failing test's report then carries both servers' logs."""
    request.node.app_servers = [setting.a, setting.b]
    return setting


def test_a_recall_through_one_server_shows_on_the_other_within_a_second(servers: Setting) -> None:
    a, b = servers.a.url, servers.b.url
    lot, batch_id = servers.recall.lots[0], servers.recall.batch_ids[0]
    producer = new_browser()
    assert producer.log_in(a, servers.email(servers.recall.owner_id), PASSWORD).status == 302
    reason = f"两台服务器召回测试 {secrets.token_hex(3)}"
    token = producer.csrf_token(f"{a}/producer/batches/{batch_id}")
    visitor = new_browser()  # a phone scanning the label: no cookie
    # B has just rendered both (and may hold them in a cache) when the recall is made through A.
    assert "recall-heading" not in visitor.request(f"{b}/t/{lot}").text
    assert json.loads(visitor.request(f"{b}/t/{lot}", accept="application/json").text)["recalled"] is False

    answer = producer.request(
        f"{a}/producer/batches/{batch_id}/recall", {"csrf_token": token, "reason": reason}
    )
    recalled_at = time.monotonic()

    assert answer.status == 302, answer.text[:2000]
    # When each request was sent, after the recall's answer: the first that shows the recall counts.
    page_seen = json_seen = None
    while page_seen is None or json_seen is None:
        sent = time.monotonic() - recalled_at
        assert sent <= VISIBLE_WITHIN, f"B still showed the batch unrecalled {sent:.2f} s after the recall"
        if page_seen is None and reason in visitor.request(f"{b}/t/{lot}").text:
            page_seen = sent
        sent = time.monotonic() - recalled_at
        if json_seen is None:
            data = json.loads(visitor.request(f"{b}/t/{lot}", accept="application/json").text)
            if data["recalled"] and data["recall"]["reason"] == reason:
                json_seen = sent
        time.sleep(0.02)
    assert max(page_seen, json_seen) <= VISIBLE_WITHIN, (page_seen, json_seen)


def test_a_session_made_on_one_server_works_on_the_other_and_ends_on_both(servers: Setting) -> None:
    a, b = servers.a.url, servers.b.url
    buyer_id = servers.recall.buyer_ids[0]
    assert new_browser().request(f"{b}/orders").status == 302  # B asks strangers to sign in
    buyer = new_browser()

    assert buyer.log_in(a, servers.email(buyer_id), PASSWORD).status == 302

    mine = buyer.request(f"{b}/orders")
    assert mine.status == 200, mine.text[:2000]
    assert "买家" in mine.text  # the buyer's name in B's header
    token = buyer.csrf_token(f"{b}/orders")  # B's form, with the session A started
    assert buyer.request(f"{b}/account/logout", {"csrf_token": token}).status == 302
    assert buyer.request(f"{a}/orders").status == 302  # signed out everywhere


def test_log_in_throttling_counts_across_both_servers(servers: Setting) -> None:
    a, b = servers.a.url, servers.b.url
    attacker = new_browser()
    token = attacker.csrf_token(f"{a}/account/login")
    wrong = {
        "csrf_token": token,
        "email": servers.email(servers.sale.owner_id),
        "password": "not-the-password",
    }

    statuses = [attacker.request(f"{server}/account/login", wrong).status for server in (a, b) * 4]

    assert statuses == [400] * LOGIN_LIMIT + [429] * (8 - LOGIN_LIMIT)
    someone_else = new_browser()  # the limit is per client address: others still sign in
    assert someone_else.log_in(b, servers.email(servers.sale.owner_id), PASSWORD).status == 302


def test_buyers_racing_for_the_last_units_through_both_servers_oversell_nothing(servers: Setting) -> None:
    sale = servers.sale
    urls = [servers.a.url, servers.b.url]

    def ready(index: int) -> tuple[Browser, str, dict[str, str]]:
        """Buyer ``index`` signs in, puts one unit in the cart and opens the checkout (servers alternate)."""
        server = urls[index % 2]
        browser = new_browser()
        assert browser.log_in(server, servers.email(sale.buyer_ids[index]), PASSWORD).status == 302
        token = browser.csrf_token(f"{server}/cart")
        added = browser.request(
            f"{server}/cart/add", {"csrf_token": token, "product_id": str(sale.product_id), "quantity": "1"}
        )
        assert added.status == 302, added.text[:2000]
        page = browser.request(f"{server}/checkout")
        assert page.status == 200, page.text[:2000]
        form = {
            "csrf_token": browser.csrf_token(f"{server}/checkout"),
            "idempotency_key": secrets.token_urlsafe(16),
            "recipient": ADDRESS.recipient,
            "mobile": ADDRESS.mobile,
            "province": ADDRESS.province_code,
            "city": ADDRESS.city,
            "district": ADDRESS.district,
            "detail": ADDRESS.detail,
            "method": "bank_transfer",
        }
        return browser, server, form

    with ThreadPoolExecutor(max_workers=4) as pool:
        buyers = list(pool.map(ready, range(BUYERS)))
    start = threading.Barrier(BUYERS)

    def place(buyer: tuple[Browser, str, dict[str, str]]) -> tuple[int, str]:
        browser, server, form = buyer
        start.wait()
        answer = browser.request(f"{server}/checkout", form)
        return answer.status, answer.text

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        answers = list(pool.map(place, buyers))

    statuses = sorted(status for status, _text in answers)
    assert statuses == [302] * UNITS + [409] * (BUYERS - UNITS), statuses
    refused = [text for status, text in answers if status == 409]
    assert all("疏勒县灰枣 已售罄" in text for text in refused), refused[0]  # "疏勒县灰枣 is sold out."
    assert assert_consistent(servers.engine, sale) == UNITS  # every checkout whole, stock reconciled
    with Session(servers.engine) as session:
        batch = session.get_one(Batch, sale.batch_ids[0])
        assert batch.quantity_available == 0
        sold = session.scalar(
            select(func.count(Order.id)).join(Checkout).where(Checkout.buyer_id.in_(sale.buyer_ids))
        )
        assert sold == UNITS
