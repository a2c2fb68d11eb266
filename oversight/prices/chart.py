"""The price history chart of an alert's page: an inline SVG drawn on the server (no script), 360 px wide,
a step line of the product's prices over time with the reference (or the window's lowest) as a dashed line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.db import utcnow
from oversight.prices.models import PriceChange

WIDTH, HEIGHT = 360, 160
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 16, 24


@dataclass(frozen=True)
class Chart:
    """What the template draws: the step line's points, the dashed line's height, labels of the extremes."""

    points: str
    compared_y: float | None
    low_fen: int
    high_fen: int
    first_at: datetime
    last_at: datetime
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def bottom_y(self) -> int:
        """Where the x axis runs."""
        return HEIGHT - BOTTOM


def price_chart(
    changes: Sequence[PriceChange], compared_fen: int | None, now: datetime | None = None
) -> Chart | None:
    """The chart of ``changes`` (oldest first) up to ``now``; None without any change."""
    if not changes:
        return None
    now = now or utcnow()
    first_at = changes[0].changed_at
    last_at = max(now, changes[-1].changed_at)
    prices = [c.new_fen for c in changes] + ([compared_fen] if compared_fen else [])
    low, high = min(prices), max(prices)
    span_fen = max(high - low, 1)
    span_s = max((last_at - first_at).total_seconds(), 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return round(LEFT + (at - first_at).total_seconds() / span_s * plot_w, 1)

    def y(fen: int) -> float:
        return round(TOP + (high - fen) / span_fen * plot_h, 1)

    points: list[str] = []
    for index, change in enumerate(changes):
        if index:
            points.append(f"{x(change.changed_at)},{y(changes[index - 1].new_fen)}")
        points.append(f"{x(change.changed_at)},{y(change.new_fen)}")
    points.append(f"{x(last_at)},{y(changes[-1].new_fen)}")
    return Chart(
        points=" ".join(points),
        compared_y=y(compared_fen) if compared_fen else None,
        low_fen=low,
        high_fen=high,
        first_at=first_at,
        last_at=last_at,
    )
