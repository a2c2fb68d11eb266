"""The home page and other pages that belong to no single feature."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from catalog.public import CATALOG
from core import http_cache, versions
from core.clock import shanghai_date
from core.db import db_session
from shop.home import IN_SEASON_DAYS, home_page
from stats.views import SALES

bp = Blueprint("main", __name__)


def _home_version() -> tuple[object, ...]:
    """What the home page shows, read at once: the catalog's and the sales ledger's versions, and the day
    (certificates, best-before dates and the help-sell windows move with the Asia/Shanghai date)."""
    return (*versions.stamp(db_session, CATALOG, SALES), shanghai_date())


@bp.get("/")
@http_cache.conditional(_home_version)
def index() -> ResponseReturnValue:
    """The home page: a search box, the counties and their stories, what is in season, what needs help
    selling and the running total counted toward consumption assistance."""
    return render_template(
        "shop/index.html", home=home_page(db_session, shanghai_date()), in_season_days=IN_SEASON_DAYS
    )
