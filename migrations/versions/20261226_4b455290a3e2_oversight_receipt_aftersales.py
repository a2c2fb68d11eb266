"""after-sales for institutions' receipts: a request names a consumer's order or an institution's delivery;
units refused at inspection are recorded at receipt

``oversight_aftersales`` gains ``supplier_order_id`` (unique: one request per delivery, ever) and
``reason_code`` (shortfall or rejected), and its ``order_id`` may be empty; ``oversight_aftersales_line``
gains ``supplier_line_id`` and its ``line_id`` may be empty; ``shop_supplier_line`` gains
``rejected_quantity`` (units refused at inspection, 0 for every existing receipt). On SQLite the NOT NULLs are relaxed by editing
the stored schema in place (as 892e8c0b98c3 does for CHECKs): copying either table with foreign keys on would
cascade to its lines. Going down deletes the delivery requests (nothing outside these tables refers to them).

Revision ID: 4b455290a3e2
Revises: 892e8c0b98c3
Create Date: 2026-12-26 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b455290a3e2"
down_revision: str | Sequence[str] | None = "892e8c0b98c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column made nullable, new column, the table its new column refers to)
CHANGES = (
    ("oversight_aftersales", "order_id", "supplier_order_id", "shop_supplier_order"),
    ("oversight_aftersales_line", "line_id", "supplier_line_id", "shop_supplier_line"),
)


def _sqlite_rewrite(table: str, pairs: Sequence[tuple[str, str]]) -> None:
    """Replace text in one table's stored SQLite schema, in place (the rows are not touched)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar()
    for old, new in pairs:
        if sql is None or old not in sql:
            raise RuntimeError(f"{table}: {old!r} not found as expected")
        sql = sql.replace(old, new)
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _column_sql(table: str, added: str, target: str) -> str:
    """How SQLite stores the added column with its named foreign key."""
    return f"{added} INTEGER CONSTRAINT fk_{table}_{added}_{target} REFERENCES {target} (id)"


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "shop_supplier_line", sa.Column("rejected_quantity", sa.Integer(), server_default="0", nullable=False)
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, nullable, added, target in CHANGES:
        if sqlite:  # alembic adds no named constraint on SQLite: the column carries it
            op.execute(f"ALTER TABLE {table} ADD COLUMN {_column_sql(table, added, target)}")
        else:
            op.add_column(table, sa.Column(added, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(f"fk_{table}_{added}_{target}"), table, target, [added], ["id"])
        if sqlite:
            _sqlite_rewrite(table, [(f"{nullable} INTEGER NOT NULL,", f"{nullable} INTEGER,")])
        else:
            op.alter_column(table, nullable, existing_type=sa.Integer(), nullable=True)
    op.add_column(
        "oversight_aftersales",
        sa.Column(
            "reason_code",
            sa.Enum("shortfall", "rejected", name="receiptreason", native_enum=False, length=16),
            nullable=True,
        ),
    )
    op.create_index(
        "uq_oversight_aftersales_supplier_order_id",
        "oversight_aftersales",
        ["supplier_order_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_oversight_aftersales_line_supplier_line_id"),
        "oversight_aftersales_line",
        ["supplier_line_id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision (the delivery requests and their lines are deleted)."""
    op.execute("DELETE FROM oversight_aftersales_line WHERE supplier_line_id IS NOT NULL")
    op.execute(
        "DELETE FROM oversight_aftersales_line WHERE request_id IN "
        "(SELECT id FROM oversight_aftersales WHERE supplier_order_id IS NOT NULL)"
    )
    op.execute("DELETE FROM oversight_aftersales WHERE supplier_order_id IS NOT NULL")
    op.drop_index(op.f("ix_oversight_aftersales_line_supplier_line_id"), "oversight_aftersales_line")
    op.drop_index("uq_oversight_aftersales_supplier_order_id", "oversight_aftersales")
    op.drop_column("oversight_aftersales", "reason_code")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, nullable, added, target in CHANGES:
        if sqlite:  # SQLite drops no column a foreign key names: forget the clause first
            _sqlite_rewrite(
                table,
                [
                    (_column_sql(table, added, target), f"{added} INTEGER"),
                    (f"{nullable} INTEGER,", f"{nullable} INTEGER NOT NULL,"),
                ],
            )
        else:
            op.drop_constraint(op.f(f"fk_{table}_{added}_{target}"), table, type_="foreignkey")
            op.alter_column(table, nullable, existing_type=sa.Integer(), nullable=False)
        op.drop_column(table, added)
    op.drop_column("shop_supplier_line", "rejected_quantity")
