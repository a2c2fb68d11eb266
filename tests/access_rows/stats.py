"""Access rows for the statistics dashboards, their exports, the statistics API and the API token pages."""

from __future__ import annotations

from typing import Any

from core.tokens.services import issue_token
from tests.access_rows import ADM, PERSONAS, P, R, World, everyone, only


def _reviewer_token(w: World) -> str:
    """A fresh token of the 疏勒县 reviewer, to revoke."""
    token, _secret = issue_token(w.db, w.users[R], "matrix")
    return f"/account/api-tokens/{token.id}/revoke"


#: Reviewers and admins are sent on to a county dashboard; anonymous users to log in; the rest refused.
_TO_COUNTY = {p: 302 if p in ("anonymous", R, ADM) else 403 for p in PERSONAS}

#: endpoint → (method, path or path builder, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "stats.public": ("GET", "/stats/", {}, everyone(200)),
    "stats.public_export": ("GET", "/stats/export.csv", {}, everyone(200)),
    "stats.my_county": ("GET", "/stats/county/", {}, _TO_COUNTY),
    "stats.county": ("GET", "/stats/county/653122", {}, only((R, ADM))),
    "stats.county_export": ("GET", "/stats/county/653122/export.xlsx", {}, only((R, ADM))),
    "stats.producer": ("GET", "/stats/producer", {}, only((P,))),
    "stats.producer_export": ("GET", "/stats/producer/export.csv", {}, only((P,))),
    # The API reads a bearer token, never the session: without one everybody gets 401.
    "stats_api.summary": ("GET", "/api/v1/stats/summary", {}, everyone(401)),
    "stats_api.county": ("GET", "/api/v1/stats/counties/653122", {}, everyone(401)),
    "api_tokens.index": ("GET", "/account/api-tokens/", {}, only((R, ADM))),
    "api_tokens.create": ("POST", "/account/api-tokens/", {"name": "matrix"}, only((R, ADM))),
    "api_tokens.revoke": ("POST", _reviewer_token, {}, only((R, ADM), ok=302)),
}
