"""Access rows for the target pages (admins) and the help-sell list (reviewers and admins)."""

from __future__ import annotations

from typing import Any

from stats.models import Target, TargetScope
from tests.access_rows import ADM, R, World, only


def fresh_target(w: World) -> Target:
    """A new platform target (each persona gets its own, so deleting one leaves the next)."""
    target = Target(scope=TargetScope.PLATFORM, start_year=2025, end_year=2025, amount_fen=100_000_00)
    w.db.add(target)
    w.db.flush()
    return target


ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "targets.index": ("GET", "/admin/targets/", {}, only((ADM,))),
    "targets.new": ("GET", "/admin/targets/new", {}, only((ADM,))),
    "targets.edit": ("GET", lambda w: f"/admin/targets/{fresh_target(w).id}/edit", {}, only((ADM,))),
    "targets.delete": (
        "POST",
        lambda w: f"/admin/targets/{fresh_target(w).id}/delete",
        {},
        only((ADM,), 302),
    ),
    "targets.help_sell": ("GET", "/admin/targets/help-sell", {}, only((R, ADM))),
}
