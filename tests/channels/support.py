"""Counters with consigned stock, built through the real services (consign, then receive)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy.orm import Session

from catalog.products.models import Product
from channels.counters import services
from channels.counters.models import ConsignedStock, Counter, CounterKind
from core.clock import shanghai_date
from core.models import Region, User
from traceability.models import Batch, ComplianceBasis


def give_counter(
    db: Session,
    operator: User,
    region: Region,
    *,
    kind: CounterKind = CounterKind.COUNTER,
    starts_on: date | None = None,
    ends_on: date | None = None,
    name: str = "深圳消费帮扶专柜",
) -> Counter:
    """A counter run by ``operator`` for their first organisation (they must have one)."""
    operator_name = services.operator_names(db, operator)[0]
    data = services.CounterData(operator_name, name, "福田区深南大道 1 号", region, kind, starts_on, ends_on)
    return services.open_counter(db, operator, data)


def stock_counter(db: Session, counter: Counter, batch: Batch, quantity: int) -> ConsignedStock:
    """Consign ``quantity`` units of ``batch`` from its producer and receive them at the counter."""
    shipper = batch.producer.members[0].user
    consignment = services.consign(db, shipper, counter, batch, quantity)
    return services.receive(db, counter.operator, consignment)


def sale_key() -> str:
    """A fresh key, as the quick-sale form carries."""
    return secrets.token_urlsafe(24)


def give_batch(db: Session, product: Product, quantity: int = 50) -> Batch:
    """A lot of ``product`` made by its producer's first member through the real service."""
    from traceability.batches.services import BatchData, ComplianceData, create_batch

    county = product.producer.county
    assert county is not None
    origin = sorted(county.children, key=lambda r: r.code or "")[0]
    today = shanghai_date()
    data = BatchData(
        quantity=quantity,
        produced_on=today - timedelta(days=1),
        best_before=today + timedelta(days=30),
        origin=origin,
    )
    certificate = ComplianceData(
        basis=ComplianceBasis.QUALITY_CONTROL, contact_phone="13912345678", issued_on=today
    )
    return create_batch(db, product.producer.members[0].user, product, data, certificate)
