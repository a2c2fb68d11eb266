"""An open after-sales request holds the disputed money of its order out of the producer's payable amount,
exactly as a recall does, and releases it when the request ends."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from orders.models import Order
from oversight.aftersales import steps
from oversight.aftersales.models import AftersalesKind, AftersalesRequest
from oversight.aftersales.services import AftersalesInput, Windows, request_aftersales
from settlement.statements.services import close_month, position
from tests.settlement.farm import PRICE, SHIPPING, Farm
from traceability.recall.services import recall_batch

NOV, TODAY = date(2025, 11, 1), date(2026, 2, 3)


def received_sale(db: Session, farm: Farm, quantity: int, day: date) -> Order:
    order = farm.sell(db, quantity, day)
    order.mark_shipped("顺丰速运", "SF0000000001")
    order.mark_received()
    db.flush()
    return order


def ask(db: Session, farm: Farm, order: Order, units: int) -> AftersalesRequest:
    data = AftersalesInput(
        kind=AftersalesKind.RETURN, lines={order.lines[0].id: units}, reason="收到时已经变质"
    )
    return request_aftersales(db, farm.buyer, order, data, Windows())


def test_the_payable_drops_while_a_request_is_open_and_comes_back_after(db: Session, farm: Farm) -> None:
    order = received_sale(db, farm, 3, date(2025, 11, 10))
    [statement] = close_month(db, NOV, 0, TODAY).created
    full = 3 * PRICE + SHIPPING
    assert position(db, statement).payable_fen == full

    request = ask(db, farm, order, 2)
    where = position(db, statement)
    assert where.held_fen == 2 * PRICE and where.payable_fen == full - 2 * PRICE
    assert [h.number for h in where.held] == [order.number]

    steps.propose(db, farm.owner, request, 500, None, Windows())  # still open: still held
    assert position(db, statement).held_fen == 2 * PRICE
    steps.withdraw(db, farm.buyer, request)
    where = position(db, statement)
    assert where.held_fen == 0 and where.payable_fen == full


def test_an_order_under_recall_and_after_sales_keeps_the_larger_hold(db: Session, farm: Farm) -> None:
    order = received_sale(db, farm, 3, date(2025, 11, 10))
    [statement] = close_month(db, NOV, 0, TODAY).created
    ask(db, farm, order, 1)
    recall_batch(db, farm.owner, farm.batch, "农残抽检不合格")
    where = position(db, statement)
    assert where.held_fen == 3 * PRICE + SHIPPING and len(where.held) == 1
