"""The producer's batch workbench: record batches and events, process, print labels, recall."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("batches", __name__, url_prefix="/producer/batches")
