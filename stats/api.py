"""Statistics API (v1): the dashboards' figures as JSON for reviewers and admins with an API token.

``Authorization: Bearer <token>`` (see ``core.tokens``) is required: no or a bad token is a 401, a token whose
owner may not see the county asked for a 403. Filters are the dashboards' (year, month range, channel) and
are validated the same way. The paths are added to ``/api/v1/openapi.json`` through the catalog API's hook.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from apispec import APISpec
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from catalog.producers.models import Producer
from catalog.products.models import Unit
from core.access import can_review
from core.clock import shanghai_date
from core.db import db_session
from core.errors import NotFound, PermissionDenied
from core.models import RegionLevel, User
from core.regions import counties, get_region
from core.tokens.services import authenticate, may_hold_tokens
from stats import summaries
from stats.dashboards import (
    MAX_YEAR,
    MIN_YEAR,
    CatalogCounts,
    Figures,
    Filters,
    Row,
)
from stats.forms import StatsFilterForm
from stats.models import Channel
from stats.units import quantities_by_unit

bp = Blueprint("stats_api", __name__, url_prefix="/api/v1/stats")

SECURITY_SCHEME = "bearerToken"


class CountyNotFound(NotFound):
    """No county has this division code."""


# --- authentication --------------------------------------------------------------------------------------


def _unauthorized() -> Response:
    """The 401 answer: JSON like every API error, with the Bearer challenge."""
    message = _("Send a valid API token in the header “Authorization: Bearer <token>”.")
    body = {"error": {"status": 401, "title": _("Authentication required"), "message": message}}
    response = jsonify(body)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


def token_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Require a valid bearer token of a reviewer or admin; the owner is ``g.api_user`` for the view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        token = authenticate(db_session, raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return _unauthorized()
        if not may_hold_tokens(token.user):
            raise PermissionDenied()
        g.api_user = token.user
        response = view(*args, **kwargs)
        db_session.commit()  # the token's time of last use
        return response

    return wrapped


# --- serialisation ---------------------------------------------------------------------------------------


def _figures(figures: Figures) -> dict[str, int]:
    """Figures in fen and ledger entries. No quantity: several products' quantities would add kilograms,
    斤 and pieces together (see :func:`_quantities`)."""
    return {
        "sales_fen": figures.sales_fen,
        "counted_fen": figures.counted_fen,
        "ordinary_fen": figures.ordinary_fen,
        "entries": figures.entries,
    }


def _rows(rows: list[Row], *, per_product: bool = False) -> list[dict[str, Any]]:
    """A breakdown: each group's key, name, figures and extra facts; the quantity (with its ``unit``) only
    when each row is one product (``per_product``)."""
    found = []
    for r in rows:
        row = {"key": r.key, "name": r.name, **r.extra, **_figures(r.figures)}
        if per_product:
            row["quantity"] = r.figures.quantity
        else:
            row.pop("unit", None)
        found.append(row)
    return found


def _quantities(by_product: list[Row]) -> dict[str, Any]:
    """The products' quantities by kind of unit, never added together: weight in kg (a decimal string, exact),
    pieces and boxes."""
    totals = quantities_by_unit(by_product)
    return {"weight_kg": str(totals.weight_kg), "pieces": totals.pieces, "boxes": totals.boxes}


def _period(filters: Filters) -> dict[str, Any]:
    """The chosen period and channel."""
    return {
        "start": filters.start.isoformat() if filters.start else None,
        "end": filters.end.isoformat() if filters.end else None,
        "channel": filters.channel.value if filters.channel else None,
    }


def _catalog(counts: CatalogCounts) -> dict[str, int]:
    """The catalog's figures."""
    return {
        "certified_products": counts.certified_products,
        "approved_producers": counts.approved_producers,
        "lifted_households": counts.lifted_households,
        "monitored_households": counts.monitored_households,
    }


def _producer_ref(producer: Producer) -> dict[str, Any]:
    """A producer by id and name."""
    return {"id": producer.id, "name": producer.name}


# --- endpoints -------------------------------------------------------------------------------------------


def _form() -> StatsFilterForm:
    """The filters from the query string (the dashboards' rules)."""
    return StatsFilterForm(request.args, shanghai_date())


