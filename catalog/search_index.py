"""The product search index: products' lexemes in posting lists the database keeps ordered by product.

Each product has one row in ``catalog_product_search``: its document (:mod:`catalog.search_text`), written
by an ORM hook in the same flush as the product (so the index is never behind). A product buyers may not
see (withdrawn, or its producer not approved) has no lexemes. The database derives the index from that row
in the same statement, by triggers the migration creates: on SQLite an FTS5 table, on PostgreSQL a table of
``(lexeme, product_id)`` postings whose primary key is each lexeme's posting list in product order. Either
way the newest products holding a lexeme are read straight off the index, however many products hold it, so
a search's cost does not grow with the catalog (``catalog.search`` reads a bounded window of matches).
This module reads a query into lexemes and matches them against the index; ``catalog.search_upkeep`` keeps the
documents current.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from catalog.eligibility import visible_products
from catalog.products.models import Product
from catalog.search_text import (
    HAN,
    HAN_SPLIT,
    MAX_GRAM,
    MAX_WORD_PREFIX,
    MIN_GTIN_PREFIX,
    PINYIN,
    SYNONYMS,
    TEXT,
    WORD,
    WORD_OR_MARK,
    normalise,
)
from catalog.validators import GtinError, validate_gtin14

#: The index the database keeps from the documents (an FTS5 table on SQLite, postings on PostgreSQL).
FTS_TABLE = "catalog_product_search_fts"
#: Columns of a search document besides ``product_id``.
FIELDS = ("terms",)
# --- reading a query ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """One way a term finds a product: its document holds every lexeme of ``exact`` and one starting with
    each of ``ranges``; with ``confirm``, the product's text also contains that substring (a conjunction of
    lexemes does not prove the characters are side by side)."""

    exact: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    confirm: str | None = None


@dataclass(frozen=True)
class QueryTerm:
    """One whitespace-separated term of a search, as the index sees it."""

    raw: str  # the term as typed (normalised, after synonyms), for the substring check and the ranking
    text_phrases: tuple[tuple[str, ...], ...]  # per Han run, its bigrams (a single character: itself)
    prefixes: tuple[str, ...]  # Latin words and numbers, found as the beginning of a word
    pinyin: str | None  # the term read as pinyin (letters only)
    code: str | None  # the term read as (part of) a barcode (digits only)
    runs: tuple[str, ...] = ()  # the Han runs
    marks: tuple[str, ...] = ()  # punctuation characters

    @property
    def is_indexable(self) -> bool:
        """Whether the index can find this term at all (whitespace and control characters cannot be)."""
        return bool(self.runs or self.prefixes or self.marks)

    def text(self) -> Alternative | None:
        """The term found in a product's text (name, English name, brand, producer)."""
        if not self.is_indexable:
            return None
        exact: list[str] = []
        for run in self.runs:
            exact.extend(
                [run] if len(run) <= MAX_GRAM else [run[i : i + MAX_GRAM] for i in range(len(run) - 2)]
            )
        exact.extend(word for word in self.prefixes if len(word) <= MAX_WORD_PREFIX)
        exact.extend(self.marks)
        ranges = [TEXT + word for word in self.prefixes if len(word) > MAX_WORD_PREFIX]
        parts = len(self.runs) + len(self.prefixes) + len(self.marks)
        proven = parts == 1 and all(len(run) <= MAX_GRAM for run in self.runs)
        return Alternative(
            tuple(dict.fromkeys(TEXT + lexeme for lexeme in exact)),
            tuple(ranges),
            None if proven else self.raw,
        )

    def pinyin_reading(self, *, partial: bool) -> Alternative | None:
        """The term found as pinyin: whole syllables or initials (one lexeme), or with ``partial`` also as
        the beginning of the syllables from any position (laro → larou; a range of lexemes)."""
        if self.pinyin is None:
            return None
        if partial:
            return Alternative(ranges=(PINYIN + self.pinyin,))
        return Alternative(exact=(PINYIN + self.pinyin,))

    def gtin(self) -> str | None:
        """The whole barcode (GTIN-8, -12, -13 or -14) this term is, padded to 14 digits, if it is one."""
        if self.code is None:
            return None
        try:
            return validate_gtin14(self.code)
        except GtinError:
            return None

    def gtin_prefix(self) -> str | None:
        """The beginning of barcodes this term can be (seven digits or more, not a whole barcode)."""
        if self.code is None or len(self.code) < MIN_GTIN_PREFIX or self.gtin() is not None:
            return None
        return self.code

    def alternatives(self, *, partial: bool) -> tuple[Alternative, ...]:
        """The ways the index finds this term (``partial``: pinyin also as a prefix)."""
        found = (self.text(), self.pinyin_reading(partial=partial))
        return tuple(alternative for alternative in found if alternative is not None)

    @property
    def has_partial_reading(self) -> bool:
        """Whether reading pinyin as a prefix finds more than whole syllables do."""
        return self.pinyin is not None


