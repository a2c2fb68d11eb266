"""catalog products: the for-sale key the listing orders by (what can be bought first)

Each product stores the last day its stock lasts (``stock_until``, from its batches), whether it can be bought
(``is_for_sale``: a valid certificate and stock) and the last day that holds (``for_sale_until``), kept by
``catalog.shelf`` and ``traceability.shelf``; indexes read each listing order with what is for sale first.
Existing rows are filled from their batches and certificates as of today (Asia/Shanghai); a renewal that
continues a certificate is found by the next ``flask --app shop shelf`` (run it daily; ``--all`` rewrites
every product).

Revision ID: 7bba4b848609
Revises: c48e1ccf4279
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '7bba4b848609'
down_revision: str | Sequence[str] | None = 'c48e1ccf4279'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Categories whose batches are sold only with a compliance certificate (catalog.products.models).
_COMPLIANCE = "('vegetables', 'fruit', 'meat', 'eggs', 'poultry', 'aquatic')"

_STOCK = f"""
UPDATE catalog_product SET stock_until = (
    SELECT max(b.best_before) FROM traceability_batch b
    WHERE b.product_id = catalog_product.id AND b.status = 'active' AND NOT b.is_on_hold
      AND b.quantity_available > 0
      AND b.best_before >= :today
      AND (catalog_product.category NOT IN {_COMPLIANCE} OR EXISTS (
          SELECT 1 FROM traceability_compliance_certificate c WHERE c.batch_id = b.id))
)
"""
_CERTIFIED = """
UPDATE catalog_product SET for_sale_until = (
    SELECT max(c.valid_to) FROM catalog_certification c
    WHERE c.product_id = catalog_product.id AND c.status = 'certified'
      AND c.valid_from <= :today AND c.valid_to >= :today
)
WHERE stock_until IS NOT NULL
"""
_FOR_SALE = """
UPDATE catalog_product SET
    for_sale_until = CASE WHEN stock_until < for_sale_until THEN stock_until ELSE for_sale_until END,
    is_for_sale = (for_sale_until IS NOT NULL)
"""


def upgrade() -> None:
    """Apply this revision."""
    op.add_column('catalog_product', sa.Column('stock_until', sa.Date(), nullable=True))
    op.add_column(
        'catalog_product', sa.Column('is_for_sale', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column('catalog_product', sa.Column('for_sale_until', sa.Date(), nullable=True))
    today = datetime.now(ZoneInfo('Asia/Shanghai')).date()
    for statement in (_STOCK, _CERTIFIED):
        op.execute(sa.text(statement).bindparams(today=today))
    op.execute(_FOR_SALE)
    op.create_index('ix_catalog_product_sale_newest', 'catalog_product', ['is_for_sale', 'created_at', 'id'])
    op.create_index('ix_catalog_product_sale_price', 'catalog_product', ['is_for_sale', 'price_fen', 'id'])
    op.create_index('ix_catalog_product_sale_name', 'catalog_product', ['is_for_sale', 'name', 'id'])
    op.create_index(
        'ix_catalog_product_county_sale', 'catalog_product', ['county_id', 'is_for_sale', 'created_at', 'id']
    )
    op.create_index('ix_catalog_product_sale_until', 'catalog_product', ['is_for_sale', 'for_sale_until'])


def downgrade() -> None:
    """Revert this revision."""
    for name in (
        'ix_catalog_product_sale_until',
        'ix_catalog_product_county_sale',
        'ix_catalog_product_sale_name',
        'ix_catalog_product_sale_price',
        'ix_catalog_product_sale_newest',
    ):
        op.drop_index(name, table_name='catalog_product')
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): the table is not rebuilt, which rows referencing it forbid
    for column in ('for_sale_until', 'is_for_sale', 'stock_until'):
        op.drop_column('catalog_product', column)
