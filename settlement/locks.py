"""The one lock every change of a producer's money takes first: its producer row.

Submitting or deciding a payee account, closing a statement, proposing and approving a payout all read
state and then write depending on it (is a change pending, what is the balance). Taking the producer's row
lock first (``SELECT … FOR UPDATE`` on PostgreSQL, the database's write lock on SQLite) serialises them per
producer, so two administrators approving at once, or a payout racing a change of account, see each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.transactions import claim_write_lock


def lock_producer(session: Session, producer_id: int) -> Producer:
    """Reload the producer with a write lock held to the end of the transaction. Does not commit."""
    session.flush()
    claim_write_lock(session)
    query = select(Producer).where(Producer.id == producer_id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()
