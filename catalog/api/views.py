"""The public read-only JSON API (v1) and its OpenAPI document, generated from these views and schemas.

Query strings are validated with marshmallow schemas; the same schemas describe the API in
``/api/v1/openapi.json`` (built by apispec from the routes registered on this blueprint). Errors are JSON:
``{"error": {"status": ..., "title": ..., "message": ...}}``, as everywhere under ``/api/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from catalog import public, search, search_filters
from catalog.api.schemas import (
    CertifiedPageSchema,
    ErrorSchema,
    ProducerSchema,
    ProductDetailSchema,
    ProductPageSchema,
)
from catalog.browse.views import image_url
from catalog.producers.models import Producer
from catalog.products.models import (
    Category,
    Certification,
    Product,
    QualityMarkKind,
)
from catalog.signals import StockEntry, stock_by_product
from core.db import db_session
from core.errors import DomainError, NotFound
from core.ids import MAX_ID
from core.pagination import Page, paginate
from core.urls import public_url_for

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"
COUNTY_CODE = validate.Regexp(r"[0-9]{6}\Z")


class InvalidQuery(DomainError):
    """A query parameter has a value the API cannot use."""

    status = 400
    message = _l("The query parameters are not valid.")


class ProductNotFound(NotFound):
    """No product with this id is visible to the public."""

    message = _l("There is no product with id %(id)s.")


class ProducerNotFound(NotFound):
    """No approved producer has this id."""

    message = _l("There is no producer with id %(id)s.")


#: What each query parameter expects, for the error message when it is wrong.
HINTS = {
    "page": _l("a whole number of 1 or more"),
    "per_page": _l("a whole number from 1 to 100"),
    "q": _l("a search text of at most 100 characters"),
    "county": _l("a six-digit county code, such as 653131"),
    "category": _l("one of the category codes: %(values)s"),
    "certified": _l("true or false"),
    "quality_mark": _l("one of the quality mark codes: %(values)s"),
    "min_price_fen": _l("a whole number of fen, 0 or more"),
    "max_price_fen": _l("a whole number of fen, 0 or more"),
    "sort": _l("one of: %(values)s"),
}
ENUM_VALUES = {"category": Category, "quality_mark": QualityMarkKind, "sort": search_filters.Sort}


# --- query schemas ---------------------------------------------------------------------------------------


class PageQuerySchema(Schema):
    """Paging parameters shared by the lists."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(
        load_default=1, validate=validate.Range(1, 100_000), metadata={"description": "Page number, from 1."}
    )
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(1, 100), metadata={"description": "Items per page (1–100)."}
    )

    @pre_load
    def drop_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """An empty parameter (``?county=``) means the same as a missing one."""
        return {key: value for key, value in data.items() if value != ""}


class ProductQuerySchema(PageQuerySchema):
    """Search and filters of the product list (the listing page's, with prices in fen)."""

    q = fields.String(
        load_default=None,
        validate=validate.Length(max=search_filters.MAX_QUERY_LENGTH),
        metadata={"description": "Text found in the product name, English name, brand or producer name."},
    )
    county = fields.String(
        load_default=None, validate=COUNTY_CODE, metadata={"description": "County division code."}
    )
    category = fields.Enum(Category, by_value=True, load_default=None)
    certified = fields.Boolean(
        load_default=False, metadata={"description": "Only products with a certificate valid today."}
    )
    quality_mark = fields.Enum(QualityMarkKind, by_value=True, load_default=None)
    min_price_fen = fields.Integer(load_default=None, validate=validate.Range(0, search_filters.MAX_INT))
    max_price_fen = fields.Integer(load_default=None, validate=validate.Range(0, search_filters.MAX_INT))
    sort = fields.Enum(search_filters.Sort, by_value=True, load_default=search_filters.Sort.RELEVANCE)


class CertifiedQuerySchema(PageQuerySchema):
    """Filters of the public list of certified products."""

    q = fields.String(
        load_default=None,
        validate=validate.Length(max=search_filters.MAX_QUERY_LENGTH),
        metadata={"description": "Text found in the product, producer or certificate number."},
    )
    county = fields.String(
        load_default=None, validate=COUNTY_CODE, metadata={"description": "County division code."}
    )
    category = fields.Enum(Category, by_value=True, load_default=None)


# --- documentation registry ------------------------------------------------------------------------------

#: endpoint → (query schema or None, response schema or None); filled by :func:`documented`.
OPERATIONS: dict[str, tuple[type[Schema] | None, type[Schema] | None]] = {}


