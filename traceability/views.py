"""Wiring of the traceability blueprints and commands into the app."""

from __future__ import annotations

from flask import Flask

from traceability import batch_views, trace_views


def init_app(app: Flask) -> None:
    """Register the traceability pages."""
    app.register_blueprint(trace_views.bp)
    app.register_blueprint(batch_views.bp)
