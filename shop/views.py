"""The home page and other pages that belong to no single feature."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from core.db import db_session
from core.regions import get_region
from shop.showcase import SHOWCASES

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """The home page: what the platform is and the three counties it serves."""
    showcases = [(showcase, get_region(db_session, showcase.code)) for showcase in SHOWCASES]
    return render_template("main/index.html", showcases=showcases)