@bp.get("/summary")
@token_required
def summary() -> ResponseReturnValue:
    """Platform-wide results: totals by county for the period and all time, monthly trend, catalog."""
    filters = _form().to_filters()
    d = summaries.public_dashboard(db_session, filters, counties(db_session), shanghai_date())
    return jsonify(
        {
            "period": _period(d.filters),
            "totals": _figures(d.period),
            "all_time": _figures(d.all_time),
            "counties": [
                {
                    "code": line.county.code,
                    "name": line.county.name,
                    "period": _figures(line.period),
                    "all_time": _figures(line.all_time),
                }
                for line in d.counties
            ],
            "monthly": _rows(d.monthly),
            "catalog": _catalog(d.catalog),
        }
    )


@bp.get("/counties/<code>")
@token_required
def county(code: str) -> ResponseReturnValue:
    """One county's dashboard: totals, breakdowns, targets, producers without sales this quarter."""
    region = get_region(db_session, code) if code.isdigit() and len(code) == 6 else None
    if region is None or region.level != RegionLevel.COUNTY:
        raise CountyNotFound(_("There is no county with code %(code)s.", code=code))
    user: User = g.api_user
    if not can_review(user, region):
        raise PermissionDenied(_("This token may not read the figures of %(county)s.", county=region.name))
    filters = _form().to_filters(county_ids=(region.id,))
    d = summaries.county_dashboard(db_session, region, filters, shanghai_date())
    return jsonify(
        {
            "county": {"code": region.code, "name": region.name},
            "period": _period(d.filters),
            "totals": _figures(d.totals),
            "quantities": _quantities(d.by_product),
            "monthly": _rows(d.monthly),
            "by_product": _rows(d.by_product, per_product=True),
            "by_buyer_kind": _rows(d.by_buyer_kind),
            "by_channel": _rows(d.by_channel),
            "by_partner": _rows(d.by_partner),
            "top_institutions": _rows(d.top_institutions),
            "targets": [
                {
                    "id": line.target.id,
                    "scope": line.target.scope.value,
                    "name": line.name,
                    "start_year": line.target.start_year,
                    "end_year": line.target.end_year,
                    "target_fen": line.target_fen,
                    "counted_fen": line.counted_fen,
                }
                for line in d.targets
            ],
            "quarter": {"start": d.quarter[0].isoformat(), "end": d.quarter[1].isoformat()},
            "idle_producers": [_producer_ref(p) for p in d.idle_producers],
            "catalog": _catalog(d.catalog),
        }
    )


# --- OpenAPI ---------------------------------------------------------------------------------------------


class StatsQuerySchema(Schema):
    """The filters every statistics path takes (the dashboards' filters)."""

    year = fields.Integer(
        validate=validate.Range(MIN_YEAR, MAX_YEAR), metadata={"description": "Year (default: this year)."}
    )
    month_from = fields.Integer(validate=validate.Range(1, 12), metadata={"description": "First month (1)."})
    month_to = fields.Integer(validate=validate.Range(1, 12), metadata={"description": "Last month (12)."})
    channel = fields.Enum(Channel, by_value=True, metadata={"description": "Only this channel."})


class StatsFiguresSchema(Schema):
    """Sums over the selected sales, in fen; ``counted`` only certified-on-the-day sales. Quantities are not
    summed over several products (kilograms, 斤 and pieces never add up): see ``by_product`` and
    ``quantities``."""

    sales_fen = fields.Integer(required=True)
    counted_fen = fields.Integer(required=True)
    ordinary_fen = fields.Integer(required=True)
    entries = fields.Integer(required=True, metadata={"description": "Ledger entries summed."})


class StatsRowSchema(StatsFiguresSchema):
    """One group of a breakdown (month "YYYY-MM", product id, buyer kind, channel, paired, institution id)."""

    key = fields.Raw(required=True)
    name = fields.String(required=True)
    producer = fields.String(metadata={"description": "By product: the producer's name."})
    quantity = fields.Integer(metadata={"description": "By product only: units sold, in ``unit``."})
    unit = fields.String(
        validate=validate.OneOf([u.value for u in Unit]),
        metadata={"description": "By product only: the product's unit (kg, jin = 500 g, piece, box)."},
    )
    paired = fields.Boolean(metadata={"description": "Top institutions: bought as a paired partner."})


class StatsPeriodSchema(Schema):
    """The chosen period (Asia/Shanghai dates, both included) and channel."""

    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    channel = fields.String(allow_none=True)


