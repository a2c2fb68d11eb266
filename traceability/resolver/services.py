"""GS1-Conformant resolver pieces for our Digital Link URIs: the resolver description, a lot's linkset
(RFC 9264) and ``Link`` header, link-type redirects and the canonical key order.

A Digital Link URI (``/01/<GTIN>/10/<lot>[/21/<serial>]``, or our short ``/t/<lot>``) answers:

- HTML (the trace page) by default;
- ``?linkType=linkset`` (also ``all``, as resolver standard 1.0 named it) or ``Accept:
  application/linkset+json``: the linkset of every link we hold for the lot;
- ``?linkType=gs1:epcis`` or ``Accept: application/ld+json``: the lot's EPCIS 2.0 JSON-LD document;
- ``?linkType=gs1:pip`` (or another link type of the linkset): ``307`` to that link's target; a link type we
  do not hold gets the default (the trace page), as the standard asks.

Every answer names the linkset and the lot's links in its ``Link`` header. The functions here are pure: the
views give them absolute URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traceability import epcis
from traceability.links import trace_url
from traceability.models import Batch

GS1 = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_LINK_TYPES = frozenset({"linkset", "all"})
#: The primary key (AI) the resolver serves and the qualifiers in their order (GS1 Digital Link URI syntax).
PRIMARY_KEY = "01"
QUALIFIERS = ("10", "21")
#: What ``/.well-known/gs1resolver`` follows (GS1-Conformant resolver standard 1.2.0).
DESCRIPTION_SCHEMA = "https://ref.gs1.org/standards/resolver/1.2.0/description-file-schema"


@dataclass(frozen=True)
class Link:
    """One target of a lot's linkset."""

    #: The GS1 link type without its prefix (``pip``, ``traceability``…).
    rel: str
    href: str
    title: str
    type: str = "text/html"
    hreflang: tuple[str, ...] = ("zh-CN",)

    @property
    def curie(self) -> str:
        """``gs1:pip``."""
        return f"gs1:{self.rel}"

    @property
    def uri(self) -> str:
        """``https://gs1.org/voc/pip``."""
        return GS1 + self.rel


def lot_links(canonical: str, *, product_url: str, product_name: str, lot: str, recalled: bool) -> list[Link]:
    """The links we hold for a lot whose Digital Link (or short) URI is ``canonical``."""
    trace_title = f"{product_name} · {lot}"
    return [
        Link("pip", product_url, product_name),
        Link("traceability", canonical, trace_title),
        Link("certificationInfo", product_url + "#certificate-heading", product_name),
        Link("epcis", f"{canonical}?linkType=gs1:epcis", trace_title, epcis.EPCIS_MEDIA_TYPE, ()),
        Link("recallStatus", canonical, "recalled" if recalled else "not recalled"),
        Link("defaultLink", canonical, trace_title),
    ]


def links_for(
    batch: Batch, base_url: str, product_url: str, serial: str | None = None
) -> tuple[str, list[Link]]:
    """The batch's (or unit's) Digital Link URI, the anchor of its linkset, and its links."""
    anchor = trace_url(base_url, batch, serial)
    return anchor, lot_links(
        anchor,
        product_url=product_url,
        product_name=batch.product.name,
        lot=batch.lot_code,
        recalled=batch.is_recalled,
    )


def linkset(anchor: str, links: list[Link], description: str) -> dict[str, Any]:
    """The RFC 9264 linkset (JSON) of ``anchor``, in the shape GS1's linkset schema wants."""
    entry: dict[str, Any] = {"anchor": anchor, "description": description}
    for link in links:
        target: dict[str, Any] = {"href": link.href, "title": link.title, "type": link.type}
        if link.hreflang:
            target["hreflang"] = list(link.hreflang)
        entry.setdefault(link.uri, []).append(target)
    return {"linkset": [entry]}


def link_header(anchor: str, links: list[Link]) -> str:
    """The ``Link`` header: the EPCIS document (as before the resolver), the linkset, then each link by its
    GS1 relation (ASCII only: titles, which may be Chinese, stay in the linkset)."""
    media_type = epcis.EPCIS_MEDIA_TYPE
    parts = [
        f'<{anchor}?linkType=gs1:epcis>; rel="gs1:epcis"; type="{media_type}"',
        f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"',
    ]
    parts += [f'<{link.href}>; rel="{link.uri}"; type="{link.type}"' for link in links]
    return ", ".join(parts)


def redirect_target(link_type: str, links: list[Link]) -> str | None:
    """Where ``?linkType=`` sends a client (``gs1:pip`` or its full URI), or ``None`` for none we hold."""
    rel = link_type.removeprefix("gs1:").removeprefix(GS1)
    if rel == link_type and not link_type.startswith(("gs1:", GS1)):
        return None
    return next((link.href for link in links if link.rel == rel), None)


def description(root: str, name: str) -> dict[str, Any]:
    """The resolver description document served at ``/.well-known/gs1resolver``."""
    return {
        "name": name,
        "resolverRoot": root.rstrip("/"),
        "supportedPrimaryKeys": [PRIMARY_KEY],
        "supportedLinkType": [{"namespace": GS1, "prefix": "gs1:"}],
        # the default stays the trace page: a consumer's phone gets HTML, never a linkset
        "linkTypeDefaultCanBeLinkset": False,
    }


def canonical_path(gtin: str, lot: str, serial: str | None = None) -> str:
    """``/01/<GTIN-14>/10/<lot>[/21/<serial>]``: the keys in GS1's order."""
    path = f"/{PRIMARY_KEY}/{gtin.zfill(14)}/10/{lot}"
    return f"{path}/21/{serial}" if serial else path
