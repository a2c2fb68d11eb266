"""Payment commands: ``refund-recalled`` for cron."""

from __future__ import annotations

import functools
import logging

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.errors import DomainError
from core.transactions import run_unit_of_work
from orders.models import Order
from orders.recall import refund_due_orders
from payments.refunds import refund_recalled

log = logging.getLogger(__name__)


@click.command("refund-recalled")
@with_appcontext
def refund_recalled_command() -> None:
    """Refund in full every paid order that cannot ship because a lot it holds was recalled (run from cron).

    Each order is refunded in its own transaction: a refusal by Stripe leaves that order for the next run.
    """
    refunded = failed = 0
    for order_id in [order.id for order in refund_due_orders(db_session)]:
        try:
            done = run_unit_of_work(functools.partial(_refund_one, order_id), db_session)
        except DomainError as exc:
            db_session.rollback()
            log.warning("refund of recalled order %s failed: %s", order_id, exc)
            failed += 1
            continue
        refunded += bool(done)
    click.echo(f"Refunded {refunded} order(s) holding recalled goods; {failed} failed (retried next run).")


def _refund_one(order_id: int) -> bool:
    """Refund the order ``order_id`` if it still needs it; whether a refund was made."""
    order = db_session.get(Order, order_id)
    return order is not None and refund_recalled(db_session, order) is not None
