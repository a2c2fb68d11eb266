"""The producer's workbench is the producer's day: each card counts what waits for the member's own producers
(built through the real services), leads to the page where the work is done, and the page costs the same
few statements however long the producer's history grows."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

import catalog.producers.workbench as workbench_module
import catalog.signals as catalog_signals
from catalog.certification.services import apply_for_certification
from catalog.producers.models import Producer
from catalog.producers.workbench import producer_day
from catalog.products.models import CertificationStatus, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from orders.addresses import Address
from orders.fulfilment.services import rate_order_line, ship_order
from orders.models import OrderStatus, PaymentMethod
from procurement.institutions.models import Institution
from procurement.ordering.models import FundingSource, LineDecision, PurchaseOrder
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from procurement.supplying.services import LineDecisionInput, decide_lines
from tests.access_rows.orders import build_order, new_batch
from tests.conftest import make_certificate
from tests.settlement.support import give_payee
from traceability.recall.services import recall_batch

ADDRESS = Address(
    recipient="王食堂",
    mobile="13912345678",
    province_code="370000",
    city="临沂市",
    district="兰山区",
    detail="北京路 1 号机关食堂",
)

#: What one :func:`history` leaves waiting, card by card.
ONE_HISTORY = {
    "recalls": 1,
    "orders_to_ship": 2,  # a paid order and a cash-on-delivery order not shipped yet
    "supplier_to_confirm": 1,
    "supplier_to_ship": 1,
    "certificates_expiring": 1,  # ends in 10 days; one ending in 40 days and one renewing do not count
    "batches_near_best_before": 1,  # with stock; sold out and recalled ones do not count
    "cash_to_confirm": 1,
    "new_ratings": 1,  # rated today; one rated 8 days ago does not count
    "certification_rejected": 1,
    "certification_applied": 1,  # the renewal application
    "group_orders_to_deliver": 0,  # counted in tests/channels/test_groupbuy.py
    "new_questions": 0,  # counted in tests/catalog/test_questions.py
}


@dataclass
class Bench:
    """A member, their producer, and what the histories need."""

    owner: User
    producer: Producer
    buyer: User
    institution: Institution
    make_product: Callable[..., Product]
    make_batch: Callable[..., Any]


@pytest.fixture()
def bench(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Any],
    make_institution: Callable[..., Institution],
) -> Bench:
    owner = make_user(name="合作社社长")
    producer = make_producer(owner=owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    give_payee(db, producer)
    institution = make_institution(make_user(name="采购员"))
    return Bench(owner, producer, make_user(name="王芳"), institution, make_product, make_batch)


def history(db: Session, bench: Bench, producer: Producer) -> None:
    """Everything a producer's day can hold, once, for ``producer``, through the services the pages call."""
    owner = producer.members[0].user
    today = shanghai_date()
    product = bench.make_product(producer, certified=True)
    # orders: one paid to ship, one cash on delivery to ship, one cash on delivery delivered (cash to
    # confirm), one shipped and one completed (nothing to do)
    build_order(db, bench.buyer, [(new_batch(db, product), 2)], status=OrderStatus.PAID)
    build_order(
        db,
        bench.buyer,
        [(new_batch(db, product), 1)],
        status=OrderStatus.PENDING_PAYMENT,
        method=PaymentMethod.CASH_ON_DELIVERY,
    )
    delivered = build_order(
        db,
        bench.buyer,
        [(new_batch(db, product), 1)],
        status=OrderStatus.PENDING_PAYMENT,
        method=PaymentMethod.CASH_ON_DELIVERY,
    )
    ship_order(db, owner, delivered, "顺丰速运", f"SF{secrets.randbelow(10**10)}")
    build_order(db, bench.buyer, [(new_batch(db, product), 1)], status=OrderStatus.SHIPPED)
    # ratings: one today, one 8 days old
    for days in (0, 8):
        received = build_order(db, bench.buyer, [(new_batch(db, product), 1)], status=OrderStatus.RECEIVED)
        rating = rate_order_line(db, bench.buyer, received.lines[0], 5, 4, "好吃")
        rating.created_at = utcnow() - timedelta(days=days)
    # certificates: ending in 10 days (to renew), in 40 days (not yet), in 10 days but renewing (applied)
    for days in (10, 40):
        make_certificate(db, bench.make_product(producer), valid_to=today + timedelta(days=days))
    renewing = bench.make_product(producer)
    make_certificate(db, renewing, valid_to=today + timedelta(days=10))
    apply_for_certification(db, owner, renewing)
    rejected = bench.make_product(producer)
    make_certificate(db, rejected, status=CertificationStatus.REJECTED)
    # batches best before in 3 days: with stock, sold out, recalled; one with stock best before in 20 days
    bench.make_batch(product, quantity=10, best_before=today + timedelta(days=3))
    sold_out = bench.make_batch(product, quantity=2, best_before=today + timedelta(days=3))
    build_order(db, bench.buyer, [(sold_out, 2)], status=OrderStatus.COMPLETED)
    recalled = bench.make_batch(product, quantity=5, best_before=today + timedelta(days=3))
    recall_batch(db, owner, recalled, "抽检农残超标")
    # supplier orders: one to answer, one confirmed to deliver
    purchases = [submit(db, bench, product) for _ in range(2)]
    order = purchases[1].supplier_orders[0]
    decide_lines(db, owner, order, [LineDecisionInput(order.lines[0].id, LineDecision.CONFIRMED)])
    db.flush()


