"""Public browsing: listing, search, product and producer pages, the public list of certified products."""

from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from catalog import public, search, search_filters
from catalog.browse import services
from catalog.browse.forms import CertifiedFilterForm, ListingForm
from catalog.counts import services as counts
from catalog.labels import label
from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.questions import services as questions
from catalog.questions.forms import AskForm
from catalog.signals import (
    RatingSummary,
    average_stars,
    county_benefit,
    household_benefit,
    rating_summary,
    reviews_page,
    stock_by_product,
)
from core import http_cache
from core.clock import shanghai_date
from core.db import db_session
from core.models import Region, RegionLevel
from core.pagination import Page, paginate
from core.regions import get_region, load_ancestors
from core.urls import public_url_for

bp = Blueprint("catalog", __name__)

PER_PAGE = services.PER_PAGE
CERTIFIED_PER_PAGE = 50
#: How many of its newest products a county's page shows.
COUNTY_NEWEST = 12
COUNTY_CODE = re.compile(r"[0-9]{6}")
#: The newest reviews a product or producer page shows; the rest are on its reviews pages.
LATEST_REVIEWS = 3
REVIEWS_PER_PAGE = 10
#: The newest answered questions a product page shows; the rest are on its questions page.
LATEST_QUESTIONS = 5


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


def _catalog_version() -> tuple[object, ...]:
    """What a public catalog page shows, as one primary-key read (see core.http_cache)."""
    return public.catalog_stamp(db_session)


@bp.get("/products")
@http_cache.conditional(_catalog_version)
def listing() -> ResponseReturnValue:
    """The product listing: search, filters, sorting and pages, all in the query string."""
    form = ListingForm()
    if not form.validate():
        return render_template("catalog/listing.html", form=form, page=None, certs={}, args={}), 400
    filters = form.filters()
    page: Page[Product]
    if search_filters.search_terms(filters.q):
        page = search.search_products(db_session, filters, _page_number(), PER_PAGE)
    else:
        page = services.browse_products(db_session, filters, _page_number(), PER_PAGE)
    certs = public.certificates_by_product(page.items)
    facets = (
        page.facets if isinstance(page, search.SearchPage) else None
    )  # a search's, computed with its page
    return render_template(
        "catalog/listing.html",
        form=form,
        page=page,
        certs=certs,
        facets=facets,
        args=_filter_args(form),
    )


@bp.get("/products/<id:product_id>")
def product(product_id: int) -> ResponseReturnValue:
    """A product's public page; products buyers may not see do not exist here."""
    found = services.product_page(db_session, product_id)
    if found is None:
        abort(404)
    state, cert = public.public_certificate_state(found)
    stock = stock_by_product(db_session, [found])[found.id]
    in_stock = tuple((entry["code"], entry["available"], entry["best_before"]) for entry in stock)
    ratings = rating_summary(db_session, "product", found.id)  # its version moves with ratings and replies
    # moves with every question, answer and hiding; no question at all spares the page the list's read
    asked = questions.product_stamp(db_session, found.id)
    return http_cache.respond(
        lambda: (*_catalog_version(), in_stock, tuple(ratings.values()), *asked),
        lambda: render_template(
            "catalog/product.html",
            product=found,
            producer=found.producer,
            cert_state=state,
            cert=cert,
            stock=stock,
            ratings=ratings,
            average=average_stars(ratings),
            reviews=reviews_page(db_session, "product", found.id, ratings, 1, LATEST_REVIEWS),
            # one more than shown tells whether a "more" link is needed
            questions=questions.answered_questions(db_session, found.id, 1, LATEST_QUESTIONS + 1)
            if asked[0]
            else [],
            latest_questions=LATEST_QUESTIONS,
            # only signed-in users ask (and only their private pages carry a form token)
            ask_form=AskForm(formdata=None) if current_user.is_authenticated else None,
            # the producer's places, held while the page is drawn
            regions=load_ancestors(db_session, _location_ids(found.producer)),
            # verified payments to households (a verification raises the catalog's version)
            benefit=household_benefit(db_session, found.producer_id, shanghai_date().year),
        ),
    )


