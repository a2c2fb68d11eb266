"""Committed test data for tests that need other connections or processes to see it, and its clean-up.

Fault tests run real transactions (separate engines, subprocesses, a live server), so the usual rolled-back
test transaction cannot hold their data. :func:`seed` commits a certified product of a 疏勒县 cooperative
with batches and buyers under unique names; :func:`clean_up` deletes every row that hangs off them again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from catalog.products.models import (
    Category,
    Certification,
    CertificationStatus,
    Product,
    Unit,
)
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from orders.addresses import Address
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    Order,
    OrderLine,
    Rating,
)
from orders.reviews.models import ProducerRatingSummary, ProductRatingSummary, RatingReply
from oversight.aftersales.models import AftersalesLine, AftersalesRequest
from oversight.complaints.models import Complaint
from payments.models import Payment
from settlement.benefit.models import BenefitLine, BenefitReport
from settlement.payees.models import PayeeAccount
from settlement.payouts.models import Payout
from settlement.statements.models import Statement
from stats.ledger import (
    ENTRY_TABLE,
    ROLLUPS,
    EntryRow,
    fold_rollup,
    rollup_rows,
)
from stats.models import SalesEntry
from tests.support import delete_trace_events
from traceability.batches.services import BatchData, create_batch
from traceability.models import Batch, BatchLink, ComplianceCertificate, SerialScan, SerialUnit

ADDRESS = Address("王芳", "13812345678", "500000", "重庆市", "九龙坡区", "杨家坪正街 8 号 2 单元 301")


@dataclass
class Committed:
    """Ids of what :func:`seed` committed."""

    tag: str
    owner_id: int
    producer_id: int
    product_id: int
    batch_ids: list[int]
    lots: list[str]
    buyer_ids: list[int]
    extra_batch_ids: list[int] = field(default_factory=list)

    @property
    def user_ids(self) -> list[int]:
        """The owner and the buyers."""
        return [self.owner_id, *self.buyer_ids]


def seed(engine: Engine, quantities: tuple[int, ...] = (5,), buyers: int = 1) -> Committed:
    """Commit a certified jujube product with one batch per quantity (later batches expire sooner)."""
    tag = uuid.uuid4().hex[:10]
    today = shanghai_date()
    with Session(engine) as session:
        owner = User(email=f"fault-owner-{tag}@example.test", display_name="合作社负责人", password_hash="!")
        people = [
            User(email=f"fault-{tag}-{i}@example.test", display_name="买家", password_hash="!")
            for i in range(buyers)
        ]
        county = get_region(session, "653122")
        assert county is not None
        producer = Producer(
            name=f"疏勒县故障测试合作社{tag}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer,
            name="疏勒县灰枣",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=1000,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-F-{tag}",
                authority="疏勒县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        session.add_all([owner, *people, producer, product])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batches = [
            create_batch(
                session,
                owner,
                product,
                BatchData(quantity, today - timedelta(days=1), today + timedelta(days=90 - i), origin=origin),
            )
            for i, quantity in enumerate(quantities)
        ]
        session.commit()
        return Committed(
            tag=tag,
            owner_id=owner.id,
            producer_id=producer.id,
            product_id=product.id,
            batch_ids=[b.id for b in batches],
            lots=[b.lot_code for b in batches],
            buyer_ids=[b.id for b in people],
        )


def clean_up(engine: Engine, data: Committed) -> None:
    """Delete every row hanging off ``data``, children first."""
    batch_ids = [*data.batch_ids, *data.extra_batch_ids]
    with Session(engine) as session:
        batch_ids += list(
            session.scalars(
                select(Batch.id).where(Batch.producer_id == data.producer_id, Batch.id.not_in(batch_ids))
            )
        )
        checkout_ids = select(Checkout.id).where(Checkout.buyer_id.in_(data.user_ids))
        order_ids = select(Order.id).where(
            or_(Order.checkout_id.in_(checkout_ids), Order.producer_id == data.producer_id)
        )
        line_ids = select(OrderLine.id).where(OrderLine.order_id.in_(order_ids))
        rating_ids = select(Rating.id).where(
            or_(Rating.line_id.in_(line_ids), Rating.producer_id == data.producer_id)
        )
        session.execute(delete(RatingReply).where(RatingReply.rating_id.in_(rating_ids)))
        session.execute(delete(Rating).where(Rating.id.in_(rating_ids)))
        # complaints point at the producer, its products, lots and orders, and at their reporters
        session.execute(
            delete(Complaint).where(
                or_(
                    Complaint.producer_id == data.producer_id,
                    Complaint.reporter_id.in_(data.user_ids),
                    Complaint.order_id.in_(order_ids),
                )
            )
        )
        # after-sales requests point at the orders, their lines, the buyers and the producer
        request_ids = select(AftersalesRequest.id).where(
            or_(
                AftersalesRequest.order_id.in_(order_ids),
                AftersalesRequest.buyer_id.in_(data.user_ids),
                AftersalesRequest.producer_id == data.producer_id,
            )
        )
        session.execute(delete(AftersalesLine).where(AftersalesLine.request_id.in_(request_ids)))
        session.execute(delete(AftersalesRequest).where(AftersalesRequest.id.in_(request_ids)))
        session.execute(
            delete(Allocation).where(
                or_(Allocation.line_id.in_(line_ids), Allocation.batch_id.in_(batch_ids))
            )
        )
        session.execute(delete(OrderLine).where(OrderLine.id.in_(line_ids)))
        session.execute(delete(Order).where(Order.id.in_(order_ids)))
        session.execute(delete(Payment).where(Payment.checkout_id.in_(checkout_ids)))
        session.execute(delete(Checkout).where(Checkout.id.in_(checkout_ids)))
        session.execute(delete(Notification).where(Notification.user_id.in_(data.user_ids)))
        session.execute(delete(CartItem).where(CartItem.user_id.in_(data.user_ids)))
        session.execute(delete(AuditEntry).where(AuditEntry.actor_id.in_(data.user_ids)))
        unit_ids = select(SerialUnit.id).where(SerialUnit.batch_id.in_(batch_ids))
        session.execute(delete(SerialScan).where(SerialScan.serial_unit_id.in_(unit_ids)))
        session.execute(delete(SerialUnit).where(SerialUnit.batch_id.in_(batch_ids)))
        session.execute(
            delete(BatchLink).where(
                or_(BatchLink.parent_id.in_(batch_ids), BatchLink.child_id.in_(batch_ids))
            )
        )
        delete_trace_events(session, list(batch_ids))
        session.execute(delete(ComplianceCertificate).where(ComplianceCertificate.batch_id.in_(batch_ids)))
        session.execute(delete(Batch).where(Batch.id.in_(batch_ids)))
        remove_sales(session, data.producer_id)
        session.execute(delete(Payout).where(Payout.producer_id == data.producer_id))
        session.execute(delete(Statement).where(Statement.producer_id == data.producer_id))
        session.execute(delete(PayeeAccount).where(PayeeAccount.producer_id == data.producer_id))
        report_ids = select(BenefitReport.id).where(BenefitReport.producer_id == data.producer_id)
        session.execute(delete(BenefitLine).where(BenefitLine.report_id.in_(report_ids)))
        session.execute(delete(BenefitReport).where(BenefitReport.producer_id == data.producer_id))
        product_ids = select(Product.id).where(Product.producer_id == data.producer_id)
        session.execute(delete(ProductRatingSummary).where(ProductRatingSummary.product_id.in_(product_ids)))
        session.execute(
            delete(ProducerRatingSummary).where(ProducerRatingSummary.producer_id == data.producer_id)
        )
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.producer_id == data.producer_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the flush hook that keeps the counters
        session.commit()


def remove_sales(session: Session, producer_id: int) -> None:
    """Delete the producer's ledger entries and take them out of the roll-ups again, touching nothing else.

    A roll-up that keeps the producer apart loses its rows. One that sums every producer of a county (other
    tests' sales too) has what the entries added subtracted, and a row left summing nothing is deleted.
    """
    names = list(EntryRow.__dataclass_fields__)
    columns = [ENTRY_TABLE.c[name] for name in names]
    rows = session.execute(select(*columns).where(SalesEntry.producer_id == producer_id))
    daily = rollup_rows(EntryRow(**dict(zip(names, values, strict=True))) for values in rows)
    for rollup in ROLLUPS:
        table = rollup.table
        if "producer_id" in rollup.dimensions:
            session.execute(delete(table).where(table.c.producer_id == producer_id))
            continue
        for (day, dims), total in sorted(fold_rollup(daily, rollup).items()):
            key = (table.c.day == day, table.c.dims == dims)
            session.execute(
                update(table)
                .where(*key)
                .values(
                    amount_fen=table.c.amount_fen - total["amount_fen"],
                    quantity=table.c.quantity - total["quantity"],
                    entries=table.c.entries - total["entries"],
                )
            )
            session.execute(delete(table).where(*key, table.c.entries == 0))
    session.execute(delete(SalesEntry).where(SalesEntry.producer_id == producer_id))


def assert_consistent(engine: Engine, data: Committed) -> int:
    """Assert that no checkout was half-written and no stock was lost; return how many checkouts exist.

    Every checkout has orders, every order lines, every line allocations adding up to its quantity, every
    allocation an order, and each batch's stock taken equals what is allocated from it.
    """
    with Session(engine) as session:
        checkouts = session.scalars(select(Checkout.id).where(Checkout.buyer_id.in_(data.buyer_ids))).all()
        orders = session.scalars(select(Order).where(Order.checkout_id.in_(checkouts))).all()
        assert {o.checkout_id for o in orders} == set(checkouts), "a checkout without its order"
        for order in orders:
            assert order.lines, f"order {order.number} has no lines"
            for line in order.lines:
                allocated = session.scalar(
                    select(func.coalesce(func.sum(Allocation.quantity), 0)).where(
                        Allocation.line_id == line.id
                    )
                )
                assert allocated == line.quantity, f"line {line.id}: {allocated} allocated of {line.quantity}"
        orphans = session.scalar(
            select(func.count(Allocation.id))
            .outerjoin(OrderLine, OrderLine.id == Allocation.line_id)
            .outerjoin(Order, Order.id == OrderLine.order_id)
            .where(Allocation.batch_id.in_(data.batch_ids), Order.id.is_(None))
        )
        assert orphans == 0, "an allocation without its order"
        for batch in session.scalars(select(Batch).where(Batch.id.in_(data.batch_ids))):
            allocated = session.scalar(
                select(func.coalesce(func.sum(Allocation.quantity), 0)).where(Allocation.batch_id == batch.id)
            )
            assert batch.quantity_available >= 0
            assert batch.quantity - batch.quantity_available == allocated, (
                f"batch {batch.lot_code} lost stock"
            )
        return len(checkouts)
