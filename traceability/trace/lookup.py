"""Finding what a scan asks for: a lot code (and its GTIN), a batch by id, a serial and its check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog.producers.models import Producer
from catalog.products.models import Product
from traceability.models import Batch, SerialScan, SerialUnit
from traceability.serials import Scanner, SerialAssessment, assess, register_check

#: Longest lot code or serial we look up (longer input cannot match and is not worth a query).
MAX_CODE_LENGTH = 32


GTIN_LENGTHS = (8, 12, 13, 14)


def normal_lot(lot: str) -> str | None:
    """The lot code as stored (upper case, trimmed), or ``None`` when it cannot be one."""
    lot = lot.strip().upper()
    return lot if lot and len(lot) <= MAX_CODE_LENGTH else None


def valid_gtin(gtin: str) -> bool:
    """Whether ``gtin`` can be a GTIN at all: 8, 12, 13 or 14 ASCII digits."""
    return gtin.isascii() and gtin.isdigit() and len(gtin) in GTIN_LENGTHS


def gtin_matches(gtin: str | None, product_gtin: str | None) -> bool:
    """Whether a Digital Link's GTIN (``None`` for the short form) names the product's GTIN (as GTIN-14)."""
    if gtin is None:
        return True
    return valid_gtin(gtin) and bool(product_gtin) and str(product_gtin).zfill(14) == gtin.zfill(14)


def find_batch(session: Session, lot: str, gtin: str | None = None) -> Batch | None:
    """The batch with lot code ``lot`` (case-insensitive), or ``None``.

    With ``gtin`` (the Digital Link form), the batch's product must carry that GTIN (8, 12, 13 or 14 digits,
    compared as GTIN-14); otherwise there is no such batch.
    """
    code = normal_lot(lot)
    if code is None or (gtin is not None and not valid_gtin(gtin)):
        return None
    batch = session.scalar(select(Batch).where(Batch.lot_code == code))
    if batch is None or gtin_matches(gtin, batch.product.gtin):
        return batch
    return None


def load_batch(session: Session, batch_id: int) -> Batch | None:
    """The batch with everything its trace page shows loaded in a few queries (no lazy load per fact)."""
    return session.scalar(
        select(Batch)
        .where(Batch.id == batch_id)
        .options(
            joinedload(Batch.product).selectinload(Product.certifications),
            joinedload(Batch.producer).joinedload(Producer.county),
            joinedload(Batch.origin),
            joinedload(Batch.compliance),
        )
    )


def find_serial(session: Session, batch: Batch, serial: str) -> SerialUnit | None:
    """The unit ``serial`` of ``batch`` (exact match), or ``None``, also when it belongs to another batch."""
    if not serial or len(serial) > MAX_CODE_LENGTH:
        return None
    return session.scalar(
        select(SerialUnit).where(SerialUnit.serial == serial, SerialUnit.batch_id == batch.id)
    )


def check_serial(
    session: Session, unit: SerialUnit, scanner: Scanner, *, max_networks: int, window: timedelta
) -> tuple[SerialScan, SerialAssessment]:
    """Count a visit of ``unit``'s page by ``scanner`` and assess the label; also return the scanner's row.

    Does not commit.
    """
    scan = register_check(session, unit, scanner, window=window)
    return scan, assess(unit, max_networks=max_networks)
