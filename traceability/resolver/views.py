"""The resolver's own addresses: its description document and Digital Links with the keys out of order."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from core.errors import NotFound
from traceability.resolver.services import canonical_path, description
from traceability.trace.lookup import MAX_CODE_LENGTH, valid_gtin

bp = Blueprint("resolver", __name__)

#: The description changes only with a release: a day's caching is safe.
DESCRIPTION_MAX_AGE = 86400


@bp.get("/.well-known/gs1resolver")
def describe() -> ResponseReturnValue:
    """The GS1 resolver description document: our name, root, primary key and link types."""
    config = current_app.config
    name = str(config.get("RESOLVER_NAME") or "消费帮扶 traceability resolver")
    response = jsonify(description(str(config["PUBLIC_BASE_URL"]), name))
    response.headers["Cache-Control"] = f"public, max-age={DESCRIPTION_MAX_AGE}"
    return response


@bp.get("/01/<gtin>/21/<serial>/10/<lot>")
def reordered(gtin: str, serial: str, lot: str) -> ResponseReturnValue:
    """The keys out of GS1's order (serial before lot): ``301`` to the canonical URI, query kept."""
    if not valid_gtin(gtin) or len(lot) > MAX_CODE_LENGTH or len(serial) > MAX_CODE_LENGTH:
        raise NotFound()
    query = request.query_string.decode()
    return redirect(canonical_path(gtin, lot, serial) + (f"?{query}" if query else ""), 301)