def submit(db: Session, bench: Bench, product: Product) -> PurchaseOrder:
    """An institution's purchase order of 20 units of ``product`` (the real service)."""
    buyer = bench.institution.members[0].user
    return submit_purchase_order(
        db,
        buyer,
        bench.institution,
        [PurchaseLineInput(product.id, 20)],
        Delivery(ADDRESS, shanghai_date() + timedelta(days=7)),
        FundingSource.BUDGET,
        secrets.token_urlsafe(16),
    )


@pytest.fixture()
def in_request(app: Flask) -> Iterator[None]:
    """The workbench's services read the app's settings and the reader's language, as in a request."""
    with app.test_request_context():
        yield


def counts(db: Session, producer_ids: list[int]) -> dict[str, int]:
    return {task["kind"]: task["count"] for task in producer_day(db, producer_ids)}


@pytest.mark.usefixtures("in_request")
def test_each_card_counts_the_producers_own_work(
    db: Session, bench: Bench, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    assert counts(db, [bench.producer.id]) == dict.fromkeys(ONE_HISTORY, 0)
    history(db, bench, bench.producer)
    assert counts(db, [bench.producer.id]) == ONE_HISTORY
    # another producer's day never shows on this one's
    stranger = make_producer(owner=make_user(), county_code="500229")
    history(db, bench, stranger)
    assert counts(db, [bench.producer.id]) == ONE_HISTORY
    # a member of both sees both
    assert counts(db, [bench.producer.id, stranger.id]) == {k: 2 * v for k, v in ONE_HISTORY.items()}


@pytest.mark.usefixtures("in_request")
def test_cards_come_most_urgent_first(db: Session, bench: Bench) -> None:
    history(db, bench, bench.producer)
    kinds = [task["kind"] for task in producer_day(db, [bench.producer.id])]
    assert kinds[0] == "recalls"
    assert kinds.index("orders_to_ship") < kinds.index("cash_to_confirm") < kinds.index("new_ratings")
    assert kinds.index("certificates_expiring") < kinds.index("cash_to_confirm")


@pytest.mark.usefixtures("in_request")
def test_a_renewal_application_takes_the_certificate_off_the_card(db: Session, bench: Bench) -> None:
    product = bench.make_product(bench.producer)
    make_certificate(db, product, valid_to=shanghai_date() + timedelta(days=5))
    assert counts(db, [bench.producer.id])["certificates_expiring"] == 1
    apply_for_certification(db, bench.owner, product)
    assert counts(db, [bench.producer.id])["certificates_expiring"] == 0
    assert counts(db, [bench.producer.id])["certification_applied"] == 1


@pytest.mark.usefixtures("in_request")
def test_counts_stop_at_the_cap(db: Session, bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_signals, "TASK_COUNT_CAP", 2)
    monkeypatch.setattr(workbench_module, "TASK_COUNT_CAP", 2)
    product = bench.make_product(bench.producer, certified=True)
    for _ in range(5):
        build_order(db, bench.buyer, [(new_batch(db, product), 1)], status=OrderStatus.PAID)
    assert counts(db, [bench.producer.id])["orders_to_ship"] == 3
    assert workbench_module.shown_count(3) == "2+" and workbench_module.shown_count(2) == "2"


def card_links(page: str) -> dict[str, tuple[str, str]]:
    """Each card on the page: its kind → (href, shown count)."""
    found = re.findall(
        r'<a class="task[^"]*" id="task-([a-z_]+)" href="([^"]+)">.*?<span class="task-count">([^<]+)</span>',
        page,
        re.S,
    )
    return {kind: (href.replace("&amp;", "&"), shown) for kind, href, shown in found}


def test_the_page_shows_every_card_and_each_leads_to_a_page_that_answers(
    db: Session, bench: Bench, as_user: Callable[[User | None], FlaskClient]
) -> None:
    history(db, bench, bench.producer)
    client = as_user(bench.owner)
    response = client.get("/producer/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    cards = card_links(page)
    assert {kind: int(shown) for kind, (_href, shown) in cards.items()} == ONE_HISTORY
    assert "待发货" in page and bench.producer.name in page
    assert cards["orders_to_ship"][0] == "/producer/orders/?status=to_ship"
    assert cards["cash_to_confirm"][0] == "/producer/orders/?status=to_confirm"
    assert cards["supplier_to_confirm"][0] == "/producer/procurement/?status=to_confirm"
    # one certificate to renew leads to its product's renewal button
    assert re.fullmatch(r"/producer/products/\d+#certification-heading", cards["certificates_expiring"][0])
    for kind, (href, _shown) in cards.items():
        assert client.get(href.split("#")[0]).status_code == 200, kind
    renewal = client.get(cards["certificates_expiring"][0].split("#")[0]).get_data(as_text=True)
    assert "续" in renewal  # the renewal button


def test_a_quiet_day_folds_every_card_under_all_done(
    bench: Bench, as_user: Callable[[User | None], FlaskClient]
) -> None:
    page = as_user(bench.owner).get("/producer/").get_data(as_text=True)
    assert 'class="tasks-done"' in page and 'class="tasks" role="list"' not in page
    assert all(shown == "0" for _href, shown in card_links(page).values())


def test_who_is_not_a_producer_member_is_refused(
    bench: Bench, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    assert as_user(make_user()).get("/producer/").status_code == 403
    assert as_user(None).get("/producer/").status_code == 302


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """Collect the SQL sent on the test's connection (requests share it)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", seen)


#: The most statements the workbench may send: the user and their memberships, the unread count, the
#: catalog's certification counts, one per answering package (orders, batches, supplier orders, price
#: alerts, standing decisions, group orders, product questions) and the producers' places.
CEILING = 16


def test_the_workbench_costs_the_same_whatever_the_history(
    db: Session, bench: Bench, as_user: Callable[[User | None], FlaskClient]
) -> None:
    client = as_user(bench.owner)
    history(db, bench, bench.producer)
    client.get("/producer/")  # warm: the same work each time
    with statements(db) as small:
        assert client.get("/producer/").status_code == 200
    for _ in range(3):
        history(db, bench, bench.producer)
    db.expire_all()
    with statements(db) as large:
        page = client.get("/producer/").get_data(as_text=True)
    assert card_links(page)["orders_to_ship"][1] == "8"
    assert len(large) == len(small) <= CEILING, (len(small), len(large), large)
    # no count of the workbench reads the whole history: each stops at the cap (the menu's unread count
    # is the inbox's, the same on every page)
    counted = [s for s in large if "count(" in s.lower() and "shop_notification" not in s]
    assert counted and all("LIMIT" in s.upper() for s in counted)
