"""A batch's temperature curve: reduced to a bounded number of points, drawn as an inline SVG.

The SVG needs no script and scales to the width of a 360 px phone (``viewBox`` with ``width="100%"``): the
safe band is a green strip, the curve is the band between each interval's lowest and highest reading with a
line through its middle, and readings out of range are red dots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from core.clock import SHANGHAI
from traceability.coldchain.ranges import SafeRange, degrees

#: The most points a summary keeps (and a page draws) however many readings there are.
MAX_POINTS = 120
WIDTH, HEIGHT = 320, 160
_LEFT, _RIGHT, _TOP, _BOTTOM = 54, 8, 10, 22


def downsample(points: Sequence[tuple[datetime, int, int]], limit: int = MAX_POINTS) -> list[list[int]]:
    """``[[epoch seconds, low, high], …]``: at most ``limit`` entries, each the lowest and highest value of
    an equal slice of the period (so no excursion is smoothed away). ``points`` are time-ordered."""
    if not points:
        return []
    stamps = [int(moment.timestamp()) for moment, _, _ in points]
    if len(points) <= limit:
        return [[stamp, low, high] for stamp, (_, low, high) in zip(stamps, points, strict=True)]
    start, span = stamps[0], max(stamps[-1] - stamps[0], 1)
    buckets: dict[int, list[int]] = {}
    for stamp, (_, low, high) in zip(stamps, points, strict=True):
        index = min((stamp - start) * limit // span, limit - 1)
        bucket = buckets.get(index)
        if bucket is None:
            buckets[index] = [stamp, low, high]
        else:
            bucket[1], bucket[2] = min(bucket[1], low), max(bucket[2], high)
    return [buckets[i] for i in sorted(buckets)]


def _scale(curve: list[list[int]], safe: SafeRange | None) -> tuple[int, int, int, int]:
    """Time and value extents (value padded by 1 °C, widened to show the band's edges)."""
    t0, t1 = curve[0][0], curve[-1][0]
    lows = [p[1] for p in curve] + [b for b in ((safe.low, safe.high) if safe else ()) if b is not None]
    highs = [p[2] for p in curve] + [b for b in ((safe.low, safe.high) if safe else ()) if b is not None]
    return t0, max(t1, t0 + 1), min(lows) - 100, max(highs) + 100


def _local(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def svg(curve: list[list[Any]], safe: SafeRange | None, title: str) -> Markup:
    """The curve as an accessible inline SVG (``title`` says what it shows), or nothing without points."""
    if not curve:
        return Markup("")
    t0, t1, v0, v1 = _scale(curve, safe)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(stamp: int) -> float:
        return _LEFT + (stamp - t0) * plot_w / (t1 - t0) if len(curve) > 1 else _LEFT + plot_w / 2

    def y(value: int) -> float:
        return _TOP + (v1 - value) * plot_h / (v1 - v0)

    parts = [
        f'<svg class="cold-chain-curve" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#ccc"/>',
    ]
    if safe is not None:
        top = y(safe.high) if safe.high is not None else _TOP
        bottom = y(safe.low) if safe.low is not None else _TOP + plot_h
        parts.append(
            f'<rect x="{_LEFT}" y="{top:.1f}" width="{plot_w}" height="{max(bottom - top, 0):.1f}" '
            'fill="#d8f0dc" class="safe-band"/>'
        )
        for bound in (safe.low, safe.high):
            if bound is not None:
                parts.append(
                    f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y(bound):.1f}" y2="{y(bound):.1f}" '
                    'stroke="#2e7d32" stroke-dasharray="4 3"/>'
                    f'<text x="{_LEFT - 3}" y="{y(bound) + 4:.1f}" font-size="10" text-anchor="end">'
                    f"{escape(degrees(bound))}</text>"
                )
    labelled = [y(b) for b in ((safe.low, safe.high) if safe else ()) if b is not None]
    for value in (max(p[2] for p in curve), min(p[1] for p in curve)):
        if all(abs(y(value) - other) > 12 for other in labelled):  # no label over another
            labelled.append(y(value))
            parts.append(
                f'<text x="{_LEFT - 3}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end">'
                f"{escape(degrees(value))}</text>"
            )
    upper = " ".join(f"{x(p[0]):.1f},{y(p[2]):.1f}" for p in curve)
    lower = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in reversed(curve))
    middle = " ".join(f"{x(p[0]):.1f},{y((p[1] + p[2]) // 2):.1f}" for p in curve)
    parts.append(f'<polygon points="{upper} {lower}" fill="#1565c0" fill-opacity="0.25"/>')
    parts.append(f'<polyline points="{middle}" fill="none" stroke="#1565c0" stroke-width="1.5"/>')
    if safe is not None:
        for stamp, low, high in curve:
            for value in (low, high):
                if not safe.holds(value):
                    parts.append(f'<circle cx="{x(stamp):.1f}" cy="{y(value):.1f}" r="2.5" fill="#c62828"/>')
    base = HEIGHT - 6
    parts.append(f'<text x="{_LEFT}" y="{base}" font-size="10">{_local(t0)}</text>')
    parts.append(
        f'<text x="{WIDTH - _RIGHT}" y="{base}" font-size="10" text-anchor="end">{_local(t1)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers we formatted and escaped text only
