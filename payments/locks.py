"""Row locks on checkouts and orders, and the succeeded payment: what every payment change reads first."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.transactions import claim_write_lock
from orders.models import Checkout, Order
from payments.models import Payment

_M = TypeVar("_M", Checkout, Order)


def lock_row(session: Session, model: type[_M], ident: int) -> _M:
    """Reload a checkout or order with a write lock (a row lock on PostgreSQL, the write lock on SQLite)."""
    session.flush()
    claim_write_lock(session)
    query = select(model).where(model.id == ident).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def lock_orders(session: Session, checkout: Checkout) -> list[Order]:
    """Reload the checkout's orders with row locks, so a concurrent expiry cannot cancel them under us."""
    session.flush()
    query = select(Order).where(Order.checkout_id == checkout.id).order_by(Order.id).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def succeeded_payment(session: Session, checkout: Checkout) -> Payment | None:
    """The checkout's succeeded Stripe payment, if any (there is at most one)."""
    return session.scalar(select(Payment).where(Payment.succeeded_checkout_id == checkout.id))
