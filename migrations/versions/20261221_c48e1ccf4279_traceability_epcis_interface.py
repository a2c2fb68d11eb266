"""traceability: the EPCIS 2.0 interface for partners' systems

Partners (traceability_partner) with the producers and counties they serve (traceability_partner_scope) and
their bearer tokens, only the SHA-256 kept (traceability_partner_token); capture jobs
(traceability_epcis_capture); the query index of captured events (traceability_epcis_event, by canonical hash
id) and the lots they name, with the scope columns copied for keyset paging (traceability_epcis_event_lot);
partners' subscriptions to named queries (traceability_epcis_subscription) and the outbox of results owed to
them (traceability_epcis_delivery); captured events' sensor reports for the sensor filters
(traceability_epcis_sensor_report).
The new event kind ``observation`` and recorder ``partner`` need no change: both enums are non-native.

Revision ID: c48e1ccf4279
Revises: ddd06d6514e0
Create Date: 2026-12-07 15:28:23.989556
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'c48e1ccf4279'
down_revision: str | Sequence[str] | None = 'ddd06d6514e0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('traceability_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('slaughterhouse', 'cold_store', 'carrier', 'counter', name='partnerkind', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('deactivated_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_traceability_partner_created_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_partner')),
    sa.UniqueConstraint('name', name=op.f('uq_traceability_partner_name'))
    )
    op.create_table('traceability_epcis_capture',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('accepted', 'refused', name='capturestatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.JSON(), nullable=False),
    sa.Column('problem', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['traceability_partner.id'], name=op.f('fk_traceability_epcis_capture_partner_id_traceability_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_capture'))
    )
    with op.batch_alter_table('traceability_epcis_capture', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_epcis_capture_partner_id'), ['partner_id'], unique=False)

    op.create_table('traceability_partner_scope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=True),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(producer_id IS NULL) <> (county_id IS NULL)', name=op.f('ck_traceability_partner_scope_producer_or_county')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_traceability_partner_scope_county_id_core_region'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['traceability_partner.id'], name=op.f('fk_traceability_partner_scope_partner_id_traceability_partner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_traceability_partner_scope_producer_id_catalog_producer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_partner_scope')),
    sa.UniqueConstraint('partner_id', 'producer_id', 'county_id', name=op.f('uq_traceability_partner_scope_partner_id_producer_id_county_id'))
    )
    with op.batch_alter_table('traceability_partner_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_partner_scope_partner_id'), ['partner_id'], unique=False)

    op.create_table('traceability_partner_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['traceability_partner.id'], name=op.f('fk_traceability_partner_token_partner_id_traceability_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_partner_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_traceability_partner_token_token_hash'))
    )
    with op.batch_alter_table('traceability_partner_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_partner_token_partner_id'), ['partner_id'], unique=False)

    op.create_table('traceability_epcis_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('event_time', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('biz_step', sa.String(length=200), nullable=True),
    sa.Column('disposition', sa.String(length=200), nullable=True),
    sa.Column('biz_location', sa.String(length=300), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['traceability_epcis_capture.id'], name=op.f('fk_traceability_epcis_event_capture_id_traceability_epcis_capture')),
    sa.ForeignKeyConstraint(['partner_id'], ['traceability_partner.id'], name=op.f('fk_traceability_epcis_event_partner_id_traceability_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_traceability_epcis_event_event_id'))
    )
    with op.batch_alter_table('traceability_epcis_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_epcis_event_capture_id'), ['capture_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_traceability_epcis_event_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index('ix_traceability_epcis_event_recorded', ['recorded_at', 'id'], unique=False)

    op.create_table('traceability_epcis_event_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('epcis_event_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('trace_event_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('epc', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_traceability_epcis_event_lot_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_traceability_epcis_event_lot_county_id_core_region')),
    sa.ForeignKeyConstraint(['epcis_event_id'], ['traceability_epcis_event.id'], name=op.f('fk_traceability_epcis_event_lot_epcis_event_id_traceability_epcis_event')),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_traceability_epcis_event_lot_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['trace_event_id'], ['traceability_event.id'], name=op.f('fk_traceability_epcis_event_lot_trace_event_id_traceability_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_event_lot')),
    sa.UniqueConstraint('epcis_event_id', 'batch_id', name=op.f('uq_traceability_epcis_event_lot_epcis_event_id_batch_id'))
    )
    with op.batch_alter_table('traceability_epcis_event_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_epcis_event_lot_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_traceability_epcis_event_lot_county', ['county_id', 'recorded_at', 'epcis_event_id'], unique=False)
        batch_op.create_index('ix_traceability_epcis_event_lot_epc', ['epc', 'recorded_at', 'epcis_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_traceability_epcis_event_lot_epcis_event_id'), ['epcis_event_id'], unique=False)
        batch_op.create_index('ix_traceability_epcis_event_lot_producer', ['producer_id', 'recorded_at', 'epcis_event_id'], unique=False)

    op.create_table('traceability_epcis_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('query_name', sa.String(length=40), nullable=False),
    sa.Column('dest', sa.String(length=500), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['traceability_partner.id'], name=op.f('fk_traceability_epcis_subscription_partner_id_traceability_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_subscription'))
    )
    with op.batch_alter_table('traceability_epcis_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traceability_epcis_subscription_partner_id'), ['partner_id'], unique=False)

    op.create_table('traceability_epcis_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('trace_event_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['traceability_epcis_subscription.id'], name=op.f('fk_traceability_epcis_delivery_subscription_id_traceability_epcis_subscription'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trace_event_id'], ['traceability_event.id'], name=op.f('fk_traceability_epcis_delivery_trace_event_id_traceability_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_delivery')),
    sa.UniqueConstraint('subscription_id', 'trace_event_id', name=op.f('uq_traceability_epcis_delivery_subscription_id_trace_event_id'))
    )
    with op.batch_alter_table('traceability_epcis_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_traceability_epcis_delivery_pending', ['delivered_at', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_traceability_epcis_delivery_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('traceability_epcis_sensor_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('epcis_event_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('uom', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('mean_value', sa.Float(), nullable=True),
    sa.Column('is_alarm', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['epcis_event_id'], ['traceability_epcis_event.id'], name=op.f('fk_traceability_epcis_sensor_report_epcis_event_id_traceability_epcis_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traceability_epcis_sensor_report'))
    )
    with op.batch_alter_table('traceability_epcis_sensor_report', schema=None) as batch_op:
        batch_op.create_index('ix_traceability_epcis_sensor_report_event_type', ['epcis_event_id', 'type'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('traceability_epcis_sensor_report', schema=None) as batch_op:
        batch_op.drop_index('ix_traceability_epcis_sensor_report_event_type')

    op.drop_table('traceability_epcis_sensor_report')
    with op.batch_alter_table('traceability_epcis_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_delivery_subscription_id'))
        batch_op.drop_index('ix_traceability_epcis_delivery_pending')

    op.drop_table('traceability_epcis_delivery')
    with op.batch_alter_table('traceability_epcis_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_subscription_partner_id'))

    op.drop_table('traceability_epcis_subscription')
    with op.batch_alter_table('traceability_epcis_event_lot', schema=None) as batch_op:
        batch_op.drop_index('ix_traceability_epcis_event_lot_producer')
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_event_lot_epcis_event_id'))
        batch_op.drop_index('ix_traceability_epcis_event_lot_epc')
        batch_op.drop_index('ix_traceability_epcis_event_lot_county')
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_event_lot_batch_id'))

    op.drop_table('traceability_epcis_event_lot')
    with op.batch_alter_table('traceability_epcis_event', schema=None) as batch_op:
        batch_op.drop_index('ix_traceability_epcis_event_recorded')
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_event_partner_id'))
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_event_capture_id'))

    op.drop_table('traceability_epcis_event')
    with op.batch_alter_table('traceability_partner_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traceability_partner_token_partner_id'))

    op.drop_table('traceability_partner_token')
    with op.batch_alter_table('traceability_partner_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traceability_partner_scope_partner_id'))

    op.drop_table('traceability_partner_scope')
    with op.batch_alter_table('traceability_epcis_capture', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traceability_epcis_capture_partner_id'))

    op.drop_table('traceability_epcis_capture')
    op.drop_table('traceability_partner')
