"""Shapes of the demo catalogue (see ``shop.demo.catalog`` for the data itself).

Plain data only; ``shop.demo.seed`` turns it into rows. Names are plausible,
not the legal names of real firms, and every organisation's description says it is demo data.
Credit codes and GTINs are built here with their real check digits, so they pass the same
validators as a seller's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalog.producers.models import LinkageMode, ProducerKind, ProducerStatus
from catalog.products.models import Category, QualityMarkKind, Unit
from catalog.validators import (
    compute_credit_code_check_digit,
    compute_gtin_check_digit,
    compute_org_code_check_digit,
)

DEMO_NOTE = "（平台演示数据，名称与代码均为虚构。）"


class CertPlan(StrEnum):
    """Where a demo product's 消费帮扶产品认定 stands relative to today."""

    VALID = "valid"  # certified, issued ``days`` ago, valid for a year
    EXPIRING = "expiring"  # certified, expires in ``days`` days
    EXPIRED = "expired"  # certified, expired ``days`` days ago
    APPLIED = "applied"  # application waiting for the reviewer


@dataclass(frozen=True)
class CertSpec:
    """A demo certification: its plan, the certificate's running number in its county, and a day count."""

    plan: CertPlan
    number: int = 0
    days: int = 30


@dataclass(frozen=True)
class CountyAuthority:
    """Who certifies in a county, and how its certificate numbers read."""

    authority: str
    number_prefix: str

    def certificate_no(self, year: int, number: int) -> str:
        """A certificate number such as 城口消帮认〔2026〕第012号."""
        return f"{self.number_prefix}〔{year}〕第{number:03d}号"


AUTHORITIES = {
    "653122": CountyAuthority("疏勒县乡村振兴局", "疏勒消帮认"),
    "653131": CountyAuthority("塔什库尔干塔吉克自治县乡村振兴局", "塔县消帮认"),
    "500229": CountyAuthority("城口县乡村振兴局", "城口消帮认"),
}


@dataclass(frozen=True)
class ProductSpec:
    """One demo product; ``gtin_item`` is the 5-digit item reference under the producer's GS1 prefix."""

    name: str
    name_en: str
    category: Category
    unit: Unit
    price_fen: int
    description: str
    motif: str
    net_weight_g: int | None = None
    specification: str | None = None
    tiers: tuple[tuple[int, int], ...] = ()
    institution_moq: int = 1
    monthly_capacity: int | None = None
    season: tuple[int, int] = (1, 12)
    is_cold_chain: bool = False
    brand: str | None = None
    gtin_item: str | None = None
    marks: tuple[tuple[QualityMarkKind, str], ...] = ()
    certificate: CertSpec | None = None


@dataclass(frozen=True)
class ProducerSpec:
    """One demo seller. ``org_body`` is the 8-character organisation code body (None for households)."""

    name: str
    kind: ProducerKind
    county_code: str
    township_code: str
    village_code: str | None
    org_body: str | None
    address: str
    contact_name: str
    description: str
    lifted_households: int
    monitored_households: int
    linkage_modes: tuple[LinkageMode, ...]
    products: tuple[ProductSpec, ...]
    status: ProducerStatus = ProducerStatus.APPROVED
    contact_phone: str | None = None
    owner_email: str | None = None
    logo_motif: str | None = None
    logo_text: str = ""
    gs1_prefix: str | None = None

    @property
    def credit_code(self) -> str | None:
        """The 统一社会信用代码: authority/type, county code, organisation code with both check digits."""
        if self.org_body is None:
            return None
        head = "93" if self.kind is ProducerKind.COOPERATIVE else "91"  # 93 农民专业合作社, 91 企业
        first17 = head + self.county_code + self.org_body + compute_org_code_check_digit(self.org_body)
        return first17 + compute_credit_code_check_digit(first17)

    def gtin(self, product: ProductSpec) -> str | None:
        """The product's GTIN-14: indicator 0, this producer's 69… prefix, item reference, check digit."""
        if self.gs1_prefix is None or product.gtin_item is None:
            return None
        body = "0" + self.gs1_prefix + product.gtin_item
        return body + compute_gtin_check_digit(body)
