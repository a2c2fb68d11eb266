"""channels: the channel on every order; counters, halls, zones and fairs; livestreams and their sharers

``shop_order.channel`` records where the sale happened (online, livestream, counter, fair, group_buy…; existing
orders were all placed in the online shop, so they get ``online``) and ``channel_ref`` which counter or
livestream. Counters (channels_counter) hold consigned stock per lot (channels_consigned_stock), received from
consignments (channels_consignment); each quick sale is one row of channels_counter_sale. Livestreams
(channels_live_session) feature products (channels_live_product), hand out sharer links (channels_live_sharer)
and keep the orders attributed to them with running sums (channels_live_order).

Revision ID: 5e7a3c91d2b4
Revises: 5e8a3c1f9b62
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '5e7a3c91d2b4'
down_revision: str | Sequence[str] | None = '5e8a3c1f9b62'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('channels_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('operator_name', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('hall', 'counter', 'zone', 'fair', name='counterkind', native_enum=False, length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'fair' AND starts_on IS NOT NULL AND ends_on IS NOT NULL AND ends_on >= starts_on) OR (kind <> 'fair' AND starts_on IS NULL AND ends_on IS NULL)", name=op.f('ck_channels_counter_fair_dates')),
    sa.ForeignKeyConstraint(['operator_id'], ['core_user.id'], name=op.f('fk_channels_counter_operator_id_core_user')),
    sa.ForeignKeyConstraint(['region_id'], ['core_region.id'], name=op.f('fk_channels_counter_region_id_core_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_counter'))
    )
    with op.batch_alter_table('channels_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_counter_operator_id'), ['operator_id'], unique=False)

    op.create_table('channels_consigned_stock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received_total', sa.Integer(), nullable=False),
    sa.Column('sold_total', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_channels_consigned_stock_quantity_not_negative')),
    sa.CheckConstraint('received_total >= 0 AND sold_total >= 0', name=op.f('ck_channels_consigned_stock_totals_not_negative')),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_channels_consigned_stock_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['counter_id'], ['channels_counter.id'], name=op.f('fk_channels_consigned_stock_counter_id_channels_counter')),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_product.id'], name=op.f('fk_channels_consigned_stock_product_id_catalog_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_consigned_stock')),
    sa.UniqueConstraint('counter_id', 'batch_id', name=op.f('uq_channels_consigned_stock_counter_id_batch_id'))
    )
    with op.batch_alter_table('channels_consigned_stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_consigned_stock_batch_id'), ['batch_id'], unique=False)

    op.create_table('channels_consignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('shipped_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_channels_consignment_quantity_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_channels_consignment_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['counter_id'], ['channels_counter.id'], name=op.f('fk_channels_consignment_counter_id_channels_counter')),
    sa.ForeignKeyConstraint(['received_by_id'], ['core_user.id'], name=op.f('fk_channels_consignment_received_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shipped_by_id'], ['core_user.id'], name=op.f('fk_channels_consignment_shipped_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_consignment'))
    )
    with op.batch_alter_table('channels_consignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_consignment_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_channels_consignment_counter_received', ['counter_id', 'received_at'], unique=False)

    op.create_table('channels_counter_sale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('payment', sa.Enum('cash', 'qr', 'card', name='counterpayment', native_enum=False, length=8), nullable=False),
    sa.Column('is_counted', sa.Boolean(), nullable=False),
    sa.Column('sold_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sold_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0 AND amount_fen > 0', name=op.f('ck_channels_counter_sale_values_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_channels_counter_sale_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['counter_id'], ['channels_counter.id'], name=op.f('fk_channels_counter_sale_counter_id_channels_counter')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_channels_counter_sale_order_id_shop_order')),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_product.id'], name=op.f('fk_channels_counter_sale_product_id_catalog_product')),
    sa.ForeignKeyConstraint(['sold_by_id'], ['core_user.id'], name=op.f('fk_channels_counter_sale_sold_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_counter_sale')),
    sa.UniqueConstraint('order_id', name=op.f('uq_channels_counter_sale_order_id'))
    )
    with op.batch_alter_table('channels_counter_sale', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_counter_sale_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_channels_counter_sale_counter_day', ['counter_id', 'day'], unique=False)
        batch_op.create_index('ix_channels_counter_sale_day', ['day'], unique=False)

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.Enum('online', 'procurement', 'staff', 'livestream', 'counter', 'fair', 'group_buy', name='channel', native_enum=False, length=16), server_default='online', nullable=False))
        batch_op.add_column(sa.Column('channel_ref', sa.String(length=40), nullable=True))

    op.create_table('channels_live_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=60), nullable=False),
    sa.Column('organiser_name', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replay_url', sa.String(length=300), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_channels_live_session_created_by_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_live_session'))
    )
    with op.batch_alter_table('channels_live_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_live_session_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channels_live_session_starts_at'), ['starts_at'], unique=False)

    op.create_table('channels_live_sharer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['channels_live_session.id'], name=op.f('fk_channels_live_sharer_session_id_channels_live_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_channels_live_sharer_user_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_live_sharer')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_channels_live_sharer_session_id_user_id')),
    sa.UniqueConstraint('token', name=op.f('uq_channels_live_sharer_token'))
    )
    with op.batch_alter_table('channels_live_sharer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_live_sharer_user_id'), ['user_id'], unique=False)

    op.create_table('channels_live_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('paid_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sales_fen', sa.BigInteger(), nullable=False),
    sa.Column('counted_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['core_user.id'], name=op.f('fk_channels_live_order_buyer_id_core_user')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_channels_live_order_order_id_shop_order')),
    sa.ForeignKeyConstraint(['session_id'], ['channels_live_session.id'], name=op.f('fk_channels_live_order_session_id_channels_live_session')),
    sa.ForeignKeyConstraint(['sharer_id'], ['channels_live_sharer.id'], name=op.f('fk_channels_live_order_sharer_id_channels_live_sharer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_live_order')),
    sa.UniqueConstraint('order_id', name=op.f('uq_channels_live_order_order_id'))
    )
    with op.batch_alter_table('channels_live_order', schema=None) as batch_op:
        batch_op.create_index('ix_channels_live_order_session_sharer', ['session_id', 'sharer_id'], unique=False)

    op.create_table('channels_live_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_product.id'], name=op.f('fk_channels_live_product_product_id_catalog_product')),
    sa.ForeignKeyConstraint(['session_id'], ['channels_live_session.id'], name=op.f('fk_channels_live_product_session_id_channels_live_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels_live_product')),
    sa.UniqueConstraint('session_id', 'product_id', name=op.f('uq_channels_live_product_session_id_product_id'))
    )
    with op.batch_alter_table('channels_live_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_live_product_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('channels_live_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_live_product_product_id'))

    op.drop_table('channels_live_product')
    with op.batch_alter_table('channels_live_order', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_live_order_session_sharer')

    op.drop_table('channels_live_order')
    with op.batch_alter_table('channels_live_sharer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_live_sharer_user_id'))

    op.drop_table('channels_live_sharer')
    with op.batch_alter_table('channels_live_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_live_session_starts_at'))
        batch_op.drop_index(batch_op.f('ix_channels_live_session_created_by_id'))

    op.drop_table('channels_live_session')

    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), never a copy of shop_order: dropping the old table while
    # foreign keys are on would cascade to every order line, allocation and rating.
    with op.batch_alter_table('shop_order', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('channel_ref')
        batch_op.drop_column('channel')

    with op.batch_alter_table('channels_counter_sale', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_counter_sale_day')
        batch_op.drop_index('ix_channels_counter_sale_counter_day')
        batch_op.drop_index(batch_op.f('ix_channels_counter_sale_batch_id'))

    op.drop_table('channels_counter_sale')
    with op.batch_alter_table('channels_consignment', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_consignment_counter_received')
        batch_op.drop_index(batch_op.f('ix_channels_consignment_batch_id'))

    op.drop_table('channels_consignment')
    with op.batch_alter_table('channels_consigned_stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_consigned_stock_batch_id'))

    op.drop_table('channels_consigned_stock')
    with op.batch_alter_table('channels_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_counter_operator_id'))

    op.drop_table('channels_counter')
