"""Payment commands: ``refund-recalled`` for cron."""

from __future__ import annotations

import functools
import logging

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.errors import DomainError
from core.jobs import claim_row
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
    Safe on every machine at once: a work queue (``core.jobs.claim_row``, ``FOR UPDATE SKIP LOCKED``), so
    each run takes the orders nobody holds, and ``refund_recalled`` re-reads each under its lock: an order
    another run (or the producer's refund) is refunding is skipped, one already refunded is left alone.
    """
    refunded = failed = skipped = 0
    for order_id in [order.id for order in refund_due_orders(db_session)]:
        try:
            done = run_unit_of_work(functools.partial(_refund_one, order_id), db_session)
        except DomainError as exc:
            db_session.rollback()
            log.warning("refund of recalled order %s failed: %s", order_id, exc)
            failed += 1
            continue
        refunded += done is True
        skipped += done is None
    click.echo(
        f"Refunded {refunded} order(s) holding recalled goods; {failed} failed (retried next run); "
        f"{skipped} held by another run."
    )


def _refund_one(order_id: int) -> bool | None:
    """Refund the order ``order_id`` if it still needs it: whether a refund was made, ``None`` when another
    transaction holds the order (it is that one's to finish)."""
    if not claim_row(db_session, Order, order_id):
        return None
    order = db_session.get(Order, order_id)
    return order is not None and refund_recalled(db_session, order) is not None
