"""channels: assistance groups (帮扶集团), their member institutions, paired towns and villages, targets

The institution kind ``village_enterprise`` (万企兴万村) needs no change: kinds are stored as strings.

Revision ID: 2b8d6f0a4c71
Revises: 5a7c3e9b1d42
Create Date: 2026-12-17 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '2b8d6f0a4c71'
down_revision: str | Sequence[str] | None = '5a7c3e9b1d42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('channels_assistance_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_channels_assistance_group_county_id_core_region')),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_channels_assistance_group_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['shop_institution.id'], name=op.f('fk_channels_assistance_group_lead_id_shop_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_assistance_group')),
    sa.UniqueConstraint('county_id', 'name', name=op.f('uq_channels_assistance_group_county_id_name'))
    )
    with op.batch_alter_table('channels_assistance_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_assistance_group_county_id'), ['county_id'], unique=False)

    op.create_table('channels_assistance_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['channels_assistance_group.id'], name=op.f('fk_channels_assistance_member_group_id_channels_assistance_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['shop_institution.id'], name=op.f('fk_channels_assistance_member_institution_id_shop_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_assistance_member')),
    sa.UniqueConstraint('group_id', 'institution_id', name=op.f('uq_channels_assistance_member_group_id_institution_id'))
    )
    with op.batch_alter_table('channels_assistance_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_assistance_member_institution_id'), ['institution_id'], unique=False)

    op.create_table('channels_assistance_pairing',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['channels_assistance_group.id'], name=op.f('fk_channels_assistance_pairing_group_id_channels_assistance_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['core_region.id'], name=op.f('fk_channels_assistance_pairing_region_id_core_region')),
    sa.PrimaryKeyConstraint('group_id', 'region_id', name=op.f('pk_channels_assistance_pairing'))
    )
    op.create_table('channels_assistance_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_channels_assistance_target_amount_positive')),
    sa.ForeignKeyConstraint(['group_id'], ['channels_assistance_group.id'], name=op.f('fk_channels_assistance_target_group_id_channels_assistance_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['core_user.id'], name=op.f('fk_channels_assistance_target_set_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_assistance_target')),
    sa.UniqueConstraint('group_id', 'year', name=op.f('uq_channels_assistance_target_group_id_year'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('channels_assistance_target')
    op.drop_table('channels_assistance_pairing')
    with op.batch_alter_table('channels_assistance_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_assistance_member_institution_id'))

    op.drop_table('channels_assistance_member')
    with op.batch_alter_table('channels_assistance_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_assistance_group_county_id'))

    op.drop_table('channels_assistance_group')
