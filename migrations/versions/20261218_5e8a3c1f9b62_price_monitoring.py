"""oversight: price monitoring

Every change of a product's retail price (oversight_price_change), backfilled with each product's current
price as its first row (no old price, no author, at the product's last update); reference prices per category
and unit in a county or platform-wide, or per product (oversight_reference_price); price alerts with their
state (oversight_price_alert, at most one active per product and kind). The catalog's products get an index
on (category, unit, county) for the products a reference governs; supplier lines keep the reference price
they were ordered above (flagged on the purchase order).

Revision ID: 5e8a3c1f9b62
Revises: 2b8d6f0a4c71
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "5e8a3c1f9b62"
down_revision: str | Sequence[str] | None = '2b8d6f0a4c71'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "oversight_price_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("open_product_id", sa.Integer(), nullable=True),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("above_reference", "sharp_rise", name="alertkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "explained",
                "corrected",
                "dismissed",
                name="alertstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("compared_fen", sa.Integer(), nullable=False),
        sa.Column("raised_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("asked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("explained_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_oversight_price_alert_price_positive")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["core_user.id"],
            name=op.f("fk_oversight_price_alert_closed_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_oversight_price_alert_producer_id_catalog_producer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_oversight_price_alert_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_price_alert")),
        sa.UniqueConstraint("open_product_id", "kind", name="uq_oversight_price_alert_active"),
    )
    with op.batch_alter_table("oversight_price_alert", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oversight_price_alert_county_status", ["county_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_oversight_price_alert_producer_status", ["producer_id", "status", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_oversight_price_alert_product_id"), ["product_id"], unique=False)
        batch_op.create_index("ix_oversight_price_alert_status", ["status", "id"], unique=False)

    op.create_table(
        "oversight_price_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("old_fen", sa.Integer(), nullable=True),
        sa.Column("new_fen", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "new_fen > 0 AND (old_fen IS NULL OR old_fen > 0)",
            name=op.f("ck_oversight_price_change_prices_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["core_user.id"],
            name=op.f("fk_oversight_price_change_changed_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_oversight_price_change_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_price_change")),
    )
    with op.batch_alter_table("oversight_price_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oversight_price_change_product_at", ["product_id", "changed_at", "id"], unique=False
        )

    op.create_table(
        "oversight_reference_price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("county_key", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "vegetables",
                "fruit",
                "meat",
                "eggs",
                "poultry",
                "aquatic",
                "dried_fruit_nuts",
                "grain",
                "mushrooms",
                "honey",
                "tea",
                "herbs",
                "processed",
                "other",
                name="category",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit",
            sa.Enum("kg", "jin", "piece", "box", name="unit", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_key", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("reviewer", "import", name="referencesource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_oversight_reference_price_price_positive")),
        sa.ForeignKeyConstraint(
            ["county_id"], ["core_region.id"], name=op.f("fk_oversight_reference_price_county_id_core_region")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_oversight_reference_price_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["core_user.id"],
            name=op.f("fk_oversight_reference_price_set_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_reference_price")),
        sa.UniqueConstraint(
            "county_key", "category", "unit", "product_key", name="uq_oversight_reference_price_scope"
        ),
    )
    with op.batch_alter_table("catalog_product", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_product_category_unit", ["category", "unit", "county_id"], unique=False
        )

    with op.batch_alter_table("shop_supplier_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_price_fen", sa.Integer(), nullable=True))

    # every product's current price is its first history row
    op.execute(
        "INSERT INTO oversight_price_change (product_id, old_fen, new_fen, changed_by_id, changed_at) "
        "SELECT id, NULL, price_fen, NULL, updated_at FROM catalog_product"
    )


def downgrade() -> None:
    """Revert this revision."""
    # ALTER TABLE … DROP COLUMN, never a copy: dropping the old table with foreign keys on would cascade.
    with op.batch_alter_table("shop_supplier_line", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reference_price_fen")

    with op.batch_alter_table("catalog_product", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_product_category_unit")

    op.drop_table("oversight_reference_price")
    with op.batch_alter_table("oversight_price_change", schema=None) as batch_op:
        batch_op.drop_index("ix_oversight_price_change_product_at")

    op.drop_table("oversight_price_change")
    with op.batch_alter_table("oversight_price_alert", schema=None) as batch_op:
        batch_op.drop_index("ix_oversight_price_alert_status")
        batch_op.drop_index(batch_op.f("ix_oversight_price_alert_product_id"))
        batch_op.drop_index("ix_oversight_price_alert_producer_status")
        batch_op.drop_index("ix_oversight_price_alert_county_status")

    op.drop_table("oversight_price_alert")
