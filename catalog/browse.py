"""Public browsing: listing, search, product and producer pages, the public list of certified products."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalog", __name__)
