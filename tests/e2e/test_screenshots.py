"""The README's screenshots are made by a script from the demo (``make screenshots``): it still runs, and
writes each page at both widths."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


@pytest.mark.skipif(
    bool(os.environ.get("SHOP_TEST_DATABASE_URL")),
    reason="the script builds its own SQLite demo whatever the suite's database: the SQLite pass runs it",
)
def test_the_screenshot_script_writes_every_page_at_both_widths(browser: Browser, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.take(tmp_path, browser, history_months=1)  # the year of orders is seeded elsewhere
    pages, sizes = ("home", "product", "trace", "workbench"), ("phone", "desktop")
    assert sorted(p.name for p in written) == sorted(f"{page}-{size}.png" for page in pages for size in sizes)
    for path in written:
        with Image.open(path) as image:
            assert image.width == (360 if "phone" in path.name else 1280), path.name
            # a page, not a blank: more than a handful of colours
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50, path.name
