"""Public browsing: listing, search, product and producer pages, the public list of certified products."""

from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from catalog import search
from catalog.browse.forms import CertifiedFilterForm, ListingForm
from catalog.labels import label
from catalog.page_cache import CSRF_MARK, PageCache, app_cache, with_csrf_token
from catalog.signals import stock_by_product
from core.clock import shanghai_date
from core.db import db_session
from core.i18n import select_locale
from core.models import Region, RegionLevel
from core.pagination import paginate
from core.regions import get_region
from core.urls import public_url_for

bp = Blueprint("catalog", __name__)

PER_PAGE = 24
CERTIFIED_PER_PAGE = 50
#: Longest a cached listing page lives (what the catalog stamp does not cover, e.g. a producer's new name).
LISTING_CACHE_SECONDS = 60.0
COUNTY_CODE = re.compile(r"[0-9]{6}")


#: Header of the public list download: a fixed Chinese document format, whatever the interface language.
#: The certified facts (product, producer, category, specification) are the certificate's, as issued.
CSV_HEADER = ("县", "生产主体", "产品", "认定证书编号", "认定机关", "有效期起", "有效期止", "类别", "规格")


@bp.app_template_global()
def image_url(key: str | None, variant: str = "card", external: bool = False) -> str | None:
    """The URL of a stored image variant (``external``: absolute, on ``PUBLIC_BASE_URL``); ``None`` without an
    image (or while media serving is missing)."""
    if not key or "media.image" not in current_app.view_functions:
        return None
    if external:
        return public_url_for("media.image", key=key, variant=variant)
    return url_for("media.image", key=key, variant=variant)


def _filter_args(form: FlaskForm) -> dict[str, str]:
    """The form's non-empty filters as query arguments (for pager and download links); nothing else passes."""
    return {name: request.args[name] for name in form._fields if request.args.get(name)}


def _page_number() -> int:
    """The ``page`` query argument; anything unusable means the first page."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))


def listing_cache(app: Flask) -> PageCache:
    """The app's cache of listing pages (``CATALOG_CACHE_SECONDS`` to live, default 60)."""
    return app_cache(app, "listing", "CATALOG_CACHE_SECONDS", LISTING_CACHE_SECONDS)


def listing_key(query_string: str, locale: str) -> tuple[str, str]:
    """The cache key of one listing page: its query string (search, filters, page) and language."""
    return (query_string, locale)


def _render_listing() -> tuple[str, int]:
    """The listing page for the query string, and its status (400 for filters that do not validate)."""
    form = ListingForm()
    mark = {"csrf_token": lambda: CSRF_MARK}  # filled in per request (signed-in pages only)
    if not form.validate():
        return render_template("catalog/listing.html", form=form, page=None, certs={}, args={}, **mark), 400
    filters = form.filters()
    page = search.search_products(db_session, filters, _page_number(), PER_PAGE)
    certs = search.certificates_by_product(page.items)
    facets = page.facets  # a search's, computed with its page
    html = render_template(
        "catalog/listing.html",
        form=form,
        page=page,
        certs=certs,
        facets=facets,
        args=_filter_args(form),
        **mark,
    )
    return html, 200


@bp.get("/products")
def listing() -> ResponseReturnValue:
    """The product listing: search, filters, sorting and pages, all in the query string.

    Visitors who are not signed in get the page from the listing cache while the catalog's stamp holds.
    """
    cache = listing_cache(current_app)
    cacheable = not current_user.is_authenticated and not session.get("_flashes")
    key = listing_key(request.query_string.decode("latin-1"), select_locale())
    stamp = search.catalog_stamp(db_session) if cacheable else ()
    entry = cache.get(key, stamp) if cacheable else None
    if entry is None:
        body, status = _render_listing()
        entry = cache.make_entry(stamp, body, status=status)
        if cacheable:
            cache.put(key, entry)
    db_session.commit()
    return Response(with_csrf_token(entry.body), status=entry.status, mimetype="text/html")


@bp.get("/products/<id:product_id>")
def product(product_id: int) -> ResponseReturnValue:
    """A product's public page; products buyers may not see do not exist here."""
    found = search.visible_product(db_session, product_id)
    if found is None:
        abort(404)
    state, cert = search.public_certificate_state(found)
    stock = stock_by_product(db_session, [found])[found.id]
    return render_template(
        "catalog/product.html",
        product=found,
        producer=found.producer,
        cert_state=state,
        cert=cert,
        stock=stock,
    )


@bp.get("/producers/<id:producer_id>")
def producer(producer_id: int) -> ResponseReturnValue:
    """An approved producer's public profile with its products."""
    found = search.approved_producer(db_session, producer_id)
    if found is None:
        abort(404)
    products = search.products_of(db_session, found)
    certs = search.certificates_by_product(products)
    return render_template("catalog/producer.html", producer=found, products=products, certs=certs)


@bp.get("/certified")
def certified() -> ResponseReturnValue:
    """The public list (公示) of currently certified products, overall or per county."""
    form = CertifiedFilterForm()
    if not form.validate():
        return render_template("catalog/certified.html", form=form, page=None, args={}, today=None), 400
    page = paginate(db_session, search.certified_query(**form.criteria()), _page_number(), CERTIFIED_PER_PAGE)
    return render_template(
        "catalog/certified.html", form=form, page=page, args=_filter_args(form), today=shanghai_date()
    )


def _csv_cell(value: object) -> str:
    """A CSV cell that spreadsheet programs show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/certified.csv")
def certified_csv() -> ResponseReturnValue:
    """The public list as CSV: UTF-8 with BOM (so Excel reads the Chinese), one row per certificate."""
    form = CertifiedFilterForm()
    if not form.validate():
        abort(400)
    criteria = form.criteria()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for cert in search.certified_list(db_session, **criteria):
        facts = cert.facts
        row = (cert.product.producer.county.name, facts.producer, facts.name)
        writer.writerow(
            [_csv_cell(v) for v in (*row, cert.certificate_no, cert.authority)]
            + [
                cert.valid_from.isoformat() if cert.valid_from else "",
                cert.valid_to.isoformat() if cert.valid_to else "",
                _csv_cell(label("category", facts.category)),
                _csv_cell(facts.specification),
            ]
        )
    today = shanghai_date().isoformat()
    county = criteria["county_code"]
    filename = f"certified-products-{county}-{today}.csv" if county else f"certified-products-{today}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _county_or_404(code: str) -> Region:
    """The county with this six-digit division code, or 404."""
    region = get_region(db_session, code) if COUNTY_CODE.fullmatch(code) else None
    if region is None or region.level != RegionLevel.COUNTY:
        abort(404)
    return region


@bp.get("/counties/<code>")
def county(code: str) -> ResponseReturnValue:
    """A county's showcase: its newest products, its producers and a link to its public list."""
    region = _county_or_404(code)
    page = search.search_products(db_session, search.SearchFilters(county=code), 1, 12)
    certs = search.certificates_by_product(page.items)
    return render_template(
        "catalog/county.html",
        county=region,
        page=page,
        certs=certs,
        producers=search.producers_in_county(db_session, region),
        certified_count=search.count_certified(db_session, county_code=code),
    )