def with_synonyms(term: str) -> str:
    """``term`` with the counties' variant spellings replaced by the seller's (耗牛 → 牦牛)."""
    for variant, canonical in SYNONYMS.items():
        term = term.replace(variant, canonical)
    return term


def query_term(term: str) -> QueryTerm:
    """How the index reads one search term."""
    raw = with_synonyms(normalise(term))
    phrases: list[tuple[str, ...]] = []
    runs: list[str] = []
    prefixes: list[str] = []
    marks: list[str] = []
    for chunk in HAN_SPLIT.split(raw):
        if not chunk:
            continue
        if HAN.fullmatch(chunk):
            runs.append(chunk)
            if len(chunk) == 1:
                phrases.append((chunk,))
            else:
                phrases.append(tuple(chunk[i : i + 2] for i in range(len(chunk) - 1)))
            continue
        for token in WORD_OR_MARK.findall(chunk):
            (prefixes if WORD.fullmatch(token) else marks).append(token)
    letters = raw if re.fullmatch(r"[a-z]{1,60}", raw) else None
    digits = raw if re.fullmatch(r"[0-9]{4,14}", raw) else None
    return QueryTerm(raw, tuple(phrases), tuple(prefixes), letters, digits, tuple(runs), tuple(marks))


def _next_after_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# --- the index the database keeps --------------------------------------------------------------------------

#: PostgreSQL's postings (made by the migration, not a model): the primary key (lexeme, product_id) holds
#: each lexeme's posting list in product order; the lexeme column sorts by code point (COLLATE "C").
POSTINGS = Table(
    FTS_TABLE,
    MetaData(),
    Column("lexeme", Text, primary_key=True),
    Column("product_id", Integer, primary_key=True),
)


#: A product id column, as the ORM or Core spells it.
IdColumn = ColumnElement[int] | QueryableAttribute[int]


def _fts5_quote(token: str) -> str:
    """An FTS5 string literal."""
    return '"' + token.replace('"', '""') + '"'


def fts5_query(alternatives: Iterable[Alternative]) -> str:
    """The FTS5 MATCH expression finding any of ``alternatives`` (their index part: lexemes and prefixes)."""
    found = []
    for alternative in alternatives:
        parts = [_fts5_quote(lexeme) for lexeme in alternative.exact]
        parts += [_fts5_quote(prefix) + "*" for prefix in alternative.ranges]
        found.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(found)


class _Fts5Match(ColumnElement[bool]):
    """``product_id`` is among the rowids the FTS5 expression finds (SQLite only)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("product_id", InternalTraversal.dp_clauseelement),
        ("match_text", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, product_id: IdColumn, match_text: str) -> None:
        self.product_id = coercions.expect(roles.ExpressionElementRole, product_id)
        self.match_text = bindparam(None, match_text, type_=String(), unique=True)


@compiles(_Fts5Match)
def _fts5_match(element: _Fts5Match, compiler: SQLCompiler, **kw: Any) -> str:
    """``… IN (SELECT rowid FROM the FTS5 table WHERE it MATCHes)``."""
    column = compiler.process(element.product_id, **kw)
    param = compiler.process(element.match_text, **kw)
    return f"{column} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {param})"  # noqa: S608


def _has_lexeme(product_id: IdColumn, lexeme: str) -> ColumnElement[bool]:
    """PostgreSQL: the product's postings hold ``lexeme`` (one primary-key probe)."""
    return exists().where(POSTINGS.c.lexeme == lexeme, POSTINGS.c.product_id == product_id)


def _has_prefix(product_id: IdColumn, prefix: str) -> ColumnElement[bool]:
    """PostgreSQL: the product's postings hold a lexeme starting with ``prefix`` (a primary-key range)."""
    return exists().where(
        POSTINGS.c.lexeme >= prefix,
        POSTINGS.c.lexeme < _next_after_prefix(prefix),
        POSTINGS.c.product_id == product_id,
    )


