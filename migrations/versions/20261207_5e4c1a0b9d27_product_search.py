"""product search index

Revision ID: 5e4c1a0b9d27
Revises: efcfc52434b5
Create Date: 2026-12-07 02:10:00

One row of tokens per product (``catalog_product_search``, see ``catalog.search_index``) and the database's
own full-text index over it: an FTS5 table kept in step by triggers on SQLite, a GIN index over a weighted
``tsvector`` on PostgreSQL. Existing products are indexed by d5b0ca635d87, which replaced these tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5e4c1a0b9d27'
down_revision: str | Sequence[str] | None = 'efcfc52434b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("name_terms", "brand_terms", "pinyin_terms", "producer_terms", "body_terms", "code_terms")
PG_WEIGHTS = {"name_terms": "A", "brand_terms": "B", "pinyin_terms": "B", "producer_terms": "C"}


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'catalog_product_search',
        sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(field, sa.Text(), nullable=False) for field in FIELDS),
        sa.ForeignKeyConstraint(
            ['product_id'], ['catalog_product.id'],
            name=op.f('fk_catalog_product_search_product_id_catalog_product'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_catalog_product_search')),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        columns = ", ".join(FIELDS)
        new = ", ".join(f"new.{f}" for f in FIELDS)
        old = ", ".join(f"old.{f}" for f in FIELDS)
        op.execute(
            f"CREATE VIRTUAL TABLE catalog_product_search_fts USING fts5({columns}, "
            "content='catalog_product_search', content_rowid='product_id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ai AFTER INSERT ON catalog_product_search BEGIN "
            f"INSERT INTO catalog_product_search_fts(rowid, {columns}) VALUES (new.product_id, {new}); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ad AFTER DELETE ON catalog_product_search BEGIN "
            f"INSERT INTO catalog_product_search_fts(catalog_product_search_fts, rowid, {columns}) "
            f"VALUES ('delete', old.product_id, {old}); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_au AFTER UPDATE ON catalog_product_search BEGIN "
            f"INSERT INTO catalog_product_search_fts(catalog_product_search_fts, rowid, {columns}) "
            f"VALUES ('delete', old.product_id, {old}); "
            f"INSERT INTO catalog_product_search_fts(rowid, {columns}) VALUES (new.product_id, {new}); END"
        )
    elif bind.dialect.name == "postgresql":
        document = " || ".join(
            f"setweight(to_tsvector('simple', coalesce({f}, '')), '{PG_WEIGHTS.get(f, 'D')}')" for f in FIELDS
        )
        op.execute(f"CREATE INDEX ix_catalog_product_search_document ON catalog_product_search USING gin (({document}))")
    _index_existing_products(bind)


def _index_existing_products(bind: sa.Connection) -> None:
    """Existing products' documents: written by revision d5b0ca635d87, which replaced this index's tokens
    (this revision's tokenizer is gone from ``catalog.search_index``)."""


def downgrade() -> None:
    """Revert this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_product_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_product_search_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_product_search_document")
    op.drop_table('catalog_product_search')
