"""What products are found by: the lexemes we make of a product's text and pinyin, and its search document.

Chinese has no spaces, and neither database splits it into words, so we do it the way CJK search engines
do, one step further: every run of Han characters gives its unigrams, bigrams and trigrams (牦牛肉干 → 牦 牛
肉 干, 牦牛 牛肉 肉干, 牦牛肉 牛肉干). A term of one, two or three characters is then **one lexeme**, and a
longer one the conjunction of its trigrams, confirmed as a substring. Latin words and numbers give their
prefixes (jerky → j je jer jerk jerky), so a word typed in part is one lexeme too; punctuation gives each
character. Product names and brands also give their **pinyin**: every stretch of one or two whole
syllables and of up to four initials (老腊肉 → lao la rou laola larou, l ll lr llr …), and the syllables from
each position to the end (laolarou, llr) for longer or partly typed pinyin, matched as prefixes. Barcodes
(GTIN) are matched on the product's own unique column, not here.

A product's document is its lexemes, space-separated, namespaced ``t:`` (text) and ``p:`` (pinyin), with its
county and category; :mod:`catalog.search_index` keeps the documents in the database and reads queries
against them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from catalog.products.models import Category, Product

#: Namespaces of the lexemes: text (name, English name, brand, producer), pinyin (name, brand), and the
#: product's county (division code) and category, so that narrowing a search by them is one more posting list.
TEXT, PINYIN, COUNTY, CATEGORY = "t:", "p:", "c:", "k:"

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
#: Longest Han n-gram indexed: terms up to this long are one lexeme, longer ones the AND of theirs.
MAX_GRAM = 3
#: Latin words and numbers are indexed with their prefixes up to this long (longer prefixes: a range).
MAX_WORD_PREFIX = 10
#: Whole-syllable pinyin stretches up to this many syllables, and initials up to this many letters, are
#: lexemes of their own; longer pinyin is found as a prefix of the syllables to the end.
EXACT_SYLLABLES, EXACT_INITIALS = 2, 4
#: Longest stretch of pinyin syllables run together (longer names still match from any of their starts).
MAX_PINYIN_SYLLABLES = 12
#: Shortest part of a barcode searched as its beginning (a GS1 company prefix has seven digits or more).
MIN_GTIN_PREFIX = 7

HAN_CLASS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
HAN = re.compile(HAN_CLASS + "+")
HAN_SPLIT = re.compile("(" + HAN_CLASS + "+)")
WORD = re.compile(r"[0-9a-z]+")
WORD_OR_MARK = re.compile(r"[0-9a-z]+|[^\s0-9a-z]")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han (Chinese) character."""
    return bool(HAN.fullmatch(char))


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), lowercase: how the index and the ranking read text."""
    return unicodedata.normalize("NFKC", text).lower()


def _chunks(text: str) -> Iterator[tuple[bool, str]]:
    """The runs of ``text`` (normalised): ``(True, han_run)`` and ``(False, other_text)`` in order."""
    for chunk in HAN_SPLIT.split(normalise(text)):
        if chunk:
            yield bool(HAN.fullmatch(chunk)), chunk


def text_tokens(text: str | None) -> list[str]:
    """The tokens of free text: per Han run its bigrams then its unigrams; Latin words, numbers and
    punctuation characters."""
    if not text:
        return []
    tokens: list[str] = []
    for han, chunk in _chunks(text):
        if han:
            tokens.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
            tokens.extend(chunk)
        else:
            tokens.extend(WORD_OR_MARK.findall(chunk))
    return tokens


def _grams(run: str) -> list[str]:
    """The 1- to ``MAX_GRAM``-character substrings of a Han run."""
    return [run[i : i + n] for n in range(1, MAX_GRAM + 1) for i in range(len(run) - n + 1)]


def text_lexemes(text: str | None) -> list[str]:
    """What free text is found by (without namespace): Han n-grams, word prefixes, punctuation."""
    if not text:
        return []
    lexemes: list[str] = []
    for han, chunk in _chunks(text):
        if han:
            lexemes.extend(_grams(chunk))
            continue
        for token in WORD_OR_MARK.findall(chunk):
            if WORD.fullmatch(token):
                lexemes.extend(token[:n] for n in range(1, min(len(token), MAX_WORD_PREFIX) + 1))
                if len(token) > MAX_WORD_PREFIX:
                    lexemes.append(token)
            else:
                lexemes.append(token)
    return lexemes


@functools.lru_cache(maxsize=16_384)
def pinyin_syllables(text: str) -> tuple[str, ...]:
    """The pinyin syllables of the Han characters of ``text`` (names and brands recur: remembered)."""
    han = "".join(HAN.findall(normalise(text)))
    return tuple(lazy_pinyin(han, errors="ignore")) if han else ()


def pinyin_tokens(text: str | None) -> list[str]:
    """Pinyin of the Han characters of ``text``: from each position, the syllables to the end run together,
    in full and as initials (``老腊肉`` → ``laolarou larou rou llr lr r``)."""
    if not text:
        return []
    full = pinyin_syllables(text)
    initials = [syllable[:1] for syllable in full]
    tokens: list[str] = []
    for syllables in (full, initials):
        for start in range(len(syllables)):
            tokens.append("".join(syllables[start : start + MAX_PINYIN_SYLLABLES]))
    return list(dict.fromkeys(token for token in tokens if token))


def pinyin_lexemes(text: str | None) -> list[str]:
    """What a name or brand is found by as pinyin (without namespace): whole-syllable stretches, initials,
    and the syllables from each position to the end."""
    if not text:
        return []
    full = pinyin_syllables(text)
    initials = [syllable[:1] for syllable in full]
    lexemes = [
        "".join(syllables[start : start + n])
        for syllables, longest in ((full, EXACT_SYLLABLES), (initials, EXACT_INITIALS))
        for n in range(1, longest + 1)
        for start in range(len(syllables) - n + 1)
    ]
    return [lexeme for lexeme in lexemes + pinyin_tokens(text) if lexeme]


@dataclass(frozen=True)
class DocumentSource:
    """What a product's search document is made of (the description is not searched)."""

    name: str
    name_en: str | None
    brand: str | None
    description: str | None
    gtin: str | None
    producer_name: str
    is_visible: bool = True  # active, of an approved producer: what buyers may find
    county_code: str | None = None  # the producer's county (division code)
    category: str | None = None  # the product's category (its value)


def document_for(source: DocumentSource) -> dict[str, str]:
    """The search document of one product: its lexemes, space-separated (none if buyers may not see it)."""
    if not source.is_visible:
        return {"terms": ""}
    text = [
        lexeme
        for field in (source.name, source.name_en, source.brand, source.producer_name)
        for lexeme in text_lexemes(field)
    ]
    pinyin = pinyin_lexemes(source.name) + pinyin_lexemes(source.brand)
    lexemes = dict.fromkeys([TEXT + lexeme for lexeme in text] + [PINYIN + lexeme for lexeme in pinyin])
    for namespace, value in ((COUNTY, source.county_code), (CATEGORY, source.category)):
        if value:
            lexemes[namespace + value] = None
    return {"terms": " ".join(lexemes)}


def source_of(
    product: Product, producer_name: str, producer_approved: bool, county_code: str | None
) -> DocumentSource:
    """The document source of a loaded product, given its producer's name, whether it is approved, and its
    county's division code."""
    return DocumentSource(
        product.name,
        product.name_en,
        product.brand,
        product.description,
        product.gtin,
        producer_name,
        bool(product.is_active) and producer_approved,
        county_code,
        Category(product.category).value,
    )
