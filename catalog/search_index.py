"""The product search index: tokens we produce, matched by the database's own full-text engine.

Chinese has no spaces, and neither database splits it into words, so we do it the way CJK
search engines do (Lucene's CJK analyzer): every run of Han characters becomes its overlapping
**bigrams** (牦牛肉干 → 牦牛 牛肉 肉干) followed by its **unigrams** (牦 牛 肉 干). A query of two or more
Han characters is the *phrase* of its bigrams, so it matches exactly the texts that contain it
as a substring; one character matches the unigram. Latin words and numbers are kept lowercased
(matched as prefixes). Product names also get their **pinyin**: for each position, the
syllables from there to the end run together, in full and as initials (老腊肉 → laolarou larou rou
/ llr lr r), so ``larou`` and ``lr`` find it as prefixes. Barcodes (GTIN) are tokens of their
own.

The tokens are stored per field in ``catalog_product_search`` (one row per product, written in
the same flush as the product by an ORM hook, so the index is never behind). The database
indexes them: SQLite an FTS5 table kept in step by triggers, PostgreSQL a GIN index over a
weighted ``tsvector`` (both created by the migration). ``catalog.search`` ranks what matched: an
exact name first, then by where the terms were found (name, brand, producer), certified first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pypinyin import lazy_pinyin
from sqlalchemy import Boolean, ColumnElement, Connection, String, Table, bindparam, event, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from catalog.producers.models import Producer
from catalog.products.models import Product, ProductSearchDocument

#: The FTS5 table (SQLite) and the weighted document expression (PostgreSQL) the migration creates.
FTS_TABLE = "catalog_product_search_fts"
#: Fields of a search document, in the order of the FTS5 columns, and their weights in the ranking.
FIELDS = ("name_terms", "brand_terms", "pinyin_terms", "producer_terms", "body_terms", "code_terms")
PG_WEIGHTS = {"name_terms": "A", "brand_terms": "B", "pinyin_terms": "B", "producer_terms": "C"}
PG_DOCUMENT = " || ".join(
    f"setweight(to_tsvector('simple', coalesce({field}, '')), '{PG_WEIGHTS.get(field, 'D')}')"
    for field in FIELDS
)

#: Ways the counties' buyers write a product that are not how sellers name it (typed → canonical).
SYNONYMS = {
    "耗牛": "牦牛",
    "毛牛": "牦牛",
    "旄牛": "牦牛",
    "哈蜜瓜": "哈密瓜",
    "枸杞子": "枸杞",
    "腊猪肉": "腊肉",
    "熏肉": "腊肉",
    "雪菊花": "雪菊",
    "胡桃": "核桃",
}
#: Longest stretch of pinyin syllables run together (longer names still match from any of their starts).
MAX_PINYIN_SYLLABLES = 12
#: Longest description taken into the index (the rest is not searched).
MAX_BODY = 2000

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han (Chinese) character."""
    return bool(_HAN.fullmatch(char))


def _normalise(text: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), lowercase."""
    return unicodedata.normalize("NFKC", text).lower()


def text_tokens(text: str | None) -> list[str]:
    """The tokens of free text: per Han run its bigrams then its unigrams; Latin words and numbers."""
    if not text:
        return []
    tokens: list[str] = []
    for chunk in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", _normalise(text)):
        if not chunk:
            continue
        if _HAN.fullmatch(chunk):
            tokens.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
            tokens.extend(chunk)
        else:
            tokens.extend(_WORD.findall(chunk))
    return tokens


def pinyin_tokens(text: str | None) -> list[str]:
    """Pinyin of the Han characters of ``text``: from each position, the syllables to the end run together,
    in full and as initials (``老腊肉`` → ``laolarou larou rou llr lr r``)."""
    if not text:
        return []
    han = "".join(_HAN.findall(_normalise(text)))
    if not han:
        return []
    full = lazy_pinyin(han, errors="ignore")
    initials = [syllable[:1] for syllable in full]
    tokens: list[str] = []
    for syllables in (full, initials):
        for start in range(len(syllables)):
            tokens.append("".join(syllables[start : start + MAX_PINYIN_SYLLABLES]))
    return list(dict.fromkeys(token for token in tokens if token))


@dataclass(frozen=True)
class DocumentSource:
    """What a product's search document is made of."""

    name: str
    name_en: str | None
    brand: str | None
    description: str | None
    gtin: str | None
    producer_name: str