class StatsQuantitiesSchema(Schema):
    """The quantities sold, one figure per kind of unit, never added together."""

    weight_kg = fields.String(
        required=True, metadata={"description": "Sold by weight (kg and 斤), in kg: a decimal string."}
    )
    pieces = fields.Integer(required=True, metadata={"description": "Products sold by the piece."})
    boxes = fields.Integer(required=True, metadata={"description": "Products sold by the box."})


class StatsCatalogSchema(Schema):
    """What the catalog holds: products certified today, approved producers, households brought along."""

    certified_products = fields.Integer(required=True)
    approved_producers = fields.Integer(required=True)
    lifted_households = fields.Integer(required=True)
    monitored_households = fields.Integer(required=True)


class StatsCountyLineSchema(Schema):
    """A county's figures in the period and over all time."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    period = fields.Nested(StatsFiguresSchema, required=True)
    all_time = fields.Nested(StatsFiguresSchema, required=True)


class StatsSummarySchema(Schema):
    """Platform-wide results."""

    period = fields.Nested(StatsPeriodSchema, required=True)
    totals = fields.Nested(StatsFiguresSchema, required=True)
    all_time = fields.Nested(StatsFiguresSchema, required=True)
    counties = fields.List(fields.Nested(StatsCountyLineSchema), required=True)
    monthly = fields.List(fields.Nested(StatsRowSchema), required=True)
    catalog = fields.Nested(StatsCatalogSchema, required=True)


class StatsTargetSchema(Schema):
    """A target and the counted sales toward it over its years."""

    id = fields.Integer(required=True)
    scope = fields.String(required=True)
    name = fields.String(required=True)
    start_year = fields.Integer(required=True)
    end_year = fields.Integer(required=True)
    target_fen = fields.Integer(required=True)
    counted_fen = fields.Integer(required=True)


class StatsRefSchema(Schema):
    """A thing by id and name (or code and name)."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String(required=True)


class StatsCountySchema(Schema):
    """One county's dashboard."""

    county = fields.Nested(StatsRefSchema, required=True)
    period = fields.Nested(StatsPeriodSchema, required=True)
    totals = fields.Nested(StatsFiguresSchema, required=True)
    quantities = fields.Nested(StatsQuantitiesSchema, required=True)
    monthly = fields.List(fields.Nested(StatsRowSchema), required=True)
    by_product = fields.List(fields.Nested(StatsRowSchema), required=True)
    by_buyer_kind = fields.List(fields.Nested(StatsRowSchema), required=True)
    by_channel = fields.List(fields.Nested(StatsRowSchema), required=True)
    by_partner = fields.List(fields.Nested(StatsRowSchema), required=True)
    top_institutions = fields.List(fields.Nested(StatsRowSchema), required=True)
    targets = fields.List(fields.Nested(StatsTargetSchema), required=True)
    quarter = fields.Nested(StatsPeriodSchema, required=True)
    idle_producers = fields.List(fields.Nested(StatsRefSchema), required=True)
    catalog = fields.Nested(StatsCatalogSchema, required=True)


RESPONSES = {"stats_api.summary": StatsSummarySchema, "stats_api.county": StatsCountySchema}


def document(spec: APISpec) -> None:
    """Add the statistics paths, their schemas and the bearer token scheme to the OpenAPI document."""
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "An API token of a county reviewer or an admin."},
    )
    error = {"description": "Error", "content": {"application/json": {"schema": "Error"}}}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint not in RESPONSES:
            continue
        path = rule.rule.replace("<code>", "{code}")
        parameters: list[dict[str, Any]] = [{"in": "query", "schema": StatsQuerySchema}]
        if "{code}" in path:
            code = {"type": "string", "pattern": "^[0-9]{6}$"}
            parameters.insert(0, {"in": "path", "name": "code", "required": True, "schema": code})
        view = current_app.view_functions[rule.endpoint]
        content = {"application/json": {"schema": RESPONSES[rule.endpoint]}}
        responses = {"200": {"description": "OK", "content": content}}
        responses.update(dict.fromkeys(("400", "401", "403"), error))
        if "<" in rule.rule:
            responses["404"] = error
        operation = {
            "operationId": rule.endpoint.replace(".", "_"),
            "summary": (view.__doc__ or "").strip().splitlines()[0],
            "tags": ["statistics"],
            "security": [{SECURITY_SCHEME: []}],
            "parameters": parameters,
            "responses": responses,
        }
        spec.path(path=path, operations={"get": operation})
