"""Products, their price tiers, quality marks, images and consumption-assistance certificates."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.clock import shanghai_date
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User


class Category(enum.StrEnum):
    """Product categories; the first group needs a compliance certificate per batch (承诺达标合格证)."""

    VEGETABLES = "vegetables"
    FRUIT = "fruit"
    MEAT = "meat"
    EGGS = "eggs"
    POULTRY = "poultry"
    AQUATIC = "aquatic"
    DRIED_FRUIT_NUTS = "dried_fruit_nuts"
    GRAIN = "grain"
    MUSHROOMS = "mushrooms"
    HONEY = "honey"
    TEA = "tea"
    HERBS = "herbs"
    PROCESSED = "processed"
    OTHER = "other"

    @property
    def needs_compliance_certificate(self) -> bool:
        """Edible farm products sold fresh need 承诺达标合格证 on every batch."""
        return self in _COMPLIANCE_CATEGORIES

    @property
    def is_meat(self) -> bool:
        """Meat batches carry slaughterhouse and quarantine numbers."""
        return self in (Category.MEAT, Category.POULTRY)


_COMPLIANCE_CATEGORIES = frozenset(
    {Category.VEGETABLES, Category.FRUIT, Category.MEAT, Category.EGGS, Category.POULTRY, Category.AQUATIC}
)


class Unit(enum.StrEnum):
    """Selling units; packaged units (piece, box) state a net weight."""

    KG = "kg"
    JIN = "jin"  # 斤, 500 g
    PIECE = "piece"  # 件
    BOX = "box"  # 箱

    @property
    def is_packaged(self) -> bool:
        """Whether one unit is a package whose net weight must be stated."""
        return self in (Unit.PIECE, Unit.BOX)


class QualityMarkKind(enum.StrEnum):
    """Quality marks with certificate numbers (两品一标)."""

    GREEN_FOOD = "green_food"  # 绿色食品
    ORGANIC = "organic"  # 有机产品
    GEOGRAPHICAL_INDICATION = "geographical_indication"  # 农产品地理标志


class CertificationStatus(enum.StrEnum):
    """Where a product's consumption-assistance certification (消费帮扶产品认定) stands."""

    APPLIED = "applied"
    CERTIFIED = "certified"
    REJECTED = "rejected"
    REVOKED = "revoked"


#: The facts of a product its consumption-assistance certificate vouches for. They cannot change while a
#: certificate is valid (:mod:`catalog.products.services`) and are copied onto the certificate when it is
#: issued, with the producer's name and place (:meth:`Certification.record_facts`).
CERTIFIED_FACTS = ("name", "name_en", "category", "unit", "net_weight_g", "specification", "brand")


@dataclass(frozen=True)
class CertifiedFacts:
    """What a certificate vouches for: the product as the county office certified it, and where it is from."""

    name: str
    name_en: str | None
    category: Category
    unit: Unit
    net_weight_g: int | None
    specification: str | None
    brand: str | None
    producer: str
    origin: str

    def as_dict(self) -> dict[str, Any]:
        """The facts as JSON values (the API and the trace page's JSON)."""
        return {
            "name": self.name,
            "name_en": self.name_en,
            "category": self.category.value,
            "unit": self.unit.value,
            "net_weight_g": self.net_weight_g,
            "specification": self.specification,
            "brand": self.brand,
            "producer": self.producer,
            "origin": self.origin,
        }


