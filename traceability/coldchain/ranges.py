"""The safe temperature range of each kind of product, and which kind a catalog product is.

The catalog knows a product's category, whether it travels in the cold chain (``is_cold_chain``) and its
name and specification ("排酸分割 真空冷冻 1 kg/袋"); those decide its kind here. A product of no kind has no
range and so no cold-chain verdict (its readings are still kept and shown).

Sources of the ranges:

- Frozen meat ≤ −18 °C and chilled meat 0–4 °C: GB 20799-2016
  (食品安全国家标准 肉和肉制品经营卫生规范) asks chilled meat kept at 0–4 °C
  and frozen meat at −18 °C or below; GB 31605-2020 (食品冷链物流卫生规范)
  asks the whole chain (storage, loading, transport, handover) to keep the
  temperature the product needs.
- Cured pork (腊肉) and dry-cured or smoked meat (牦牛肉干) ≤ 25 °C:
  GB 2730-2015 (腌腊肉制品) sets no number; these are shelf-stable products
  labelled "置阴凉干燥处", and USDA FSIS ("Ham and Food Safety") lets
  dry-cured country ham be kept at room temperature. We take ≤ 25 °C, the
  upper end of room temperature, so a lot left in a hot truck shows up.
- Fresh vegetables 0–8 °C: the chilled band of fresh-produce cold chains
  (GB/T 33129-2016, 新鲜水果、蔬菜包装和冷链运输通用操作规程).
  Chill-sensitive vegetables (peppers, tomatoes) keep best near the top of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.products.models import Category, Product


class ColdChainKind(enum.StrEnum):
    """Kinds of product with a safe temperature range."""

    FROZEN_MEAT = "frozen_meat"
    CHILLED_MEAT = "chilled_meat"
    CURED_MEAT = "cured_meat"
    FRESH_VEGETABLES = "fresh_vegetables"


@dataclass(frozen=True)
class SafeRange:
    """Bounds in hundredths of °C (``None``: unbounded on that side)."""

    kind: ColdChainKind
    low: int | None
    high: int | None

    def holds(self, value: int) -> bool:
        """Whether ``value`` (hundredths of °C) is within the range."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


RANGES = {
    ColdChainKind.FROZEN_MEAT: SafeRange(ColdChainKind.FROZEN_MEAT, None, -1800),
    ColdChainKind.CHILLED_MEAT: SafeRange(ColdChainKind.CHILLED_MEAT, 0, 400),
    ColdChainKind.CURED_MEAT: SafeRange(ColdChainKind.CURED_MEAT, None, 2500),
    ColdChainKind.FRESH_VEGETABLES: SafeRange(ColdChainKind.FRESH_VEGETABLES, 0, 800),
}

KIND_LABELS = {
    ColdChainKind.FROZEN_MEAT: _l("frozen meat"),
    ColdChainKind.CHILLED_MEAT: _l("chilled meat"),
    ColdChainKind.CURED_MEAT: _l("cured or dried meat"),
    ColdChainKind.FRESH_VEGETABLES: _l("fresh vegetables"),
}

_ANIMAL = frozenset({Category.MEAT, Category.POULTRY, Category.AQUATIC})
_FROZEN_WORDS = ("冷冻", "速冻", "冻品", "frozen")
_CURED_WORDS = ("腊", "熏", "腌", "风干", "肉干", "cured", "smoked", "jerky")


def _says(product: Product, words: tuple[str, ...]) -> bool:
    text = " ".join(filter(None, (product.name, product.name_en, product.specification))).lower()
    return any(word in text for word in words)


def kind_of(product: Product) -> ColdChainKind | None:
    """The cold-chain kind of ``product``, or ``None`` when it has no safe range."""
    category = product.category
    if category in _ANIMAL and _says(product, _FROZEN_WORDS):
        return ColdChainKind.FROZEN_MEAT
    if category in (*_ANIMAL, Category.PROCESSED) and _says(product, _CURED_WORDS):
        return ColdChainKind.CURED_MEAT
    if category in _ANIMAL and product.is_cold_chain:
        return ColdChainKind.CHILLED_MEAT
    if category == Category.VEGETABLES and product.is_cold_chain:
        return ColdChainKind.FRESH_VEGETABLES
    return None


def range_of(product: Product) -> SafeRange | None:
    """The safe range of ``product``, or ``None``."""
    kind = kind_of(product)
    return RANGES[kind] if kind is not None else None


def degrees(value: int) -> str:
    """Hundredths of °C as shown: ``−18 °C``, ``3.5 °C`` (a real minus sign)."""
    text = f"{abs(value) / 100:.2f}".rstrip("0").rstrip(".")
    return f"{'−' if value < 0 else ''}{text} °C"


def range_text(safe: SafeRange) -> str:
    """The range as shown, in the current language: ``−18 °C or below`` (−18 °C 以下), ``0–4 °C``."""
    if safe.low is None and safe.high is not None:
        return str(_("%(value)s or below", value=degrees(safe.high)))
    if safe.high is None and safe.low is not None:
        return str(_("%(value)s or above", value=degrees(safe.low)))
    return f"{degrees(safe.low or 0).removesuffix(' °C')}–{degrees(safe.high or 0)}"
