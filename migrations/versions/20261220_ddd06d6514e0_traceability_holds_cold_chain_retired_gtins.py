"""traceability: holds, the cold chain and retired GTINs

A hold (traceability_batch_hold) keeps a batch off sale until a reviewer releases it, with its reason kind
(cold chain, quality sampling), when and where, who opened and closed it; ``traceability_batch.is_on_hold``
copies "an open hold exists" so stock queries need no join (existing batches: not held). Sensor readings
(traceability_sensor_reading, one row per reading per batch, indexed by batch and time) in hundredths of °C or %,
and each batch's cold-chain summary (traceability_cold_chain_summary) that its trace page reads. A product's
corrected GTIN is kept (catalog_retired_gtin) so labels printed with it keep resolving.

Revision ID: ddd06d6514e0
Revises: 5e7a3c91d2b4
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "ddd06d6514e0"
down_revision: str | Sequence[str] | None = '5e7a3c91d2b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'catalog_retired_gtin',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('gtin', sa.String(length=14), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('retired_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['product_id'],
            ['catalog_product.id'],
            name=op.f('fk_catalog_retired_gtin_product_id_catalog_product'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_retired_gtin')),
    )
    with op.batch_alter_table('catalog_retired_gtin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_retired_gtin_gtin'), ['gtin'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_retired_gtin_product_id'), ['product_id'], unique=False)
    op.create_table(
        "traceability_batch_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("cold_chain", "quality_sampling", name="holdreason", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("occurred_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["traceability_batch.id"],
            name=op.f("fk_traceability_batch_hold_batch_id_traceability_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["core_user.id"],
            name=op.f("fk_traceability_batch_hold_closed_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["core_user.id"],
            name=op.f("fk_traceability_batch_hold_opened_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traceability_batch_hold")),
    )
    with op.batch_alter_table("traceability_batch_hold", schema=None) as batch_op:
        batch_op.create_index("ix_traceability_batch_hold_batch", ["batch_id", "closed_at"], unique=False)

    op.create_table(
        "traceability_cold_chain_summary",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("first_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lowest", sa.Integer(), nullable=True),
        sa.Column("highest", sa.Integer(), nullable=True),
        sa.Column("alarm_count", sa.Integer(), nullable=False),
        sa.Column("range_kind", sa.String(length=24), nullable=True),
        sa.Column("excursion_id", sa.Integer(), nullable=True),
        sa.Column("curve", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["traceability_batch.id"],
            name=op.f("fk_traceability_cold_chain_summary_batch_id_traceability_batch"),
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_traceability_cold_chain_summary")),
    )
    op.create_table(
        "traceability_sensor_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "measurement",
            sa.Enum("Temperature", "RelativeHumidity", name="measurement", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("measured_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("min_value", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Integer(), nullable=True),
        sa.Column("mean_value", sa.Integer(), nullable=True),
        sa.Column("is_alarm", sa.Boolean(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("event", "logger", name="readingsource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["traceability_batch.id"],
            name=op.f("fk_traceability_sensor_reading_batch_id_traceability_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["traceability_event.id"],
            name=op.f("fk_traceability_sensor_reading_event_id_traceability_event"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["core_user.id"],
            name=op.f("fk_traceability_sensor_reading_recorded_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traceability_sensor_reading")),
    )
    with op.batch_alter_table("traceability_sensor_reading", schema=None) as batch_op:
        batch_op.create_index(
            "ix_traceability_sensor_reading_batch_time", ["batch_id", "measured_at"], unique=False
        )

    with op.batch_alter_table("traceability_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_on_hold", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    # ALTER TABLE … DROP COLUMN, never a copy: dropping the old table with foreign keys on would cascade.
    with op.batch_alter_table("traceability_batch", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("is_on_hold")

    with op.batch_alter_table("traceability_sensor_reading", schema=None) as batch_op:
        batch_op.drop_index("ix_traceability_sensor_reading_batch_time")

    op.drop_table("traceability_sensor_reading")
    op.drop_table("traceability_cold_chain_summary")
    with op.batch_alter_table("traceability_batch_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_traceability_batch_hold_batch")

    op.drop_table("traceability_batch_hold")
    with op.batch_alter_table('catalog_retired_gtin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_retired_gtin_product_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_retired_gtin_gtin'))

    op.drop_table('catalog_retired_gtin')