def documented(query: type[Schema] | None, response: type[Schema] | None) -> Callable[[Any], Any]:
    """Record a view's query and response schemas for the OpenAPI document."""

    def decorator(view: Any) -> Any:
        OPERATIONS[f"{bp.name}.{view.__name__}"] = (query, response)
        return view

    return decorator


def load_query(schema: type[Schema]) -> dict[str, Any]:
    """Validate the query string with ``schema``; raise :class:`InvalidQuery` naming each bad parameter."""
    try:
        loaded: dict[str, Any] = schema().load(request.args.to_dict())
        return loaded
    except ValidationError as exc:
        problems = []
        # Schema.load always raises with a dict of messages by field name.
        for name in sorted(exc.messages_dict):
            values = ", ".join(m.value for m in ENUM_VALUES[name]) if name in ENUM_VALUES else ""
            hint = str(HINTS.get(name, _l("a valid value"))) % {"values": values}
            problems.append(
                _("The query parameter “%(name)s” is not valid: expected %(hint)s.", name=name, hint=hint)
            )
        raise InvalidQuery(" ".join(problems)) from None


def _certificate(cert: Certification | None) -> dict[str, Any] | None:
    """A certificate as the API shows it."""
    if cert is None:
        return None
    return {
        "number": cert.certificate_no,
        "authority": cert.authority,
        "valid_from": cert.valid_from,
        "valid_to": cert.valid_to,
        "product": cert.facts.as_dict(),
    }


def _summary(product: Product, cert: Certification | None, stock: list[StockEntry]) -> dict[str, Any]:
    """List fields of ``product``: ``cert`` is its valid certificate or None, ``stock`` its batches."""
    producer = product.producer
    return {
        "id": product.id,
        "name": product.name,
        "name_en": product.name_en,
        "category": product.category.value,
        "county_code": producer.county.code,
        "producer": {"id": producer.id, "name": producer.name},
        "unit": product.unit.value,
        "price_fen": product.price_fen,
        "certified": cert is not None,
        "certificate": _certificate(cert),
        "url": public_url_for("catalog.product", product_id=product.id),
        "batches": stock,
    }