def document_for(source: DocumentSource) -> dict[str, str]:
    """The search document (space-separated tokens per field) of one product."""
    return {
        "name_terms": " ".join(text_tokens(source.name) + text_tokens(source.name_en)),
        "brand_terms": " ".join(text_tokens(source.brand)),
        "pinyin_terms": " ".join(pinyin_tokens(source.name) + pinyin_tokens(source.brand)),
        "producer_terms": " ".join(text_tokens(source.producer_name)),
        "body_terms": " ".join(text_tokens((source.description or "")[:MAX_BODY])),
        "code_terms": source.gtin or "",
    }


def source_of(product: Product, producer_name: str) -> DocumentSource:
    """The document source of a loaded product."""
    return DocumentSource(
        product.name, product.name_en, product.brand, product.description, product.gtin, producer_name
    )


# --- queries -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryTerm:
    """One whitespace-separated term of a search, as the index sees it."""

    raw: str  # the term as typed (after synonyms), for the substring check
    text_phrases: tuple[tuple[str, ...], ...]  # phrases of tokens that must all occur (AND)
    prefixes: tuple[str, ...]  # Latin/number prefixes that must all occur in the text fields
    pinyin: str | None  # the term read as pinyin (letters only): a prefix of a pinyin token
    code: str | None  # the term read as a barcode (digits only)

    @property
    def is_indexable(self) -> bool:
        """Whether the index can narrow this term at all (punctuation alone cannot be indexed)."""
        return bool(self.text_phrases or self.prefixes)


def with_synonyms(term: str) -> str:
    """``term`` with the counties' variant spellings replaced by the seller's (耗牛 → 牦牛)."""
    for variant, canonical in SYNONYMS.items():
        term = term.replace(variant, canonical)
    return term


def query_term(term: str) -> QueryTerm:
    """How the index reads one search term."""
    raw = with_synonyms(_normalise(term))
    phrases: list[tuple[str, ...]] = []
    prefixes: list[str] = []
    for chunk in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", raw):
        if not chunk:
            continue
        if _HAN.fullmatch(chunk):
            if len(chunk) == 1:
                phrases.append((chunk,))
            else:
                phrases.append(tuple(chunk[i : i + 2] for i in range(len(chunk) - 1)))
        else:
            prefixes.extend(_WORD.findall(chunk))
    letters = raw if re.fullmatch(r"[a-z]{1,60}", raw) else None
    digits = raw if re.fullmatch(r"[0-9]{4,14}", raw) else None
    return QueryTerm(raw, tuple(phrases), tuple(prefixes), letters, digits)


def _fts_quote(token: str) -> str:
    """An FTS5 string literal."""
    return '"' + token.replace('"', '""') + '"'


def fts5_text_query(term: QueryTerm) -> str:
    """The FTS5 MATCH expression of ``term``'s text reading (all phrases and prefixes, ANDed)."""
    columns = "{name_terms brand_terms producer_terms body_terms}"
    parts = [f"{columns} : " + " + ".join(_fts_quote(t) for t in phrase) for phrase in term.text_phrases]
    parts += [f"{columns} : {_fts_quote(prefix)}*" for prefix in term.prefixes]
    return " AND ".join(f"({part})" for part in parts)


def fts5_other_query(term: QueryTerm) -> str | None:
    """The FTS5 MATCH expression of ``term`` read as pinyin or a barcode, if it can be one."""
    parts = []
    if term.pinyin:
        parts.append(f"pinyin_terms : {_fts_quote(term.pinyin)}*")
    if term.code:
        parts.append(f"code_terms : {_fts_quote(term.code)}*")
    return " OR ".join(parts) or None


def _pg_quote(token: str) -> str:
    """A tsquery lexeme literal."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def pg_text_query(term: QueryTerm) -> str:
    """The ``to_tsquery('simple', …)`` text of ``term``'s text reading (phrases with ``<->``, prefixes)."""
    parts = [" <-> ".join(_pg_quote(t) for t in phrase) for phrase in term.text_phrases]
    parts += [f"{_pg_quote(prefix)}:*" for prefix in term.prefixes]
    return " & ".join(f"({part})" for part in parts)


def pg_other_query(term: QueryTerm) -> str | None:
    """The tsquery of ``term`` read as pinyin or a barcode (only pinyin and codes carry such lexemes)."""
    parts = []
    if term.pinyin:
        parts.append(f"{_pg_quote(term.pinyin)}:*B")
    if term.code:
        parts.append(f"{_pg_quote(term.code)}:*D")
    return " | ".join(parts) or None


# --- keeping the index current -----------------------------------------------------------------------------


def _documents(session: Session, products: Iterable[Product]) -> Iterator[dict[str, object]]:
    """Rows of ``catalog_product_search`` for ``products`` (their producers' names read once)."""
    products = list(products)
    producer_ids = {p.producer_id for p in products if p.producer_id is not None}
    names: dict[int, str] = {
        row.id: row.name
        for row in session.execute(select(Producer.id, Producer.name).where(Producer.id.in_(producer_ids)))
    }
    for product in products:
        yield {
            "product_id": product.id,
            **document_for(source_of(product, names.get(product.producer_id, ""))),
        }


