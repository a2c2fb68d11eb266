"""flash sales (积分抢购): sales, each buyer's count, each purchase; refunds of points-only orders

A flash sale sells a fixed number of units for points between two moments, with a limit per buyer; each
purchase records the paid order it made and the points it cost. An order paid with points alone has
nothing in money to give back: its checkout's total is 0 (allowed only for the ``points`` method) and a
refund of it records 0 (the units and points go back). Going down needs no points-paid checkout left (the
old rule refuses them); refunds of 0 are deleted.

Revision ID: 892e8c0b98c3
Revises: 4175987c6fd2
Create Date: 2026-12-17 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "892e8c0b98c3"
down_revision: str | Sequence[str] | None = '4175987c6fd2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, constraint before, constraint after): the checks this revision relaxes.
CHECKS = (
    (
        "shop_checkout",
        ("ck_shop_checkout_total_positive", "total_fen > 0"),
        ("ck_shop_checkout_total_positive", "total_fen > 0 OR (total_fen = 0 AND method = 'points')"),
    ),
    (
        "shop_refund",
        ("ck_shop_refund_amount_positive", "amount_fen > 0"),
        ("ck_shop_refund_amount_not_negative", "amount_fen >= 0"),
    ),
)


def _sqlite_rewrite_check(table: str, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Rewrite one CHECK constraint in SQLite's stored schema, in place.

    Never a copy of the table: dropping shop_checkout or shop_refund with foreign keys on would fail or
    cascade to their orders and refund lines. SQLite documents editing ``sqlite_schema`` (with the schema
    version bumped) for changing CHECK constraints, which does not touch the stored rows.
    """
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar()
    before = f"CONSTRAINT {old[0]} CHECK ({old[1]})"
    if sql is None or before not in sql:
        raise RuntimeError(f"{table}: constraint {old[0]} not found as expected")
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (sql.replace(before, f"CONSTRAINT {new[0]} CHECK ({new[1]})"), table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _relax_or_restore(upgrade: bool) -> None:
    """Relax (``upgrade``) or restore the checks of :data:`CHECKS`."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, before, after in CHECKS:
        old, new = (before, after) if upgrade else (after, before)
        if sqlite:
            _sqlite_rewrite_check(table, old, new)
        else:
            op.drop_constraint(op.f(old[0]), table, type_="check")
            op.create_check_constraint(op.f(new[0]), table, new[1])


def upgrade() -> None:
    op.create_table(
        "promotions_flash_sale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("points_price", sa.Integer(), nullable=False),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=False),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "sponsor_kind",
            sa.Enum("platform", "producer", "institution", name="sponsorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_name", sa.String(length=120), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_promotions_flash_sale_units_positive")),
        sa.CheckConstraint(
            "sold >= 0 AND sold <= units", name=op.f("ck_promotions_flash_sale_sold_within_units")
        ),
        sa.CheckConstraint("points_price > 0", name=op.f("ck_promotions_flash_sale_points_positive")),
        sa.CheckConstraint("per_buyer_limit > 0", name=op.f("ck_promotions_flash_sale_limit_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promotions_flash_sale_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_flash_sale_created_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_promotions_flash_sale_producer_id_catalog_producer"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_promotions_flash_sale_product_id_catalog_product"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_flash_sale")),
    )
    with op.batch_alter_table("promotions_flash_sale", schema=None) as batch_op:
        batch_op.create_index("ix_promotions_flash_sale_ends_at", ["ends_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_promotions_flash_sale_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_promotions_flash_sale_product_id"), ["product_id"], unique=False)
    op.create_table(
        "promotions_flash_buyer",
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bought", sa.Integer(), nullable=False),
        sa.CheckConstraint("bought >= 0", name=op.f("ck_promotions_flash_buyer_bought_not_negative")),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["promotions_flash_sale.id"],
            name=op.f("fk_promotions_flash_buyer_sale_id_promotions_flash_sale"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_flash_buyer_user_id_core_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sale_id", "user_id", name=op.f("pk_promotions_flash_buyer")),
    )
    op.create_table(
        "promotions_flash_purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["shop_order.id"], name=op.f("fk_promotions_flash_purchase_order_id_shop_order")
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["promotions_flash_sale.id"],
            name=op.f("fk_promotions_flash_purchase_sale_id_promotions_flash_sale"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_promotions_flash_purchase_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_flash_purchase")),
        sa.UniqueConstraint("order_id", name=op.f("uq_promotions_flash_purchase_order_id")),
    )
    with op.batch_alter_table("promotions_flash_purchase", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotions_flash_purchase_sale_id"), ["sale_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promotions_flash_purchase_user_id"), ["user_id"], unique=False)
    _relax_or_restore(upgrade=True)


def downgrade() -> None:
    # a refund of 0 (a points-only order) cannot stay under the old rule: those refunds go with the sales
    op.execute(
        "DELETE FROM shop_refund_line WHERE refund_id IN (SELECT id FROM shop_refund WHERE amount_fen = 0)"
    )
    op.execute("DELETE FROM shop_refund WHERE amount_fen = 0")
    _relax_or_restore(upgrade=False)
    with op.batch_alter_table("promotions_flash_purchase", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_flash_purchase_user_id"))
        batch_op.drop_index(batch_op.f("ix_promotions_flash_purchase_sale_id"))
    op.drop_table("promotions_flash_purchase")
    op.drop_table("promotions_flash_buyer")
    with op.batch_alter_table("promotions_flash_sale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_flash_sale_product_id"))
        batch_op.drop_index(batch_op.f("ix_promotions_flash_sale_producer_id"))
        batch_op.drop_index("ix_promotions_flash_sale_ends_at")
    op.drop_table("promotions_flash_sale")
