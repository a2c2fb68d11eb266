"""Money is integer fen: nothing divides fen into a float, in code or in templates (core.i18n.format_fen
formats it, Decimal parses yuan input)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_architecture import LAYERS, ROOT

#: ``x_fen / 100``, ``float(amount_fen)`` and ``amount_fen|float`` (``//`` is integer division).
FLOAT_FEN = re.compile(r"\w*fen\w*\)?\s*/(?!/)\s*100\b|float\(\s*[\w.]*fen\b|\w*fen\w*\s*\|\s*float\b")


def sources() -> list[Path]:
    """Every first-party module and template."""
    paths = [path for layer in LAYERS for path in (ROOT / layer).rglob("*.py")]
    return paths + sorted((ROOT / "templates").rglob("*.html"))


def test_no_float_division_of_fen() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FLOAT_FEN.search(line)
    ]
    assert offenders == []


def test_the_pattern_catches_float_division() -> None:
    for line in (
        'f"{purchase.total_fen / 100:,.2f}"',
        "{{ (line.price_fen/100) }}",
        "float(order.total_fen)",
    ):
        assert FLOAT_FEN.search(line), line
    for line in ("yuan, fen = divmod(amount_fen, 100)", "amount_fen // 100", "format_fen(total_fen)"):
        assert not FLOAT_FEN.search(line), line
