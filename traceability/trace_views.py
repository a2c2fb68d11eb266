"""The public trace page a QR code opens: HTML for people, JSON and EPCIS for machines."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trace", __name__)
