"""promotions: 满赠 gifts, points + cash flash sales, who may use a promotion, points for assistance actions

- 满赠: a promotion may give ``gift_quantity`` units of ``gift_product_id``; an order line may be a gift
  (``is_gift``: drawn from batches, discounted in full by the promotion's sponsor).
- Points + cash flash sales: a unit may cost ``cash_fen`` on top of its points; each purchase has a state
  (``spent`` for points only, ``reserved`` → ``paid`` or ``returned`` for points + cash).
- Who may use a promotion or flash sale: everyone, new buyers, staff of an institution
  (``eligible_institution_id``), or invited buyers (``promotions_invitation``: one code, claimed once).
- Points for assistance actions: ``promotions_points_action`` says how many points each action earns.

New columns are added in place (``ALTER TABLE … ADD COLUMN``), never by copying a table: on SQLite, dropping
``promotions_promotion`` or ``shop_order_line`` to copy them would cascade to their coupons, allocations and
discounts. A new CHECK constraint on an existing SQLite table is written into its stored schema (as
revision 892e8c0b98c3 does).

Revision ID: 6f5f0898cbcb
Revises: f6de17bf8af8
Create Date: 2026-12-26 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "6f5f0898cbcb"
down_revision: str | Sequence[str] | None = "f6de17bf8af8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    """Whether the migration runs on SQLite."""
    return op.get_bind().dialect.name == "sqlite"


def _rewrite_schema(table: str, before: str, after: str) -> None:
    """Replace ``before`` by ``after`` in SQLite's stored schema of ``table``, in place: SQLite documents
    editing ``sqlite_schema`` (schema version bumped) for constraints; the stored rows are not touched."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar()
    if sql is None or before not in sql:
        raise RuntimeError(f"{table}: schema not found as expected")
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (sql.replace(before, after, 1) if before != ")" else sql.rstrip()[:-1] + after + ")", table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _add_check(table: str, name: str, condition: str) -> None:
    """Add a CHECK constraint to an existing table."""
    if _sqlite():
        _rewrite_schema(table, ")", f", \n\tCONSTRAINT {name} CHECK ({condition})\n")
    else:
        op.create_check_constraint(name, table, condition)


def _drop_check(table: str, name: str, condition: str) -> None:
    """Drop a CHECK constraint added by :func:`_add_check`."""
    if _sqlite():
        _rewrite_schema(table, f", \n\tCONSTRAINT {name} CHECK ({condition})\n", "")
    else:
        op.drop_constraint(name, table, type_="check")


def _add_reference(table: str, column: str, target: str, name: str) -> None:
    """Add a nullable integer column referencing ``target.id`` (on SQLite the column in place, then its
    foreign key written into the stored schema: SQLite checks foreign keys when rows change)."""
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    if _sqlite():
        _rewrite_schema(
            table, ")", f", \n\tCONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {target} (id)\n"
        )
    else:
        op.create_foreign_key(name, table, target, [column], ["id"])


def _drop_reference(table: str, column: str, target: str, name: str) -> None:
    """Drop a column added by :func:`_add_reference`."""
    if _sqlite():
        _rewrite_schema(
            table, f", \n\tCONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {target} (id)\n", ""
        )
    else:
        op.drop_constraint(name, table, type_="foreignkey")
    op.drop_column(table, column)


def upgrade() -> None:
    # 满赠
    _add_reference(
        "promotions_promotion",
        "gift_product_id",
        "catalog_product",
        "fk_promotions_promotion_gift_product_id_catalog_product",
    )
    op.add_column("promotions_promotion", sa.Column("gift_quantity", sa.Integer(), nullable=True))
    _add_check(
        "promotions_promotion",
        "ck_promotions_promotion_gift_quantity_positive",
        "gift_quantity IS NULL OR gift_quantity > 0",
    )
    op.add_column(
        "shop_order_line", sa.Column("is_gift", sa.Boolean(), nullable=False, server_default=sa.false())
    )

    # points + cash flash sales
    op.add_column(
        "promotions_flash_sale", sa.Column("cash_fen", sa.Integer(), nullable=False, server_default="0")
    )
    _add_check("promotions_flash_sale", "ck_promotions_flash_sale_cash_not_negative", "cash_fen >= 0")
    op.add_column(
        "promotions_flash_purchase",
        sa.Column(
            "state",
            sa.Enum(
                "spent", "reserved", "paid", "returned", name="purchasestate", native_enum=False, length=16
            ),
            nullable=False,
            server_default="spent",
        ),
    )

    # who may use it
    _add_reference(
        "promotions_promotion",
        "eligible_institution_id",
        "shop_institution",
        "fk_promotions_promotion_eligible_institution",
    )
    op.add_column(
        "promotions_flash_sale",
        sa.Column(
            "eligibility",
            sa.Enum(
                "everyone", "new_buyers", "staff", "invited", name="eligibility", native_enum=False, length=16
            ),
            nullable=False,
            server_default="everyone",
        ),
    )
    _add_reference(
        "promotions_flash_sale",
        "eligible_institution_id",
        "shop_institution",
        "fk_promotions_flash_sale_eligible_institution",
    )
    op.create_table(
        "promotions_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=True),
        sa.Column("flash_sale_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(promotion_id IS NULL) <> (flash_sale_id IS NULL)",
            name=op.f("ck_promotions_invitation_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["flash_sale_id"],
            ["promotions_flash_sale.id"],
            name=op.f("fk_promotions_invitation_flash_sale_id_promotions_flash_sale"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions_promotion.id"],
            name=op.f("fk_promotions_invitation_promotion_id_promotions_promotion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_invitation_user_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions_invitation")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_invitation_code")),
    )
    op.create_index(
        "ix_promotions_invitation_promotion_user", "promotions_invitation", ["promotion_id", "user_id"]
    )
    op.create_index(
        "ix_promotions_invitation_flash_sale_user", "promotions_invitation", ["flash_sale_id", "user_id"]
    )


    # points for assistance actions
    op.create_table(
        "promotions_points_action",
        sa.Column(
            "action",
            sa.Enum("first_rating", "staff_purchase", name="assistanceaction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "points >= 0 AND points <= 100000", name=op.f("ck_promotions_points_action_points_range")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["core_user.id"],
            name=op.f("fk_promotions_points_action_updated_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("action", name=op.f("pk_promotions_points_action")),
    )


def downgrade() -> None:
    op.drop_table("promotions_points_action")
    op.drop_index("ix_promotions_invitation_flash_sale_user", table_name="promotions_invitation")
    op.drop_index("ix_promotions_invitation_promotion_user", table_name="promotions_invitation")
    op.drop_table("promotions_invitation")
    _drop_reference(
        "promotions_flash_sale",
        "eligible_institution_id",
        "shop_institution",
        "fk_promotions_flash_sale_eligible_institution",
    )
    op.drop_column("promotions_flash_sale", "eligibility")
    _drop_reference(
        "promotions_promotion",
        "eligible_institution_id",
        "shop_institution",
        "fk_promotions_promotion_eligible_institution",
    )
    op.drop_column("promotions_flash_purchase", "state")
    _drop_check("promotions_flash_sale", "ck_promotions_flash_sale_cash_not_negative", "cash_fen >= 0")
    op.drop_column("promotions_flash_sale", "cash_fen")
    op.drop_column("shop_order_line", "is_gift")
    _drop_check(
        "promotions_promotion",
        "ck_promotions_promotion_gift_quantity_positive",
        "gift_quantity IS NULL OR gift_quantity > 0",
    )
    op.drop_column("promotions_promotion", "gift_quantity")
    _drop_reference(
        "promotions_promotion",
        "gift_product_id",
        "catalog_product",
        "fk_promotions_promotion_gift_product_id_catalog_product",
    )
