"""community group-buying (社区团购): leaders and pick-up points, rounds, members' orders, deliveries

Group leaders apply with a pick-up point (decided by the county office); a round offers products until it
closes; each member's order in a round carries running sums (and the round and leader keep roll-ups) and the
delivery it travelled in; producers ship deliveries to the pick-up point. Counters note the refunds of their
sales given back through the payments pages (channels_counter_refund), for the closing report of the day.

Revision ID: 9457a5c1365c
Revises: 4b455290a3e2
Create Date: 2026-12-18 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "9457a5c1365c"
down_revision: str | Sequence[str] | None = "4b455290a3e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "channels_group_leader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("point_name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("opening_hours", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="leaderstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False),
        sa.Column("sales_fen", sa.BigInteger(), nullable=False),
        sa.Column("counted_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "commission_bp >= 0 AND commission_bp <= 10000",
            name=op.f("ck_channels_group_leader_commission_range"),
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["core_region.id"], name=op.f("fk_channels_group_leader_county_id_core_region")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["core_region.id"], name=op.f("fk_channels_group_leader_region_id_core_region")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_channels_group_leader_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_group_leader")),
        sa.UniqueConstraint("user_id", name=op.f("uq_channels_group_leader_user_id")),
    )
    with op.batch_alter_table("channels_group_leader", schema=None) as batch_op:
        batch_op.create_index("ix_channels_group_leader_county_status", ["county_id", "status"], unique=False)

    op.create_table(
        "channels_group_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("closes_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pickup_on", sa.Date(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False),
        sa.Column("sales_fen", sa.BigInteger(), nullable=False),
        sa.Column("counted_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["channels_group_leader.id"],
            name=op.f("fk_channels_group_round_leader_id_channels_group_leader"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_group_round")),
    )
    with op.batch_alter_table("channels_group_round", schema=None) as batch_op:
        batch_op.create_index("ix_channels_group_round_closes_at", ["closes_at"], unique=False)
        batch_op.create_index("ix_channels_group_round_leader", ["leader_id", "id"], unique=False)

    op.create_table(
        "channels_group_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("orders_count", sa.Integer(), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("shipped_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shipped_by_id", sa.Integer(), nullable=True),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_channels_group_delivery_producer_id_catalog_producer"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["core_user.id"],
            name=op.f("fk_channels_group_delivery_received_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["channels_group_round.id"],
            name=op.f("fk_channels_group_delivery_round_id_channels_group_round"),
        ),
        sa.ForeignKeyConstraint(
            ["shipped_by_id"],
            ["core_user.id"],
            name=op.f("fk_channels_group_delivery_shipped_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_group_delivery")),
    )
    with op.batch_alter_table("channels_group_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channels_group_delivery_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index(
            "ix_channels_group_delivery_round_producer", ["round_id", "producer_id"], unique=False
        )

    op.create_table(
        "channels_group_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_channels_group_product_product_id_catalog_product"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["channels_group_round.id"],
            name=op.f("fk_channels_group_product_round_id_channels_group_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_group_product")),
        sa.UniqueConstraint(
            "round_id", "product_id", name=op.f("uq_channels_group_product_round_id_product_id")
        ),
    )
    with op.batch_alter_table("channels_group_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channels_group_product_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "channels_group_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sales_fen", sa.BigInteger(), nullable=False),
        sa.Column("counted_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("handed_out_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_out_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["core_user.id"], name=op.f("fk_channels_group_order_buyer_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["channels_group_delivery.id"],
            name=op.f("fk_channels_group_order_delivery_id_channels_group_delivery"),
        ),
        sa.ForeignKeyConstraint(
            ["handed_out_by_id"],
            ["core_user.id"],
            name=op.f("fk_channels_group_order_handed_out_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["channels_group_leader.id"],
            name=op.f("fk_channels_group_order_leader_id_channels_group_leader"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["shop_order.id"], name=op.f("fk_channels_group_order_order_id_shop_order")
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_channels_group_order_producer_id_catalog_producer"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["channels_group_round.id"],
            name=op.f("fk_channels_group_order_round_id_channels_group_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_group_order")),
        sa.UniqueConstraint("order_id", name=op.f("uq_channels_group_order_order_id")),
    )
    with op.batch_alter_table("channels_group_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_group_order_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_channels_group_order_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_channels_group_order_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index(
            "ix_channels_group_order_producer_round", ["producer_id", "round_id"], unique=False
        )
        batch_op.create_index("ix_channels_group_order_round", ["round_id", "id"], unique=False)

    op.create_table(
        "channels_counter_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("restocked", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("is_counted", sa.Boolean(), nullable=False),
        sa.Column("refunded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 0 AND amount_fen >= 0 AND restocked >= 0",
            name=op.f("ck_channels_counter_refund_values_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["channels_counter.id"],
            name=op.f("fk_channels_counter_refund_counter_id_channels_counter"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_channels_counter_refund_product_id_catalog_product"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["shop_refund.id"], name=op.f("fk_channels_counter_refund_refund_id_shop_refund")
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["channels_counter_sale.id"],
            name=op.f("fk_channels_counter_refund_sale_id_channels_counter_sale"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_counter_refund")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_channels_counter_refund_refund_id")),
    )
    with op.batch_alter_table("channels_counter_refund", schema=None) as batch_op:
        batch_op.create_index("ix_channels_counter_refund_counter_day", ["counter_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_counter_refund_sale_id"), ["sale_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("channels_counter_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_counter_refund_sale_id"))
        batch_op.drop_index("ix_channels_counter_refund_counter_day")

    op.drop_table("channels_counter_refund")
    with op.batch_alter_table("channels_group_order", schema=None) as batch_op:
        batch_op.drop_index("ix_channels_group_order_round")
        batch_op.drop_index("ix_channels_group_order_producer_round")
        batch_op.drop_index(batch_op.f("ix_channels_group_order_leader_id"))
        batch_op.drop_index(batch_op.f("ix_channels_group_order_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_channels_group_order_buyer_id"))

    op.drop_table("channels_group_order")
    with op.batch_alter_table("channels_group_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_group_product_product_id"))

    op.drop_table("channels_group_product")
    with op.batch_alter_table("channels_group_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_channels_group_delivery_round_producer")
        batch_op.drop_index(batch_op.f("ix_channels_group_delivery_producer_id"))

    op.drop_table("channels_group_delivery")
    with op.batch_alter_table("channels_group_round", schema=None) as batch_op:
        batch_op.drop_index("ix_channels_group_round_leader")
        batch_op.drop_index("ix_channels_group_round_closes_at")

    op.drop_table("channels_group_round")
    with op.batch_alter_table("channels_group_leader", schema=None) as batch_op:
        batch_op.drop_index("ix_channels_group_leader_county_status")

    op.drop_table("channels_group_leader")
