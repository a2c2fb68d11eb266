"""Response schemas of the public JSON API (v1); they also describe it in the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields

from catalog import public
from catalog.products.models import Category, QualityMarkKind, Unit


class RefSchema(Schema):
    """A named thing: its id and name."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CertifiedFactsSchema(Schema):
    """What a certificate vouches for: the product as the county office certified it (not its later edits)."""

    name = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    category = fields.String(required=True, metadata={"enum": [c.value for c in Category]})
    unit = fields.String(required=True, metadata={"enum": [u.value for u in Unit]})
    net_weight_g = fields.Integer(allow_none=True)
    specification = fields.String(allow_none=True)
    brand = fields.String(allow_none=True)
    producer = fields.String(required=True)
    origin = fields.String(required=True, metadata={"description": "The producer's place when certified."})


class CertificateSchema(Schema):
    """A consumption-assistance certificate (dates are Asia/Shanghai, both ends included)."""

    number = fields.String(required=True)
    authority = fields.String(allow_none=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)
    product = fields.Nested(CertifiedFactsSchema, required=True)


class BatchStockSchema(Schema):
    """A batch buyers can take units from, with its trace page."""

    code = fields.String(required=True, metadata={"description": "The lot code printed on the label."})
    trace_url = fields.String(required=True, metadata={"description": "The public trace page (QR target)."})
    available = fields.Integer(required=True, metadata={"description": "Units left for sale."})
    best_before = fields.Date(required=True)


class ProductSummarySchema(Schema):
    """A product as lists show it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    category = fields.String(required=True)
    county_code = fields.String(required=True)
    producer = fields.Nested(RefSchema, required=True)
    unit = fields.String(required=True)
    price_fen = fields.Integer(required=True, metadata={"description": "Retail price of one unit in fen."})
    certified = fields.Boolean(required=True, metadata={"description": "Holds a certificate valid today."})
    certificate = fields.Nested(CertificateSchema, allow_none=True, required=True)
    url = fields.String(required=True, metadata={"description": "The product's public page."})
    batches = fields.List(
        fields.Nested(BatchStockSchema),
        required=True,
        metadata={"description": "Batches in stock, earliest best-before first."},
    )


class PageMetaSchema(Schema):
    """Paging figures of a list."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class FacetCountSchema(Schema):
    """How many of a search's results have this value."""

    value = fields.String(required=True, metadata={"description": "county code, category or quality mark"})
    name = fields.String(metadata={"description": "the county's name (counties only)"})
    count = fields.Integer(required=True)


class FacetsSchema(Schema):
    """How a search's results split (present only when ``q`` is given)."""

    counties = fields.List(fields.Nested(FacetCountSchema), required=True)
    categories = fields.List(fields.Nested(FacetCountSchema), required=True)
    quality_marks = fields.List(fields.Nested(FacetCountSchema), required=True)
    certified = fields.Integer(required=True, metadata={"description": "results with a valid certificate"})


class ProductPageSchema(PageMetaSchema):
    """One page of products."""

    items = fields.List(fields.Nested(ProductSummarySchema), required=True)
    facets = fields.Nested(FacetsSchema)
    total_capped = fields.Boolean(
        metadata={
            "description": "present with ``q``: true when more products match than a search ranks and counts "
            "(its newest 240, plus exact names); ``total`` and the facets are then of those"
        }
    )


class TierSchema(Schema):
    """From ``min_quantity`` units on, each unit costs ``unit_price_fen``."""

    min_quantity = fields.Integer(required=True)
    unit_price_fen = fields.Integer(required=True)


class QualityMarkSchema(Schema):
    """A quality mark (green food, organic, geographical indication) with its certificate number."""

    kind = fields.Enum(QualityMarkKind, by_value=True, required=True)
    certificate_no = fields.String(required=True)


class ImageSchema(Schema):
    """URLs of one product picture's variants."""

    thumb = fields.String(allow_none=True)
    card = fields.String(allow_none=True)
    full = fields.String(allow_none=True)


class ProductDetailSchema(ProductSummarySchema):
    """Everything public about one product."""

    description = fields.String(allow_none=True)
    specification = fields.String(allow_none=True)
    net_weight_g = fields.Integer(allow_none=True)
    institution_moq = fields.Integer(required=True)
    monthly_capacity = fields.Integer(allow_none=True)
    season_start = fields.Integer(required=True)
    season_end = fields.Integer(required=True)
    is_cold_chain = fields.Boolean(required=True)
    brand = fields.String(allow_none=True)
    gtin = fields.String(allow_none=True)
    certificate_state = fields.Enum(
        public.CertificateState,
        by_value=True,
        allow_none=True,
        metadata={"description": "valid, expired, revoked or not yet valid; null when never certified."},
    )
    tiers = fields.List(fields.Nested(TierSchema), required=True)
    quality_marks = fields.List(fields.Nested(QualityMarkSchema), required=True)
    images = fields.List(fields.Nested(ImageSchema), required=True)


class ProducerSchema(Schema):
    """An approved producer's public profile; households are counted, never named."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    county_code = fields.String(required=True)
    location = fields.String(required=True)
    description = fields.String(allow_none=True)
    lifted_households = fields.Integer(required=True)
    monitored_households = fields.Integer(required=True)
    linkage_modes = fields.List(fields.String(), required=True)
    products = fields.List(fields.Nested(ProductSummarySchema), required=True)


class CertifiedEntrySchema(Schema):
    """One row of the public list: a certificate valid today and what it certifies."""

    certificate = fields.Nested(CertificateSchema, required=True)
    county_code = fields.String(required=True)
    county_name = fields.String(required=True)
    producer = fields.Nested(RefSchema, required=True)
    product = fields.Nested(RefSchema, required=True)


class CertifiedPageSchema(PageMetaSchema):
    """One page of the public list."""

    items = fields.List(fields.Nested(CertifiedEntrySchema), required=True)


class ErrorBodySchema(Schema):
    """What went wrong, in the request's language."""

    status = fields.Integer(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)


class ErrorSchema(Schema):
    """Every error response."""

    error = fields.Nested(ErrorBodySchema, required=True)
