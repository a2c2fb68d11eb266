"""The home page and other pages that belong to no single feature."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from catalog import public, search
from core.db import db_session
from core.regions import get_region
from shop.showcase import SHOWCASES

bp = Blueprint("main", __name__)

#: How many products each county card shows on the home page.
SHOWCASE_PRODUCTS = 3


@bp.get("/")
def index() -> ResponseReturnValue:
    """The home page: what the platform is, a search box, the three counties and a few of their products."""
    showcases = []
    certs = {}
    for showcase in SHOWCASES:
        filters = search.SearchFilters(county=showcase.code)
        products = search.search_products(db_session, filters, 1, SHOWCASE_PRODUCTS).items
        certs.update(public.certificates_by_product(products))
        showcases.append((showcase, get_region(db_session, showcase.code), products))
    return render_template("shop/index.html", showcases=showcases, certs=certs)
