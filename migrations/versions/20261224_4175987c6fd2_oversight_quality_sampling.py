"""quality sampling (抽检): samples of batches and their results; the batch's findings version

``oversight_quality_sample`` keeps each sample a county reviewer records (where, who, lab, items, report,
result). ``traceability_batch.findings_version`` is raised whenever a result is recorded, so the trace page's
version (and ETag) moves with it; existing batches start at 0 (no finding).

Revision ID: 4175987c6fd2
Revises: c78f0c851aff
Create Date: 2026-12-24 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "4175987c6fd2"
down_revision: str | Sequence[str] | None = 'c78f0c851aff'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        'traceability_batch', sa.Column('findings_version', sa.Integer(), server_default='0', nullable=False)
    )
    op.create_table('oversight_quality_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('sampled_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('sampled_by', sa.String(length=120), nullable=False),
    sa.Column('lab', sa.String(length=120), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('report_key', sa.String(length=32), nullable=True),
    sa.Column('result', sa.Enum('pending', 'passed', 'failed', name='sampleresult', native_enum=False, length=16), nullable=False),
    sa.Column('result_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('result_note', sa.String(length=500), nullable=True),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('result_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_oversight_quality_sample_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_oversight_quality_sample_county_id_core_region')),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_oversight_quality_sample_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['core_user.id'], name=op.f('fk_oversight_quality_sample_recorded_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_by_id'], ['core_user.id'], name=op.f('fk_oversight_quality_sample_result_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_quality_sample'))
    )
    with op.batch_alter_table('oversight_quality_sample', schema=None) as batch_op:
        batch_op.create_index('ix_oversight_quality_sample_batch', ['batch_id', 'result'], unique=False)
        batch_op.create_index('ix_oversight_quality_sample_county', ['county_id', 'id'], unique=False)
        batch_op.create_index(
            'ix_oversight_quality_sample_producer', ['producer_id', 'result', 'result_at'], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('oversight_quality_sample', schema=None) as batch_op:
        batch_op.drop_index('ix_oversight_quality_sample_producer')
        batch_op.drop_index('ix_oversight_quality_sample_county')
        batch_op.drop_index('ix_oversight_quality_sample_batch')

    op.drop_table('oversight_quality_sample')
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): the table is not rebuilt, which rows referencing it forbid
    op.drop_column('traceability_batch', 'findings_version')
