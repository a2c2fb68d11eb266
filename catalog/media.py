"""Serving stored upload variants from UPLOAD_DIR (never from static/), public and cached for a year.

Keys are 128 random bits generated per upload and every stored file is a re-encoded WebP, so a URL names
immutable content. Licence images live in the same directory: they stay private only because their keys
are unguessable and never shown outside the producer's and reviewers' pages.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from catalog.images import ImageError, variant_path

bp = Blueprint("media", __name__, url_prefix="/media")

ONE_YEAR = 365 * 24 * 60 * 60


@bp.get("/<key>/<variant>.webp", endpoint="image")
def image(key: str, variant: str) -> ResponseReturnValue:
    """Send one variant (original, full, card, thumb) of a stored image; 404 for bad keys or missing files."""
    try:
        path = variant_path(Path(current_app.config["UPLOAD_DIR"]), key, variant)
    except ImageError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=ONE_YEAR, conditional=True, etag=True)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