def write_documents(connection: Connection, rows: list[dict[str, object]]) -> None:
    """Replace the search documents of these products (delete + insert keeps FTS5's triggers simple)."""
    if not rows:
        return
    table = Table("catalog_product_search", ProductSearchDocument.metadata)
    ids = [row["product_id"] for row in rows]
    connection.execute(table.delete().where(table.c.product_id.in_(ids)))
    connection.execute(table.insert(), rows)


#: Product columns that change the search document.
_PRODUCT_FIELDS = ("name", "name_en", "brand", "description", "gtin", "producer_id")


def _changed(session: Session) -> tuple[list[Product], list[int]]:
    """Products whose document must be rewritten, and ids of producers whose name changed."""
    products = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Product)
        and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    renamed = [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Producer) and session.is_modified(obj, include_collections=False)
    ]
    return products, renamed


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Note which products and producers this flush changes (``session.new``/``dirty`` are gone after it)."""
    products, renamed = _changed(session)
    if products or renamed:
        pending = session.info.setdefault("search_pending", ([], set()))
        pending[0].extend(products)
        pending[1].update(renamed)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Write the search documents of the products this flush inserted or changed, in the same transaction
    (after the flush, once its new rows are in the identity map)."""
    pending = session.info.pop("search_pending", None)
    if pending is None:
        return
    products, renamed = pending
    products = [p for p in dict.fromkeys(products) if p.id is not None and p not in session.deleted]
    if renamed:
        products += list(
            session.scalars(
                select(Product).where(Product.producer_id.in_(renamed)).execution_options(autoflush=False)
            )
        )
        products = list(dict.fromkeys(products))
    with session.no_autoflush:
        rows = list(_documents(session, products))
    write_documents(session.connection(), rows)


def track_product_changes() -> None:
    """Listen (once per process) on every Session: changed products get their search document rewritten."""
    for name, listener in (("before_flush", _before_flush), ("after_flush_postexec", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def reindex_all(session: Session, batch: int = 1000) -> int:
    """Rewrite every product's search document (after a bulk load or a tokenizer change); return how many.

    Does not commit.
    """
    done = 0
    last_id = 0
    while True:
        products = list(
            session.scalars(select(Product).where(Product.id > last_id).order_by(Product.id).limit(batch))
        )
        if not products:
            return done
        write_documents(session.connection(), list(_documents(session, products)))
        done += len(products)
        last_id = products[-1].id


# --- a match, written once, compiled for each database -----------------------------------------------------


class ProductMatch(ColumnElement[bool]):
    """``catalog_product.id`` is among the products whose search document matches: an FTS5 MATCH on SQLite,
    a ``tsvector @@ tsquery`` on PostgreSQL (both served by the migration's index)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("fts5", InternalTraversal.dp_clauseelement),
        ("tsquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, fts5: str, tsquery: str) -> None:
        self.fts5 = bindparam(None, fts5, type_=String(), unique=True)
        self.tsquery = bindparam(None, tsquery, type_=String(), unique=True)


@compiles(ProductMatch, "sqlite")
def _match_on_sqlite(element: ProductMatch, compiler: SQLCompiler, **kw: Any) -> str:
    """An FTS5 MATCH over the index's rowids (= product ids)."""
    param = compiler.process(element.fts5, **kw)
    return f"catalog_product.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {param})"  # noqa: S608


@compiles(ProductMatch, "postgresql")
def _match_on_postgresql(element: ProductMatch, compiler: SQLCompiler, **kw: Any) -> str:
    """The weighted document (the GIN index's expression) matches the tsquery."""
    param = compiler.process(element.tsquery, **kw)
    match = f"({PG_DOCUMENT}) @@ to_tsquery('simple', {param})"
    return f"catalog_product.id IN (SELECT product_id FROM catalog_product_search WHERE {match})"  # noqa: S608


def text_match(term: QueryTerm) -> ProductMatch:
    """Products whose name, brand, producer or description contain ``term``'s tokens."""
    return ProductMatch(fts5_text_query(term), pg_text_query(term))


def other_match(term: QueryTerm) -> ProductMatch | None:
    """Products whose pinyin or barcode starts with ``term``, if ``term`` can be read so."""
    fts5, tsquery = fts5_other_query(term), pg_other_query(term)
    if fts5 is None or tsquery is None:
        return None
    return ProductMatch(fts5, tsquery)
