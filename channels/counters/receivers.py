"""Receivers: a counter sale refunded through the payments pages (the generic refund path) shows on the
counter's closing report of the day it was given back, and its units return to the counter's stock of that
lot (never those of a recalled lot), in the same transaction as the refund."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.counters.models import ConsignedStock, CounterRefund, CounterSale
from core.clock import shanghai_date
from core.db import utcnow
from payments.models import Refund
from payments.signals import refund_recorded


def record_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: note the refund of a counter sale and put its units back on the
    counter's shelf."""
    sale = session.scalar(select(CounterSale).where(CounterSale.order_id == sender.order_id))
    if sale is None:
        return
    quantity = sum(line.quantity for line in sender.lines)
    restocked = 0 if sale.batch.is_recalled else quantity
    if restocked:
        session.execute(
            update(ConsignedStock)
            .where(ConsignedStock.counter_id == sale.counter_id, ConsignedStock.batch_id == sale.batch_id)
            .values(
                quantity=ConsignedStock.quantity + restocked,
                sold_total=ConsignedStock.sold_total - restocked,
            )
            .execution_options(synchronize_session=False)
        )
    refunded_at = sender.created_at or utcnow()
    session.add(
        CounterRefund(
            counter_id=sale.counter_id,
            refund_id=sender.id,
            sale_id=sale.id,
            product_id=sale.product_id,
            quantity=quantity,
            restocked=restocked,
            unit=sale.unit,
            amount_fen=sender.amount_fen,
            is_counted=sale.is_counted,
            refunded_at=refunded_at,
            day=shanghai_date(refunded_at),
        )
    )
    session.flush()


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    refund_recorded.connect(record_refund)
