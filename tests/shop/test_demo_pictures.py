"""The demo's pictures: drawn once, carrying their Chinese names in real glyphs, drawn even without the font.

These seed a fresh database of their own (with pictures), apart from the module-wide seeding of ``test_demo``.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product, ProductImage
from shop.demo import images as demo_images
from shop.demo.catalog import DEMO_PRODUCERS
from shop.demo.seed import seed_demo
from tests.shop.conftest import quick_hashing


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash the demo passwords cheaply: scrypt would make seeding take a second longer."""
    monkeypatch.setattr("core.models.generate_password_hash", quick_hashing())


def _demo_products(db: Session) -> list[Product]:
    """The products of the demo producers."""
    names = [spec.name for spec in DEMO_PRODUCERS]
    return list(db.scalars(select(Product).join(Producer).where(Producer.name.in_(names))))


def test_pictures_are_drawn_once(db: Session, tmp_path: Path) -> None:
    started = time.perf_counter()
    seed_demo(db, upload_dir=tmp_path)
    elapsed = time.perf_counter() - started
    products = _demo_products(db)
    assert all(len(p.images) == 1 for p in products)
    producers = {p.producer for p in products}
    assert all(p.logo_key for p in producers if p.kind.is_organisation)
    keys = [p.images[0].key for p in products] + [p.logo_key for p in producers if p.logo_key]
    for key in keys:
        with Image.open(tmp_path / f"{key}_card.webp") as image:
            assert image.format == "WEBP"
    files = sorted(path for path in tmp_path.iterdir() if path.is_file())
    assert len(files) == 4 * len(keys)
    evidence = sorted((tmp_path / "benefit").rglob("*.pdf"))  # one per county's reporting producer
    assert len(evidence) == 3

    seed_demo(db, upload_dir=tmp_path)
    assert sorted(path for path in tmp_path.iterdir() if path.is_file()) == files
    assert sorted((tmp_path / "benefit").rglob("*.pdf")) == evidence
    assert db.scalar(select(func.count()).select_from(ProductImage)) == len(products)
    # a guard against drawing pictures over and over, generous enough for a loaded shared machine
    assert elapsed < 60, f"seeding with pictures took {elapsed:.1f} s"


def _caption_differs(first: bytes, second: bytes) -> bool:
    """Whether two demo pictures differ anywhere in the white caption band under the motif."""
    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        width, height = a.size
        band = (0, int(height * 0.7), width, height)
        return ImageChops.difference(a.crop(band), b.crop(band)).getbbox() is not None


def test_demo_pictures_carry_their_chinese_names_in_real_glyphs() -> None:
    """Issue 16: the first run installs the CJK font (``make run`` as ``make test``) and the pictures show the
    names. A font without Chinese draws the same missing-glyph box for every character, so two names of equal
    length would give the same picture: different pixels prove real glyphs."""
    assert demo_images.FONT_PATH.exists(), "scripts/install-system-deps installs fonts-noto-cjk"
    shule = demo_images.product_image("疏勒辣椒", Category.VEGETABLES, "pepper")
    chengkou = demo_images.product_image("城口腊肉", Category.VEGETABLES, "pepper")
    blank = demo_images.product_image("", Category.VEGETABLES, "pepper")
    assert _caption_differs(shule, blank) and _caption_differs(shule, chengkou)
    assert _caption_differs(
        demo_images.logo_image("疏勒", "pepper"), demo_images.logo_image("城口", "pepper")
    )


def test_pictures_are_drawn_without_the_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_images, "FONT_PATH", Path("/nonexistent/font.ttc"))
    png = demo_images.product_image("塔县有机牦牛肉干", Category.PROCESSED, "yak")
    assert png.startswith(b"\x89PNG")
    assert demo_images.logo_image("帕米尔", "yak").startswith(b"\x89PNG")
