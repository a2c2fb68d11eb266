"""A producer's products: list, create, edit, images, certification applications."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("products", __name__, url_prefix="/producer/products")
