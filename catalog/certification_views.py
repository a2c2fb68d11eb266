"""Reviewers decide certification applications and revoke certificates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certification", __name__, url_prefix="/review/certifications")