def _page(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """A list response: the items and the paging figures."""
    return {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@bp.get("/products")
@documented(ProductQuerySchema, ProductPageSchema)
def products() -> ResponseReturnValue:
    """List visible products: search, filter, sort and page."""
    args = load_query(ProductQuerySchema)
    page_no, per_page = args.pop("page"), args.pop("per_page")
    filters = search_filters.SearchFilters(certified_only=args.pop("certified"), **args)
    page = search.search_products(db_session, filters, page_no, per_page)
    certs = public.certificates_by_product(page.items)
    stock = stock_by_product(db_session, page.items)
    items = [_summary(product, certs.get(product.id), stock[product.id]) for product in page.items]
    body = _page(page, items)
    if page.facets is not None:  # a search: its facets, and whether it matched more than it counts
        body["facets"] = _facets(page.facets)
        body["total_capped"] = page.is_capped
    return jsonify(ProductPageSchema().dump(body))


def _facets(facets: search.Facets) -> dict[str, Any]:
    """A search's facets as the API shows them."""
    return {
        "counties": [{"value": code, "name": name, "count": n} for code, name, n in facets.counties],
        "categories": [{"value": category.value, "count": n} for category, n in facets.categories],
        "quality_marks": [{"value": kind.value, "count": n} for kind, n in facets.marks],
        "certified": facets.certified,
    }


@bp.get("/products/<id:product_id>")
@documented(None, ProductDetailSchema)
def product(product_id: int) -> ResponseReturnValue:
    """One visible product with its tiers, quality marks, pictures and certificate."""
    found = public.visible_product(db_session, product_id)
    if found is None:
        raise ProductNotFound(id=product_id)
    state, cert = public.public_certificate_state(found)
    stock = stock_by_product(db_session, [found])[found.id]
    data = _summary(found, cert if state == public.CertificateState.VALID else None, stock)
    data.update(
        {
            field: getattr(found, field)
            for field in (
                *("description", "specification", "net_weight_g", "institution_moq", "monthly_capacity"),
                *("season_start", "season_end", "is_cold_chain", "brand", "gtin"),
            )
        },
        certificate_state=state,
        tiers=[{"min_quantity": t.min_quantity, "unit_price_fen": t.unit_price_fen} for t in found.tiers],
        quality_marks=[{"kind": m.kind, "certificate_no": m.certificate_no} for m in found.quality_marks],
        images=[
            {variant: image_url(image.key, variant, external=True) for variant in ("thumb", "card", "full")}
            for image in found.images
        ],
    )
    return jsonify(ProductDetailSchema().dump(data))


@bp.get("/producers/<id:producer_id>")
@documented(None, ProducerSchema)
def producer(producer_id: int) -> ResponseReturnValue:
    """An approved producer's public profile, linkage figures and visible products."""
    found: Producer | None = public.approved_producer(db_session, producer_id)
    if found is None:
        raise ProducerNotFound(id=producer_id)
    products = public.products_of(db_session, found)
    certs = public.certificates_by_product(products)
    stock = stock_by_product(db_session, products)
    data = {
        "id": found.id,
        "name": found.name,
        "kind": found.kind.value,
        "county_code": found.county.code,
        "location": found.location.path_name(),
        "description": found.description,
        "lifted_households": found.lifted_households,
        "monitored_households": found.monitored_households,
        "linkage_modes": list(found.linkage_modes or []),
        "products": [_summary(p, certs.get(p.id), stock[p.id]) for p in products],
    }
    return jsonify(ProducerSchema().dump(data))


@bp.get("/certified")
@documented(CertifiedQuerySchema, CertifiedPageSchema)
def certified() -> ResponseReturnValue:
    """The public list (公示): certificates valid today, filtered by county, category and text."""
    args = load_query(CertifiedQuerySchema)
    query = public.certified_query(args["county"], args["q"], args["category"])
    page = paginate(db_session, query, args["page"], args["per_page"])
    items = [
        {
            "certificate": _certificate(cert),
            "county_code": cert.product.producer.county.code,
            "county_name": cert.product.producer.county.name,
            "producer": {"id": cert.product.producer.id, "name": cert.facts.producer},
            "product": {"id": cert.product.id, "name": cert.facts.name},
        }
        for cert in page.items
    ]
    return jsonify(CertifiedPageSchema().dump(_page(page, items)))


@bp.get("/openapi.json")
@documented(None, None)
def openapi() -> ResponseReturnValue:
    """This API's OpenAPI 3 document, generated from the routes and schemas of this module."""
    spec = current_app.extensions.get("api_v1_openapi")
    if spec is None:
        spec = current_app.extensions["api_v1_openapi"] = build_spec()
    return jsonify(spec)


# --- OpenAPI generation ----------------------------------------------------------------------------------

_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn a Flask rule (``/products/<id:product_id>``) into an OpenAPI path and its path parameters."""
    parameters = []
    for match in _RULE_ARGUMENT.finditer(rule):
        schema: dict[str, Any] = {"type": "string"}
        if match["converter"] == "id":  # core.ids: a database id
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        elif match["converter"] == "int":
            schema = {"type": "integer"}
        parameters.append({"in": "path", "name": match["name"], "required": True, "schema": schema})
    return _RULE_ARGUMENT.sub(r"{\g<name>}", rule), parameters


def add_spec_extension(app: Flask, extension: Callable[[APISpec], None]) -> None:
    """Let a layer to the right document its /api/v1 paths: :func:`build_spec` calls ``extension(spec)``."""
    app.extensions.setdefault("api_v1_spec_extensions", []).append(extension)


def build_spec() -> dict[str, Any]:
    """Build the OpenAPI document from every GET route of this blueprint and its recorded schemas.

    Paths of other layers are added by the extensions registered with :func:`add_spec_extension`.
    """
    spec = APISpec(
        title="Consumption Assistance Marketplace public API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Read-only data about visible products, producers and the public list (公示)."},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    error = {"description": "Error", "content": {"application/json": {"schema": "Error"}}}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        query, response = OPERATIONS.get(rule.endpoint, (None, None))
        view = current_app.view_functions[rule.endpoint]
        path, parameters = _openapi_path(rule.rule)
        if query is not None:
            parameters.append({"in": "query", "schema": query})
        ok_schema: Any = response if response is not None else {"type": "object"}
        responses: dict[str, Any] = {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok_schema}}}
        }
        if query is not None:
            responses["400"] = error
        if parameters and query is None:
            responses["404"] = error
        operation = {
            "operationId": rule.endpoint.replace(".", "_"),
            "summary": (view.__doc__ or "").strip().splitlines()[0],
            "parameters": parameters,
            "responses": responses,
        }
        spec.path(path=path, operations={"get": operation})
    for extension in current_app.extensions.get("api_v1_spec_extensions", []):
        extension(spec)
    return spec.to_dict()
