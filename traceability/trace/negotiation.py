"""What a trace URL is asked for (HTML, JSON, EPCIS JSON-LD, a linkset, a link type) and the resolver's
answers that depend on the request: the ``Link`` header, the linkset and link-type redirects.

The rules of a GS1-Conformant resolver live in :mod:`traceability.resolver.services`; this module only reads
the request and builds absolute URLs for them.
"""

from __future__ import annotations

import json

from flask import Response, current_app, request, url_for

from core import http_cache
from traceability import epcis
from traceability.models import Batch
from traceability.resolver import services as resolver

EPCIS_LINK_TYPE = "gs1:epcis"


def wanted() -> str:
    """``epcis`` for ``?linkType=gs1:epcis``, ``linkset`` for ``?linkType=linkset``, ``link`` for another link
    type; else by ``Accept`` when preferred over HTML: ``linkset``, ``epcis`` (JSON-LD), ``json``; else
    ``html``."""
    link_type = request.args.get("linkType")
    if link_type == EPCIS_LINK_TYPE:
        return "epcis"
    if link_type in resolver.LINKSET_LINK_TYPES:
        return "linkset"
    if link_type:
        return "link"
    accept = request.accept_mimetypes
    html = accept["text/html"]
    for media_type, kind in (
        (resolver.LINKSET_TYPE, "linkset"),
        (epcis.EPCIS_MEDIA_TYPE, "epcis"),
        ("application/json", "json"),
    ):
        if accept[media_type] > html:
            return kind
    return "html"


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _product_url(batch: Batch) -> str:
    return _base_url() + url_for("catalog.product", product_id=batch.product_id)


def link_header(batch: Batch, serial: str | None = None) -> str:
    """The ``Link`` header: the EPCIS representation, the linkset and every link of the lot."""
    return resolver.link_header(*resolver.links_for(batch, _base_url(), _product_url(batch), serial))


def linkset(batch: Batch, link: str, serial: str | None = None) -> Response:
    """The lot's linkset (RFC 9264, ``application/linkset+json``) with its ``Link`` header."""
    anchor, links = resolver.links_for(batch, _base_url(), _product_url(batch), serial)
    document = resolver.linkset(anchor, links, f"{batch.product.name} · {batch.lot_code}")
    response = Response(json.dumps(document, ensure_ascii=False), mimetype=resolver.LINKSET_TYPE)
    response.headers["Link"] = link
    return response


def follow(batch: Batch, serial: str | None = None) -> Response | None:
    """``307`` to the target of ``?linkType=`` when the lot has such a link (``None``: serve the default)."""
    links = resolver.links_for(batch, _base_url(), _product_url(batch), serial)[1]
    target = resolver.redirect_target(request.args.get("linkType", ""), links)
    if target is None:
        return None
    response = current_app.response_class(status=307, headers={"Location": target})
    return http_cache.private(response, ("Accept",))
