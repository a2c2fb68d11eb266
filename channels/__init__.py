"""The channels sales come through besides the online shop (三专一平台 counters, halls and zones; fairs;
livestreams with hosts and sharers; community group-buying; assistance groups), each carried on the sale into
the ledger. Builds on the orders, payments and procurement packages to its left."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the channels' pages, commands and receivers."""
    from channels.assistance import views as assistance_views

    app.register_blueprint(assistance_views.bp)
