"""Genealogy: a processing step consumes input batches and produces output batches.

Pork batches become one cured-pork batch; one yak carcass becomes several cut batches. The inputs' stock is
drawn atomically, the outputs are new batches, and both sides get a processing event naming the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from traceability.batches.inventory import draw_stock
from traceability.batches.rules import ensure_clean_text, recorder
from traceability.batches.services import BatchData, append_event, create_batch, ensure_member
from traceability.errors import BatchRecalled, EventNotAllowed
from traceability.models import Batch, BatchLink, EventKind


@dataclass
class ProcessInput:
    """How much of an input batch the step uses."""

    batch: Batch
    quantity: int


@dataclass
class ProcessOutput:
    """A batch the step produces."""

    product: Product
    data: BatchData


def process_batches(
    session: Session,
    user: User,
    inputs: list[ProcessInput],
    outputs: list[ProcessOutput],
    *,
    occurred_at: datetime,
    place: str,
    process: str,
    note: str | None = None,
) -> list[Batch]:
    """Record one processing step; returns the output batches. Does not commit.

    Every input and output must belong to the acting user's producers. The outputs are *transformed*
    batches: their own dates are the step's, and their origin and certificates are their inputs' (see
    :func:`source_batches`). Raises :class:`EventNotAllowed` (no inputs or outputs, the same batch twice),
    :class:`BatchRecalled`, :class:`InsufficientStock`, :class:`ControlCharacterInText`, and whatever
    :func:`create_batch` raises for an output; nothing is written then.
    """
    if not inputs or not outputs or len({i.batch.id for i in inputs}) != len(inputs):
        raise EventNotAllowed()
    ensure_clean_text(process, place, paragraphs=[note])
    for item in inputs:
        ensure_member(user, item.batch.product)
        if item.batch.is_recalled:
            raise BatchRecalled(lot=item.batch.lot_code)
    for item in inputs:
        draw_stock(session, item.batch, item.quantity)
    produced = [create_batch(session, user, out.product, out.data, transformed=True) for out in outputs]
    output_lots = [b.lot_code for b in produced]
    input_refs = [{"lot": i.batch.lot_code, "quantity": i.quantity} for i in inputs]
    for item in inputs:
        role, actor_name = recorder(user, item.batch.producer)
        append_event(
            session,
            item.batch,
            EventKind.PROCESSING,
            actor=user,
            actor_name=actor_name,
            recorded_as=role,
            occurred_at=occurred_at,
            place=place,
            details={
                "process": process,
                "role": "input",
                "quantity_used": item.quantity,
                "inputs": input_refs,
                "outputs": output_lots,
            },
            note=note,
        )
    for batch in produced:
        role, actor_name = recorder(user, batch.producer)
        event = append_event(
            session,
            batch,
            EventKind.PROCESSING,
            actor=user,
            actor_name=actor_name,
            recorded_as=role,
            occurred_at=occurred_at,
            place=place,
            details={"process": process, "role": "output", "inputs": input_refs},
            note=note,
        )
        for item in inputs:
            session.add(
                BatchLink(
                    parent_id=item.batch.id, child_id=batch.id, event_id=event.id, quantity_used=item.quantity
                )
            )
    session.flush()
    return produced


def parents_of(session: Session, batch: Batch) -> list[Batch]:
    """Batches that went into ``batch``."""
    return list(
        session.scalars(
            select(Batch)
            .join(BatchLink, BatchLink.parent_id == Batch.id)
            .where(BatchLink.child_id == batch.id)
        )
    )


def children_of(session: Session, batch: Batch) -> list[Batch]:
    """Batches made from ``batch``."""
    return list(
        session.scalars(
            select(Batch)
            .join(BatchLink, BatchLink.child_id == Batch.id)
            .where(BatchLink.parent_id == batch.id)
        )
    )


def descendants(session: Session, batch: Batch) -> list[Batch]:
    """Every batch made from ``batch``, directly or through further steps (breadth first, no repeats)."""
    return _walk(session, batch, BatchLink.parent_id, BatchLink.child_id)


def ancestors(session: Session, batch: Batch) -> list[Batch]:
    """Every batch that went into ``batch``, directly or through earlier steps."""
    return _walk(session, batch, BatchLink.child_id, BatchLink.parent_id)


def _walk(session: Session, start: Batch, from_col: object, to_col: object) -> list[Batch]:
    seen = {start.id}
    frontier = [start.id]
    found: list[int] = []
    while frontier:
        next_ids = [
            i
            for i in session.scalars(select(to_col).where(from_col.in_(frontier)))  # type: ignore[attr-defined,call-overload]
            if i not in seen
        ]
        seen.update(next_ids)
        found.extend(next_ids)
        frontier = next_ids
    if not found:
        return []
    by_id = {b.id: b for b in session.scalars(select(Batch).where(Batch.id.in_(found)))}
    return [by_id[i] for i in found]


@dataclass(frozen=True)
class SourceBatch:
    """A raw-material batch a transformed batch was made from (directly or through earlier steps)."""

    batch: Batch
    #: How much of it went directly into the batch (``None`` when it went in through an earlier step).
    quantity_used: int | None


def source_batches(session: Session, batch: Batch) -> list[SourceBatch]:
    """The raw materials of ``batch``: its ancestors that were not made from anything (harvested or
    slaughtered batches, whose origin, dates and certificates are the transformed batch's history), by lot.
    Empty for a batch that was not made from others. Read-only; a few queries, whatever the genealogy."""
    found = ancestors(session, batch)
    if not found:
        return []
    ids = [b.id for b in found]
    made = set(session.scalars(select(BatchLink.child_id).where(BatchLink.child_id.in_(ids))))
    links = session.execute(
        select(BatchLink.parent_id, BatchLink.quantity_used).where(BatchLink.child_id == batch.id)
    )
    used: dict[int, int | None] = {row.parent_id: row.quantity_used for row in links}
    return sorted(
        (SourceBatch(b, used.get(b.id)) for b in found if b.id not in made),
        key=lambda source: source.batch.lot_code,
    )
