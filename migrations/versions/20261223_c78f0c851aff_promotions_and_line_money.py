"""promotions, and the money of each order line: discount by sponsor and amount paid

Order lines record what sponsors took off (``discount_fen``, the part paid by a third party
``sponsored_fen``, one ``shop_line_discount`` row per promotion) and what the buyer paid (``paid_fen``);
existing lines had no discount, so they are filled with their list value. Orders record the goods discount
and the shipping waived; refund lines the sponsors' share taken back. The promotions package's tables:
promotions, their chosen products, each buyer's uses, coupon batches, codes and uses, and the points ledger
with each user's balance.

Revision ID: c78f0c851aff
Revises: 7bba4b848609
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "c78f0c851aff"
down_revision: str | Sequence[str] | None = '7bba4b848609'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "promotions_promotion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "spend_save",
                "percent_off",
                "fixed_off",
                "free_shipping",
                name="promotionkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "paused", name="promotionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "sponsor_kind",
            sa.Enum("platform", "producer", "institution", name="sponsorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_name", sa.String(length=120), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("threshold_fen", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("is_stackable", sa.Boolean(), nullable=False),
        sa.Column(
            "eligibility",
            sa.Enum("everyone", "new_buyers", name="eligibility", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=True),
        sa.Column("budget_fen", sa.Integer(), nullable=False),
        sa.Column("spent_fen", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("chosen_products_only", sa.Boolean(), nullable=False),
        sa.Column("needs_coupon", sa.Boolean(), nullable=False),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "budget_fen > 0 AND spent_fen >= 0 AND spent_fen <= budget_fen",
            name=op.f("ck_promotions_promotion_budget"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promotions_promotion_window")),
        sa.CheckConstraint(
            "per_buyer_limit IS NULL OR per_buyer_limit > 0",
            name=op.f("ck_promotions_promotion_limit_positive"),
        ),
        sa.CheckConstraint(
            "percent IS NULL OR (percent BETWEEN 1 AND 90)",
            name=op.f("ck_promotions_promotion_percent_range"),
        ),
        sa.CheckConstraint(
            "threshold_fen >= 0 AND amount_fen >= 0", name=op.f("ck_promotions_promotion_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_promotion_created_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_promotions_promotion_producer_id_catalog_producer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_promotion")),
    )
    with op.batch_alter_table("promotions_promotion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_promotions_promotion_sponsor", ["sponsor_kind", "sponsor_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_promotions_promotion_status_producer_id", ["status", "producer_id", "ends_at"], unique=False
        )

    op.create_table(
        "promotions_buyer_use",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.CheckConstraint("uses > 0", name=op.f("ck_promotions_buyer_use_uses_positive")),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_buyer_use_buyer_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions_promotion.id"],
            name=op.f("fk_promotions_buyer_use_promotion_id_promotions_promotion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("promotion_id", "buyer_id", name=op.f("pk_promotions_buyer_use")),
    )
    op.create_table(
        "promotions_promotion_product",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_promotions_promotion_product_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions_promotion.id"],
            name=op.f("fk_promotions_promotion_product_promotion_id_promotions_promotion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("promotion_id", "product_id", name=op.f("pk_promotions_promotion_product")),
    )
    with op.batch_alter_table("promotions_promotion_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promotions_promotion_product_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "promotions_coupon_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("claimed", "distributed", name="couponmode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("max_codes", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("uses_per_code", sa.Integer(), nullable=False),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promotions_coupon_batch_window")),
        sa.CheckConstraint(
            "max_codes > 0 AND issued >= 0 AND issued <= max_codes",
            name=op.f("ck_promotions_coupon_batch_codes"),
        ),
        sa.CheckConstraint("uses_per_code > 0", name=op.f("ck_promotions_coupon_batch_uses_positive")),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions_promotion.id"],
            name=op.f("fk_promotions_coupon_batch_promotion_id_promotions_promotion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_coupon_batch")),
    )
    with op.batch_alter_table("promotions_coupon_batch", schema=None) as batch_op:
        batch_op.create_index("ix_promotions_coupon_batch_mode_ends_at", ["mode", "ends_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_promotions_coupon_batch_promotion_id"), ["promotion_id"], unique=False
        )

    op.create_table(
        "promotions_coupon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_promotions_coupon_uses_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["promotions_coupon_batch.id"],
            name=op.f("fk_promotions_coupon_batch_id_promotions_coupon_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_coupon_owner_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_coupon")),
        sa.UniqueConstraint("batch_id", "owner_id", name=op.f("uq_promotions_coupon_batch_id_owner_id")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_coupon_code")),
    )
    with op.batch_alter_table("promotions_coupon", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotions_coupon_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "promotions_coupon_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("checkout_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["promotions_coupon.id"],
            name=op.f("fk_promotions_coupon_use_coupon_id_promotions_coupon"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_coupon_use")),
        sa.UniqueConstraint("checkout_key", name=op.f("uq_promotions_coupon_use_checkout_key")),
    )
    with op.batch_alter_table("promotions_coupon_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotions_coupon_use_coupon_id"), ["coupon_id"], unique=False)

    op.create_table(
        "promotions_points_account",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_promotions_points_account_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_points_account_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_promotions_points_account")),
    )
    op.create_table(
        "promotions_points_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "earned", "spent", "expired", "clawed_back", name="pointskind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_promotions_points_entry_points_not_zero")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_points_entry_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_points_entry")),
        sa.UniqueConstraint(
            "kind", "source", "source_id", name=op.f("uq_promotions_points_entry_kind_source_source_id")
        ),
    )
    with op.batch_alter_table("promotions_points_entry", schema=None) as batch_op:
        batch_op.create_index("ix_promotions_points_entry_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_promotions_points_entry_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "shop_line_discount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column(
            "sponsor_kind",
            sa.Enum("platform", "producer", "institution", name="sponsorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_shop_line_discount_amount_positive")),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["shop_order_line.id"],
            name=op.f("fk_shop_line_discount_line_id_shop_order_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_line_discount")),
    )
    with op.batch_alter_table("shop_line_discount", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_line_discount_line_id"), ["line_id"], unique=False)
        batch_op.create_index("ix_shop_line_discount_promotion_id", ["promotion_id"], unique=False)

    # Orders and their lines are parents of tables whose rows go with them (ON DELETE CASCADE): SQLite cannot
    # add a CHECK without rebuilding a table, and dropping the old table would delete those rows. So the
    # columns are added in place everywhere, and the checks only where ALTER TABLE can add them (PostgreSQL).
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("shop_order", sa.Column("discount_fen", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "shop_order", sa.Column("shipping_discount_fen", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("shop_order", sa.Column("shipping_promotion_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_shop_order_shipping_promotion_id"), "shop_order", ["shipping_promotion_id"], unique=False
    )
    op.add_column(
        "shop_order_line", sa.Column("discount_fen", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "shop_order_line", sa.Column("sponsored_fen", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("shop_order_line", sa.Column("paid_fen", sa.Integer(), server_default="0", nullable=False))
    # every line written before had no discount: the buyer paid its list value
    op.execute("UPDATE shop_order_line SET paid_fen = quantity * unit_price_fen")
    if postgresql:
        op.alter_column("shop_order_line", "paid_fen", server_default=None)
        op.create_check_constraint(
            op.f("ck_shop_order_discounts_not_negative"),
            "shop_order",
            "discount_fen >= 0 AND shipping_discount_fen >= 0",
        )
        op.create_check_constraint(
            op.f("ck_shop_order_line_money_adds_up"),
            "shop_order_line",
            "paid_fen >= 0 AND discount_fen >= 0 AND sponsored_fen >= 0 AND sponsored_fen <= discount_fen"
            " AND paid_fen + discount_fen = quantity * unit_price_fen",
        )

    with op.batch_alter_table("shop_refund_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sponsored_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_shop_refund_line_sponsored_fen_not_negative"), "sponsored_fen >= 0"
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("shop_refund_line", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shop_refund_line_sponsored_fen_not_negative"), type_="check")
        batch_op.drop_column("sponsored_fen")

    # in place, as the upgrade added them (SQLite drops columns itself since 3.35; no table is rebuilt)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_shop_order_line_money_adds_up"), "shop_order_line", type_="check")
        op.drop_constraint(op.f("ck_shop_order_discounts_not_negative"), "shop_order", type_="check")
    for column in ("paid_fen", "sponsored_fen", "discount_fen"):
        op.drop_column("shop_order_line", column)
    op.drop_index(op.f("ix_shop_order_shipping_promotion_id"), table_name="shop_order")
    for column in ("shipping_promotion_id", "shipping_discount_fen", "discount_fen"):
        op.drop_column("shop_order", column)

    with op.batch_alter_table("shop_line_discount", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_line_discount_promotion_id")
        batch_op.drop_index(batch_op.f("ix_shop_line_discount_line_id"))

    op.drop_table("shop_line_discount")
    with op.batch_alter_table("promotions_points_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_promotions_points_entry_user_id_id")
        batch_op.drop_index("ix_promotions_points_entry_expires_at")

    op.drop_table("promotions_points_entry")
    op.drop_table("promotions_points_account")
    with op.batch_alter_table("promotions_coupon_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_coupon_use_coupon_id"))

    op.drop_table("promotions_coupon_use")
    with op.batch_alter_table("promotions_coupon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_coupon_owner_id"))

    op.drop_table("promotions_coupon")
    with op.batch_alter_table("promotions_coupon_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_coupon_batch_promotion_id"))
        batch_op.drop_index("ix_promotions_coupon_batch_mode_ends_at")

    op.drop_table("promotions_coupon_batch")
    with op.batch_alter_table("promotions_promotion_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_promotion_product_product_id"))

    op.drop_table("promotions_promotion_product")
    op.drop_table("promotions_buyer_use")
    with op.batch_alter_table("promotions_promotion", schema=None) as batch_op:
        batch_op.drop_index("ix_promotions_promotion_status_producer_id")
        batch_op.drop_index("ix_promotions_promotion_sponsor")

    op.drop_table("promotions_promotion")
