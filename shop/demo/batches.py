"""Demo batches: stock for every sellable demo product, with compliance certificates, steps and one recall.

Recorded through the traceability services (so every chain verifies); only products without batches get one,
which keeps seeding idempotent. Producers without member accounts act through the demo administrator.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product, products_of
from core.clock import SHANGHAI, clock_at, shanghai_date
from core.db import utcnow
from core.models import User
from orders.models import ShippingRule
from traceability.batches.services import BatchData, ComplianceData, create_batch, record_event
from traceability.models import Batch, ComplianceBasis, EventKind
from traceability.recall.services import recall_batch

#: Shelf life by category, in days (fresh vegetables keep a fortnight, cured pork half a year).
SHELF_LIFE = {"vegetables": 14, "fruit": 20, "meat": 180, "honey": 720, "tea": 540}
DEFAULT_SHELF_LIFE = 365
RECALL_DEMO_PRODUCT = "疏勒西红柿"
#: A product whose batch is near its best-before date and mostly unsold: the home page's help-sell list.
HELP_SELL_DEMO_PRODUCT = "疏勒辣椒"
#: ... its batch was produced this many days ago and is best before this many days from today.
HELP_SELL_AGE, HELP_SELL_DAYS_LEFT = 8, 5


def _actor(product: Product, admin: User) -> User:
    members = product.producer.members
    return members[0].user if members else admin


def seed_shipping_rules(session: Session) -> int:
    """Give each approved producer without one a shipping rule: ¥12 flat, free from ¥99; meat sellers don't
    ship to Tibet (西藏, 540000) or Hainan (460000), where their cold chain does not reach."""
    made = 0
    for producer in session.scalars(select(Producer).where(Producer.status == ProducerStatus.APPROVED)):
        if session.scalar(select(ShippingRule.id).where(ShippingRule.producer_id == producer.id)) is not None:
            continue
        sells_meat = any(p.category.is_meat for p in products_of(producer))
        session.add(
            ShippingRule(
                producer_id=producer.id,
                flat_fee_fen=1200,
                free_above_fen=9900,
                excluded_provinces=["540000", "460000"] if sells_meat else [],
            )
        )
        made += 1
    session.flush()
    return made


def seed_batches(session: Session, admin: User) -> int:
    """Give each approved producer's active product without batches one batch; return how many were made."""
    products = session.scalars(select(Product).where(Product.is_active.is_(True)).order_by(Product.id))
    today = shanghai_date()
    made = 0
    for product in products:
        if product.producer.status != ProducerStatus.APPROVED:
            continue
        if session.scalar(select(Batch.id).where(Batch.product_id == product.id).limit(1)) is not None:
            continue
        actor = _actor(product, admin)
        origin = product.producer.location
        shelf = SHELF_LIFE.get(str(product.category), DEFAULT_SHELF_LIFE)
        meat = product.category.is_meat
        produced_on, best_before = today - timedelta(days=2), today + timedelta(days=shelf)
        if product.name == HELP_SELL_DEMO_PRODUCT:
            produced_on = today - timedelta(days=HELP_SELL_AGE)
            best_before = today + timedelta(days=HELP_SELL_DAYS_LEFT)
        batch = create_batch(
            session,
            actor,
            product,
            BatchData(
                quantity=300 if product.unit.is_packaged else 1200,
                produced_on=produced_on,
                best_before=best_before,
                origin=origin,
                slaughterhouse=f"{product.producer.county.name}定点屠宰场" if meat else None,
                origin_quarantine_no=f"{product.producer.county.code}0{product.id:06d}1" if meat else None,
                slaughter_quarantine_no=f"{product.producer.county.code}0{product.id:06d}2" if meat else None,
            ),
            ComplianceData(
                basis=ComplianceBasis.QUALITY_CONTROL,
                contact_phone=product.producer.contact_phone or "13800138000",
                issued_on=produced_on + timedelta(days=1),
            ),
        )
        record_event(
            session,
            actor,
            batch,
            EventKind.PACKING,
            occurred_at=utcnow() - timedelta(hours=20),
            place=origin.path_name(),
            details={"container_id": f"P-{batch.lot_code}", "count": 20},
        )
        record_event(
            session,
            actor,
            batch,
            EventKind.SHIPPING,
            occurred_at=utcnow() - timedelta(hours=6),
            place=product.producer.county.path_name(),
            details={
                "from": product.producer.name,
                "to": "区域冷链仓" if meat else "喀什地区冷链物流中心",
                "carrier": "顺丰冷运",
                "waybill": f"SF{batch.id:010d}",
            },
        )
        if product.name == RECALL_DEMO_PRODUCT:
            recall_batch(session, admin, batch, "演示：县级抽检农药残留超标，批次召回")
        made += 1
    return made


def dated_batch(session: Session, seller: User, product: Product, produced_on: date, quantity: int) -> Batch:
    """A batch of ``product`` made on ``produced_on`` for orders of the demo's history, recorded that day
    at 08:00 (Asia/Shanghai) with the clock set to it."""
    meat = product.category.is_meat
    county = product.producer.county
    shelf = SHELF_LIFE.get(str(product.category), DEFAULT_SHELF_LIFE)
    serial = f"{produced_on:%y%m}{product.id % 1000:03d}"
    with clock_at(datetime.combine(produced_on, time(8), tzinfo=SHANGHAI)):
        return create_batch(
            session,
            seller,
            product,
            BatchData(
                quantity=quantity,
                produced_on=produced_on,
                best_before=produced_on + timedelta(days=shelf),
                origin=product.producer.location,
                slaughterhouse=f"{county.name}定点屠宰场" if meat else None,
                origin_quarantine_no=f"{county.code}{serial}1" if meat else None,
                slaughter_quarantine_no=f"{county.code}{serial}2" if meat else None,
            ),
            ComplianceData(
                basis=ComplianceBasis.QUALITY_CONTROL,
                contact_phone=product.producer.contact_phone or "13800138000",
                issued_on=produced_on,
            ),
        )
