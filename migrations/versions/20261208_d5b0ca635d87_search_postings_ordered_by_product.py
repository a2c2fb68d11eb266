"""search postings ordered by product

The search document becomes one column of lexemes (``catalog.search_index``: Han 1- to 3-grams, word
prefixes, whole-syllable pinyin and initials, county and category; none for products buyers may not see),
and the database's index over it one whose posting lists are read in product order, so that the newest
products holding a lexeme come straight off the index however many hold it:

- SQLite: an FTS5 table (doclists ordered by rowid = product id), tokens split on whitespace only, no
  positions (``detail=none``: no phrase is ever asked), kept by triggers as before;
- PostgreSQL: ``catalog_product_search_fts (lexeme, product_id)``, its primary key the posting lists
  (lexemes in code point order, ``COLLATE "C"``, so a prefix is a key range), kept by a trigger that
  expands each document row. It replaces the GIN index, which returns matches unordered: a search had to
  read, rank and count every one of them.

Every product's document is rewritten here. Downgrading restores the former tables empty (their tokenizer
is gone): reindex after it.

Revision ID: d5b0ca635d87
Revises: c7d2e9a41f60
Create Date: 2026-12-08 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5b0ca635d87"
down_revision: str | Sequence[str] | None = "c7d2e9a41f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS = "catalog_product_search_fts"
#: FTS5 tokens are our lexemes: only whitespace separates them (letters, marks, numbers, punctuation and
#: symbols are token characters), case and diacritics are kept as written.
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co'"
OLD_FIELDS = ("name_terms", "brand_terms", "pinyin_terms", "producer_terms", "body_terms", "code_terms")
OLD_PG_WEIGHTS = {"name_terms": "A", "brand_terms": "B", "pinyin_terms": "B", "producer_terms": "C"}

PG_SYNC = f"""
CREATE FUNCTION {FTS}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM {FTS} f USING unnest(string_to_array(OLD.terms, ' ')) AS l(lexeme)
        WHERE f.lexeme = l.lexeme AND f.product_id = OLD.product_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO {FTS} (lexeme, product_id)
        SELECT DISTINCT l.lexeme, NEW.product_id FROM unnest(string_to_array(NEW.terms, ' ')) AS l(lexeme)
        WHERE l.lexeme <> ''
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    _drop_old_index(bind)
    op.drop_table("catalog_product_search")
    op.create_table(
        "catalog_product_search",
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_product_search_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_catalog_product_search")),
    )
    if bind.dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(terms, content='catalog_product_search', "
            f"content_rowid='product_id', tokenize=\"{FTS5_TOKENIZER}\", detail=none)"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ai AFTER INSERT ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}(rowid, terms) VALUES (new.product_id, new.terms); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ad AFTER DELETE ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, terms) VALUES ('delete', old.product_id, old.terms); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_au AFTER UPDATE ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, terms) VALUES ('delete', old.product_id, old.terms); "
            f"INSERT INTO {FTS}(rowid, terms) VALUES (new.product_id, new.terms); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute(
            f'CREATE TABLE {FTS} (lexeme text COLLATE "C" NOT NULL, product_id integer NOT NULL, '
            f"CONSTRAINT {FTS}_pkey PRIMARY KEY (lexeme, product_id))"
        )
        op.execute(PG_SYNC)
        op.execute(
            f"CREATE TRIGGER {FTS}_sync AFTER INSERT OR UPDATE OR DELETE ON catalog_product_search "
            f"FOR EACH ROW EXECUTE FUNCTION {FTS}_sync()"
        )
    _index_existing_products(bind)


def _drop_old_index(bind: sa.Connection) -> None:
    """Drop the former revision's FTS5 table and triggers (SQLite) or GIN index (PostgreSQL)."""
    if bind.dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_product_search_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_product_search_document")


def _index_existing_products(bind: sa.Connection) -> None:
    """Write the search document of every product already in the database."""
    from catalog.search_text import DocumentSource, document_for

    rows = bind.execute(
        sa.text(
            "SELECT p.id, p.name, p.name_en, p.brand, p.description, p.gtin, r.name, "
            "p.is_active AND r.status = 'approved', c.code, p.category "
            "FROM catalog_product p JOIN catalog_producer r ON r.id = p.producer_id "
            "LEFT JOIN core_region c ON c.id = r.county_id"
        )
    ).all()
    table = sa.table("catalog_product_search", sa.column("product_id"), sa.column("terms"))
    documents = [
        {
            "product_id": row[0],
            "terms": document_for(DocumentSource(*row[1:7], bool(row[7]), row[8], row[9]))["terms"],
        }
        for row in rows
    ]
    for start in range(0, len(documents), 1000):
        bind.execute(table.insert(), documents[start : start + 1000])


def downgrade() -> None:
    """Revert this revision (the former documents are not rebuilt: reindex after it)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_product_search_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_sync ON catalog_product_search")
        op.execute(f"DROP FUNCTION IF EXISTS {FTS}_sync()")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    op.drop_table("catalog_product_search")
    op.create_table(
        "catalog_product_search",
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(field, sa.Text(), nullable=False) for field in OLD_FIELDS),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_product_search_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_catalog_product_search")),
    )
    if bind.dialect.name == "sqlite":
        columns = ", ".join(OLD_FIELDS)
        new = ", ".join(f"new.{f}" for f in OLD_FIELDS)
        old = ", ".join(f"old.{f}" for f in OLD_FIELDS)
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5({columns}, "
            "content='catalog_product_search', content_rowid='product_id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ai AFTER INSERT ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.product_id, {new}); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_ad AFTER DELETE ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.product_id, {old}); END"
        )
        op.execute(
            "CREATE TRIGGER catalog_product_search_au AFTER UPDATE ON catalog_product_search BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.product_id, {old}); "
            f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.product_id, {new}); END"
        )
    elif bind.dialect.name == "postgresql":
        document = " || ".join(
            f"setweight(to_tsvector('simple', coalesce({f}, '')), '{OLD_PG_WEIGHTS.get(f, 'D')}')"
            for f in OLD_FIELDS
        )
        op.execute(
            "CREATE INDEX ix_catalog_product_search_document ON catalog_product_search "
            f"USING gin (({document}))"
        )