class IndexMatch(ColumnElement[bool]):
    """The product with id ``product_id`` is found through the index by one of ``alternatives`` (their
    lexemes and prefixes; ``confirm`` substrings are the caller's): an FTS5 MATCH on SQLite, probes of
    the postings' primary key on PostgreSQL. Written once, compiled for each database."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("fts5", InternalTraversal.dp_clauseelement),
        ("postings", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, product_id: IdColumn, alternatives: Sequence[Alternative]) -> None:
        self.fts5 = _Fts5Match(product_id, fts5_query(alternatives))
        self.postings = or_(
            *(
                and_(
                    *(_has_lexeme(product_id, lexeme) for lexeme in alternative.exact),
                    *(_has_prefix(product_id, prefix) for prefix in alternative.ranges),
                )
                for alternative in alternatives
            )
        )


@compiles(IndexMatch, "sqlite")
def _index_match_on_sqlite(element: IndexMatch, compiler: SQLCompiler, **kw: Any) -> str:
    """The FTS5 form."""
    return compiler.process(element.fts5, **kw)


@compiles(IndexMatch)
def _index_match_on_postgresql(element: IndexMatch, compiler: SQLCompiler, **kw: Any) -> str:
    """The postings form (PostgreSQL; any database but SQLite)."""
    return compiler.process(element.postings, **kw)


def gtin_match(term: QueryTerm) -> ColumnElement[bool] | None:
    """The product's barcode is the term, or starts with it (the unique index on ``gtin``)."""
    whole, prefix = term.gtin(), term.gtin_prefix()
    if whole is not None:
        return Product.gtin == whole
    if prefix is not None:
        return and_(Product.gtin >= prefix, Product.gtin < _next_after_prefix(prefix))
    return None


def _scan(alternative: Alternative) -> Select[tuple[int]] | None:
    """PostgreSQL: the postings of an alternative that is one lexeme (read in product order off the primary
    key) or one prefix (a range of lexemes, then sorted); ``None`` for anything else."""
    if alternative.confirm is not None or len(alternative.exact) + len(alternative.ranges) != 1:
        return None
    scan = select(POSTINGS.c.product_id)
    if alternative.exact:
        scan = scan.where(POSTINGS.c.lexeme == alternative.exact[0])
    else:
        prefix = alternative.ranges[0]
        scan = scan.where(
            POSTINGS.c.lexeme >= prefix, POSTINGS.c.lexeme < _next_after_prefix(prefix)
        ).distinct()
    return scan


def newest_found(
    session: Session, terms: Sequence[QueryTerm], limit: int, *, partial: bool
) -> list[int] | None:
    """The ids of the newest ``limit`` products the terms find, read off the index without touching the
    products — or ``None`` when the terms need a general query (several lexemes to intersect on
    PostgreSQL, a substring to confirm, a barcode among several terms). Only what buyers may see is in
    the index; barcodes are checked against the same rule."""
    readings = [term.alternatives(partial=partial) for term in terms]
    if not readings or not all(readings):
        return None
    if any(alternative.confirm is not None for alternatives in readings for alternative in alternatives):
        return None
    sqlite = session.get_bind().dialect.name == "sqlite"
    if len(terms) > 1:
        if not sqlite or any(gtin_match(term) is not None for term in terms):
            return None
        expression = " AND ".join(f"({fts5_query(alternatives)})" for alternatives in readings)
        return _fts5_ids(session, expression, limit)
    ids: list[int] = []
    parts: list[Select[tuple[int]]] = []
    if sqlite:
        ids = _fts5_ids(session, fts5_query(readings[0]), limit)
    else:
        scans = [_scan(alternative) for alternative in readings[0]]
        if any(scan is None for scan in scans):
            return None
        parts += [
            scan.order_by(POSTINGS.c.product_id.desc()).limit(limit) for scan in scans if scan is not None
        ]
    barcode = gtin_match(terms[0])
    if barcode is not None:
        parts.append(_visible_ids().where(barcode).order_by(Product.id.desc()).limit(limit))
    if parts:
        ids += session.scalars(union_all(*(part.subquery().select() for part in parts))).all()
    return sorted(set(ids), reverse=True)[:limit]


def _fts5_ids(session: Session, expression: str, limit: int) -> list[int]:
    """SQLite: the newest ``limit`` rowids the FTS5 expression finds (FTS5 walks its doclists by rowid)."""
    statement = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q ORDER BY rowid DESC LIMIT :n"  # noqa: S608
    return list(session.scalars(text(statement), {"q": expression, "n": limit}))


def _visible_ids() -> Select[tuple[int]]:
    """Ids of the products buyers may see."""
    return visible_products().with_only_columns(Product.id)
