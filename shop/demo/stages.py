"""Batches at the stages the history does not reach by itself: one more near its best-before date with most
of it unsold, and one held while a county sample is tested (off sale until released).

In stock, sold out and recalled batches come from :mod:`shop.demo.batches` and :mod:`shop.demo.history`.
Written through the traceability services; a product that already has its extra batch gets none again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from traceability.batches.services import BatchData, ComplianceData, create_batch, record_event
from traceability.holds.models import BatchHold, HoldReason
from traceability.holds.services import place_hold
from traceability.models import Batch, BatchStatus, ComplianceBasis, EventKind

#: A second product whose newest batch is near its best-before date: (name, days since made, days left).
NEAR_BEST_BEFORE = ("疏勒洋葱", 11, 3)
#: A product with a batch held for a county quality sample.
HELD_PRODUCT = "城口腊香肠"
HOLD_SUMMARY = "县级农产品质量抽检：样品已送检，结果出来前该批次暂停销售"


def _product(session: Session, name: str) -> Product | None:
    """The active demo product named ``name``."""
    return session.scalar(select(Product).where(Product.name == name, Product.is_active.is_(True)).limit(1))


def _new_batch(session: Session, actor: User, product: Product, age: int, shelf: int, quantity: int) -> Batch:
    """A batch of ``product`` made ``age`` days ago, best before ``shelf`` days after that, shipped to the
    region's warehouse."""
    today = shanghai_date()
    made = today - timedelta(days=age)
    county = product.producer.county
    meat = product.category.is_meat
    batch = create_batch(
        session,
        actor,
        product,
        BatchData(
            quantity=quantity,
            produced_on=made,
            best_before=made + timedelta(days=shelf),
            origin=product.producer.location,
            slaughterhouse=f"{county.name}定点屠宰场" if meat else None,
            origin_quarantine_no=f"{county.code}9{product.id:06d}1" if meat else None,
            slaughter_quarantine_no=f"{county.code}9{product.id:06d}2" if meat else None,
        ),
        ComplianceData(
            basis=ComplianceBasis.QUALITY_CONTROL,
            contact_phone=product.producer.contact_phone or "13800138000",
            issued_on=made,
        ),
    )
    record_event(
        session,
        actor,
        batch,
        EventKind.SHIPPING,
        occurred_at=utcnow() - timedelta(hours=12),
        place=county.path_name(),
        details={
            "from": product.producer.name,
            "to": "区域仓",
            "carrier": "顺丰速运",
            "waybill": f"SF{batch.id:010d}",
        },
    )
    return batch


def seed_stages(session: Session, sellers: dict[int, User], admin: User, reviewers: dict[int, User]) -> int:
    """Add the near-best-before batch and the held batch if missing; return how many batches were made.
    Does not commit."""
    made = 0
    today = shanghai_date()
    name, age, left = NEAR_BEST_BEFORE
    product = _product(session, name)
    if product is not None:
        near = session.scalar(
            select(Batch.id).where(
                Batch.product_id == product.id,
                Batch.status == BatchStatus.ACTIVE,
                Batch.best_before.between(today, today + timedelta(days=7)),
            )
        )
        if near is None:
            _new_batch(session, sellers.get(product.producer_id, admin), product, age, age + left, 160)
            made += 1
    product = _product(session, HELD_PRODUCT)
    if product is not None:
        held = session.scalar(
            select(BatchHold.id)
            .join(Batch, Batch.id == BatchHold.batch_id)
            .where(Batch.product_id == product.id)
        )
        if held is None:
            batch = _new_batch(session, sellers.get(product.producer_id, admin), product, 3, 120, 200)
            county = product.producer.county
            place_hold(
                session,
                batch,
                HoldReason.QUALITY_SAMPLING,
                occurred_at=utcnow(),
                place=county.path_name(),
                summary=HOLD_SUMMARY,
                by=reviewers.get(county.id, admin),
            )
            made += 1
    session.flush()
    return made