class Product(Base):
    """Something a producer sells. Price is in fen; stock lives on batches (traceability), not here."""

    __tablename__ = "catalog_product"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("institution_moq >= 1", name="moq_positive"),
        CheckConstraint(
            "season_start BETWEEN 1 AND 12 AND season_end BETWEEN 1 AND 12", name="season_months"
        ),
        # listing orders (newest, price) and a producer's page read these indexes in order, a page at a time
        Index("ix_catalog_product_newest", "created_at", "id"),
        Index("ix_catalog_product_price", "price_fen", "id"),
        Index("ix_catalog_product_producer_newest", "producer_id", "created_at", "id"),
        Index("ix_catalog_product_county_newest", "county_id", "created_at", "id"),
        # price monitoring: the products a reference price governs (a category and unit, in a county)
        Index("ix_catalog_product_category_unit", "category", "unit", "county_id"),
        # the listing shows what can be bought first: each order read off an index, for sale or not
        # (catalog.shelf); the daily refresh finds the products whose days for sale have just run out
        Index("ix_catalog_product_sale_newest", "is_for_sale", "created_at", "id"),
        Index("ix_catalog_product_sale_price", "is_for_sale", "price_fen", "id"),
        Index("ix_catalog_product_sale_name", "is_for_sale", "name", "id"),
        Index("ix_catalog_product_county_sale", "county_id", "is_for_sale", "created_at", "id"),
        Index("ix_catalog_product_sale_until", "is_for_sale", "for_sale_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_producer.id", ondelete="CASCADE"), index=True
    )
    #: The producer's county, copied in the flush (:mod:`catalog.products.placement`) so that a county's
    #: products are read in the order of one index, not gathered from each of its producers. No foreign key:
    #: a copy of the producer's, which has one.
    county_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), index=True)
    name_en: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[Category] = mapped_column(str_enum(Category, 32), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, 8))
    #: Net weight of one packaged unit in grams (required for piece/box).
    net_weight_g: Mapped[int | None] = mapped_column(Integer)
    specification: Mapped[str | None] = mapped_column(String(120))
    price_fen: Mapped[int] = mapped_column(Integer)
    institution_moq: Mapped[int] = mapped_column(Integer, default=1)
    monthly_capacity: Mapped[int | None] = mapped_column(Integer)
    season_start: Mapped[int] = mapped_column(Integer, default=1)
    season_end: Mapped[int] = mapped_column(Integer, default=12)
    is_cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Regional public brand, e.g. 疏勒蔬菜, 大巴山硒谷.
    brand: Mapped[str | None] = mapped_column(String(60))
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: The last Asia/Shanghai day a batch of the product holds units buyers can take (written by the
    #: traceability package through :func:`catalog.shelf.set_stock`); ``None``: nothing in stock.
    stock_until: Mapped[date | None] = mapped_column(Date)
    #: Whether buyers can buy it (a valid certificate and stock): kept by :mod:`catalog.shelf` in the
    #: transaction that changes either, and by its daily refresh for dates that pass.
    is_for_sale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The last day ``is_for_sale`` holds without another write (the certificate's or the stock's end).
    for_sale_until: Mapped[date | None] = mapped_column(Date)

    producer: Mapped[Producer] = relationship(backref="products")
    tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="PriceTier.min_quantity"
    )
    quality_marks: Mapped[list[QualityMark]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Certification.id"
    )

    def unit_price_for(self, quantity: int) -> int:
        """The unit price in fen for ``quantity`` units: the best tier reached, else the retail price."""
        price = self.price_fen
        for tier in self.tiers:
            if quantity >= tier.min_quantity:
                price = min(price, tier.unit_price_fen)
        return price

    def in_season(self, month: int) -> bool:
        """Whether the product is available in ``month`` (seasons may wrap around the new year)."""
        if self.season_start <= self.season_end:
            return self.season_start <= month <= self.season_end
        return month >= self.season_start or month <= self.season_end

    def current_certification(self) -> Certification | None:
        """The newest certification record (applied, certified, rejected or revoked), if any."""
        return self.certifications[-1] if self.certifications else None

    def valid_certificate_on(self, day: date) -> Certification | None:
        """The certificate that makes the product count on ``day`` (an Asia/Shanghai date), if any."""
        for cert in reversed(self.certifications):
            if cert.is_valid_on(day):
                return cert
        return None

    def fact_values(self) -> dict[str, Any]:
        """The current values of :data:`CERTIFIED_FACTS` (enums as their values)."""
        values = {name: getattr(self, name) for name in CERTIFIED_FACTS}
        return {
            name: value.value if isinstance(value, enum.Enum) else value for name, value in values.items()
        }

    def facts_fingerprint(self) -> str:
        """A short digest of the current certified facts: a reviewer's form carries the one they saw, so a
        change made meanwhile is noticed before it is certified."""
        text = json.dumps(self.fact_values(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def facts(self) -> CertifiedFacts:
        """The product's facts as they are now, with its producer's name and place."""
        producer = self.producer
        return CertifiedFacts(
            name=self.name,
            name_en=self.name_en,
            category=Category(self.category),
            unit=Unit(self.unit),
            net_weight_g=self.net_weight_g,
            specification=self.specification,
            brand=self.brand,
            producer=producer.name,
            origin=producer.location.path_name(),
        )


def products_of(producer: Producer) -> list[Product]:
    """The producer's products: the ``products`` backref of :attr:`Product.producer`.

    Type checkers cannot see a backref; declaring it on :class:`Producer` would make the two model modules
    import each other.
    """
    products: list[Product] = getattr(producer, "products", [])
    return products


class PriceTier(Base):
    """From ``min_quantity`` units on, each unit costs ``unit_price_fen``."""

    __tablename__ = "catalog_price_tier"
    __table_args__ = (
        UniqueConstraint("product_id", "min_quantity"),
        CheckConstraint("min_quantity >= 2 AND unit_price_fen > 0", name="tier_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    min_quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="tiers")


class QualityMark(Base):
    """A green-food, organic or geographical-indication mark with its certificate number."""

    __tablename__ = "catalog_quality_mark"
    __table_args__ = (UniqueConstraint("product_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    kind: Mapped[QualityMarkKind] = mapped_column(str_enum(QualityMarkKind, 32), index=True)
    certificate_no: Mapped[str] = mapped_column(String(60))

    product: Mapped[Product] = relationship(back_populates="quality_marks")


class ProductImage(Base):
    """One stored image of a product (see catalog.images for the files)."""

    __tablename__ = "catalog_product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="images")


class Certification(Base):
    """An application for, and the decision on, a product's 消费帮扶产品认定.

    A certified record counts from ``valid_from`` to ``valid_to`` inclusive (Asia/Shanghai dates) and stops
    counting by date alone, or at once when revoked.
    """

    __tablename__ = "catalog_certification"
    __table_args__ = (CheckConstraint("valid_from IS NULL OR valid_to >= valid_from", name="validity_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    status: Mapped[CertificationStatus] = mapped_column(
        str_enum(CertificationStatus, 16), default=CertificationStatus.APPLIED, index=True
    )
    certificate_no: Mapped[str | None] = mapped_column(String(60), unique=True)
    authority: Mapped[str | None] = mapped_column(String(120))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, index=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    #: When a reviewer revoked it: it counted on the days before, not from that day on.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When its producer was told it is about to end (``catalog.certification.reminders``), once.
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the certificate vouches for, copied from the product when it was issued (see CertifiedFacts):
    #: the public list, its CSV, the API and trace pages show these, never the product's later details.
    certified_name: Mapped[str | None] = mapped_column(String(120))
    certified_name_en: Mapped[str | None] = mapped_column(String(120))
    certified_category: Mapped[Category | None] = mapped_column(str_enum(Category, 32))
    certified_unit: Mapped[Unit | None] = mapped_column(str_enum(Unit, 8))
    certified_net_weight_g: Mapped[int | None] = mapped_column(Integer)
    certified_specification: Mapped[str | None] = mapped_column(String(120))
    certified_brand: Mapped[str | None] = mapped_column(String(60))
    certified_producer: Mapped[str | None] = mapped_column(String(120))
    certified_origin: Mapped[str | None] = mapped_column(String(200))

    product: Mapped[Product] = relationship(back_populates="certifications")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def record_facts(self) -> None:
        """Copy what the certificate vouches for from the product as it is now (when issuing it)."""
        facts = self.product.facts()
        self.certified_name = facts.name
        self.certified_name_en = facts.name_en
        self.certified_category = facts.category
        self.certified_unit = facts.unit
        self.certified_net_weight_g = facts.net_weight_g
        self.certified_specification = facts.specification
        self.certified_brand = facts.brand
        self.certified_producer = facts.producer
        self.certified_origin = facts.origin[:200]

    @property
    def facts(self) -> CertifiedFacts:
        """What the certificate vouches for: the copy made when it was issued; for an application not yet
        decided (nothing vouched for yet), the product as it is now."""
        if self.certified_name is None or self.certified_category is None or self.certified_unit is None:
            return self.product.facts()
        return CertifiedFacts(
            name=self.certified_name,
            name_en=self.certified_name_en,
            category=Category(self.certified_category),
            unit=Unit(self.certified_unit),
            net_weight_g=self.certified_net_weight_g,
            specification=self.certified_specification,
            brand=self.certified_brand,
            producer=self.certified_producer or "",
            origin=self.certified_origin or "",
        )

    def is_valid_on(self, day: date) -> bool:
        """Whether this certificate makes the product count on ``day`` (an Asia/Shanghai date).

        A revoked certificate still counted on the days before its revocation, so history stays true.
        """
        if self.valid_from is None or self.valid_to is None or not self.valid_from <= day <= self.valid_to:
            return False
        if self.status == CertificationStatus.CERTIFIED:
            return True
        return (
            self.status == CertificationStatus.REVOKED
            and self.revoked_at is not None
            and day < shanghai_date(self.revoked_at)
        )


class RetiredGtin(Base):
    """A GTIN a product carried before it was corrected: labels printed with it must keep resolving."""

    __tablename__ = "catalog_retired_gtin"

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductSearchDocument(Base):
    """The lexemes a product is found by (see ``catalog.search_index``), space-separated: one row per product,
    rewritten in the flush that changes the product or its producer. The database's index over it is made by
    the migration (SQLite: an FTS5 table; PostgreSQL: ordered postings), kept in step by triggers."""

    __tablename__ = "catalog_product_search"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    terms: Mapped[str] = mapped_column(Text, default="")