@bp.get("/products/<id:product_id>/reviews")
def product_reviews(product_id: int) -> ResponseReturnValue:
    """All reviews of a visible product, newest first, REVIEWS_PER_PAGE at a time."""
    found = services.product_page(db_session, product_id)
    if found is None:
        abort(404)
    ratings = rating_summary(db_session, "product", found.id)
    return http_cache.respond(
        lambda: (*_catalog_version(), tuple(ratings.values())),
        lambda: render_template(
            "catalog/reviews.html",
            subject="product",
            product=found,
            producer=found.producer,
            ratings=ratings,
            average=average_stars(ratings),
            reviews=reviews_page(db_session, "product", found.id, ratings, _page_number(), REVIEWS_PER_PAGE),
        ),
    )


def _location_ids(producer: Producer) -> list[int]:
    """The regions a producer's location names (its village, township and county)."""
    return [r for r in (producer.village_id, producer.township_id, producer.county_id) if r]


@bp.get("/producers/<id:producer_id>")
def producer(producer_id: int) -> ResponseReturnValue:
    """An approved producer's public profile: its rating, latest reviews and products, a page at a time."""
    ratings = rating_summary(
        db_session, "producer", producer_id
    )  # its version moves with ratings and replies
    return http_cache.respond(
        lambda: (*_catalog_version(), tuple(ratings.values())), lambda: _producer(producer_id, ratings)
    )


def _producer(producer_id: int, ratings: RatingSummary) -> ResponseReturnValue:
    """The producer page as rendered (404 for producers the public may not see)."""
    found = public.approved_producer(db_session, producer_id)
    if found is None:
        abort(404)
    page = services.producer_products(db_session, found, _page_number(), PER_PAGE)
    certs = public.certificates_by_product(page.items)
    regions = load_ancestors(db_session, _location_ids(found))  # held while the page is drawn
    return render_template(
        "catalog/producer.html",
        producer=found,
        page=page,
        products=page.items,
        certs=certs,
        regions=regions,
        benefit=household_benefit(db_session, found.id, shanghai_date().year),
        ratings=ratings,
        average=average_stars(ratings),
        reviews=reviews_page(db_session, "producer", found.id, ratings, 1, LATEST_REVIEWS),
    )


@bp.get("/producers/<id:producer_id>/reviews")
def producer_reviews(producer_id: int) -> ResponseReturnValue:
    """All reviews of an approved producer (its producer stars), newest first, REVIEWS_PER_PAGE at a time."""
    found = public.approved_producer(db_session, producer_id)
    if found is None:
        abort(404)
    ratings = rating_summary(db_session, "producer", found.id)
    return http_cache.respond(
        lambda: (*_catalog_version(), tuple(ratings.values())),
        lambda: render_template(
            "catalog/reviews.html",
            subject="producer",
            product=None,
            producer=found,
            ratings=ratings,
            average=average_stars(ratings),
            reviews=reviews_page(db_session, "producer", found.id, ratings, _page_number(), REVIEWS_PER_PAGE),
        ),
    )


@bp.get("/certified")
@http_cache.conditional(_catalog_version)
def certified() -> ResponseReturnValue:
    """The public list (公示) of currently certified products, overall or per county."""
    form = CertifiedFilterForm()
    if not form.validate():
        return render_template("catalog/certified.html", form=form, page=None, args={}, today=None), 400
    page = paginate(db_session, public.certified_query(**form.criteria()), _page_number(), CERTIFIED_PER_PAGE)
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
    for cert in public.certified_list(db_session, **criteria):
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
@http_cache.conditional(_catalog_version)
def county(code: str) -> ResponseReturnValue:
    """A county's showcase: its newest products, its producers (a page at a time) and a link to its public
    list. Every number on it comes from the catalog counters."""
    region = _county_or_404(code)
    newest = search_filters.SearchFilters(county=code)
    page = services.browse_products(db_session, newest, 1, COUNTY_NEWEST, county=region)
    certs = public.certificates_by_product(page.items)
    producers = services.county_producers(db_session, region, _page_number(), PER_PAGE)
    # the regions the page names (the county's own path, the producers' places), held while it is drawn
    regions = load_ancestors(db_session, [region.id, *(r for p in producers.items for r in _location_ids(p))])
    return render_template(
        "catalog/county.html",
        county=region,
        page=page,
        certs=certs,
        producers=producers,
        certified_count=counts.certificates_valid(db_session, shanghai_date(), [region.id]),
        regions=regions,
        benefit=county_benefit(db_session, region.id, shanghai_date().year),
    )
