"""oversight: supplier standing (a producer's score, reasons and the county office's decided level)

Revision ID: 5a7c3e9b1d42
Revises: 9c1e4b7a2d50
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '5a7c3e9b1d42'
down_revision: str | Sequence[str] | None = '9c1e4b7a2d50'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('oversight_producer_standing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('recommended', sa.Enum('good', 'warned', 'restricted', 'suspended', name='standinglevel', native_enum=False, length=16), nullable=False),
    sa.Column('assessed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('level', sa.Enum('good', 'warned', 'restricted', 'suspended', name='standinglevel', native_enum=False, length=16), nullable=False),
    sa.Column('level_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_oversight_producer_standing_county_id_core_region')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_user.id'], name=op.f('fk_oversight_producer_standing_decided_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_oversight_producer_standing_producer_id_catalog_producer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_producer_standing')),
    sa.UniqueConstraint('producer_id', name=op.f('uq_oversight_producer_standing_producer_id'))
    )
    with op.batch_alter_table('oversight_producer_standing', schema=None) as batch_op:
        batch_op.create_index('ix_oversight_producer_standing_county_score', ['county_id', 'score'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('oversight_producer_standing', schema=None) as batch_op:
        batch_op.drop_index('ix_oversight_producer_standing_county_score')

    op.drop_table('oversight_producer_standing')
