"""Recording a batch photo-first on a phone (issue 16): the demo cooperative's member, on a 360 px touch
screen, takes a photo, taps the product's picture, taps + twice and submits — a handful of taps, no typing,
no sideways scrolling — and the batch exists with that quantity and photo, shown on its page and trace
page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.products.photos import add_product_image
from core.models import User
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import PHONE, log_in
from traceability.models import Batch

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
PRODUCT = "疏勒辣椒"
MAX_TAPS = 8


@pytest.fixture()
def touch_phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A 360 px phone with a touch screen; screenshotted if the journey fails."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def photo_png(path: Path) -> Path:
    """A small generated photo (green, like a pile of peppers) as a PNG file."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (46, 125, 50)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def give_the_product_a_photo(app: Flask, tmp_path: Path) -> None:
    """The producer's own photo of the product (as uploaded on its product page): what the card shows."""
    with app.app_context(), Session(app.extensions["db"].engine) as session:
        product = session.scalars(select(Product).where(Product.name == PRODUCT)).one()
        if not product.images:
            member = session.scalars(select(User).where(User.email == PRODUCER)).one()
            png = photo_png(tmp_path / "product.png").read_bytes()
            add_product_image(session, member, product, io.BytesIO(png), app.config["UPLOAD_DIR"])
            session.commit()


def scrolls_sideways(page: Page) -> bool:
    """Whether the page is wider than the viewport (a phone would scroll sideways)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


def test_a_producer_records_a_batch_photo_first_in_a_few_taps(
    touch_phone: Page, live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    page, taps = touch_phone, 0

    def tap(target: Locator) -> None:
        nonlocal taps
        target.tap()
        taps += 1

    give_the_product_a_photo(live_app, tmp_path)
    log_in(page, live_server, PRODUCER)
    page.goto(live_server + "/producer/batches/new")
    assert not scrolls_sideways(page)
    expect(page.locator("#photo")).to_have_attribute("capture", "environment")

    page.locator("#photo").set_input_files(str(photo_png(tmp_path / "batch.png")))
    taps += 1  # the camera button: one tap to take the photo
    picture = page.locator("label.pick-card", has_text=PRODUCT).locator("img")
    assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    tap(picture)
    expect(page.locator("label.pick-card", has_text=PRODUCT).locator("input")).to_be_checked()
    expect(page.locator("#best_before")).not_to_have_value("")  # from the product's usual shelf life
    plus = page.get_by_role("button", name="多一个")
    tap(plus)
    tap(plus)
    expect(page.locator("#quantity")).to_have_value("2")
    assert not scrolls_sideways(page)
    tap(page.get_by_role("button", name="登记批次"))

    expect(page.locator("main")).to_contain_text("HGZ")  # recorded, with its compliance certificate
    assert taps <= MAX_TAPS
    assert not scrolls_sideways(page)
    batch_id = int(re.search(r"/producer/batches/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    with live_app.app_context(), Session(live_app.extensions["db"].engine) as session:
        batch = session.scalars(select(Batch).where(Batch.id == batch_id)).one()
        assert (batch.product.name, batch.quantity, batch.quantity_available) == (PRODUCT, 2, 2)
        assert batch.photo_key is not None and batch.compliance is not None
        lot, key = batch.lot_code, batch.photo_key
    assert (Path(live_app.config["UPLOAD_DIR"]) / f"{key}_card.webp").is_file()
    photo = page.locator(f"main img[src*='{key}']")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0

    page.goto(live_server + f"/t/{lot}")
    expect(page.locator(f"main img[src*='{key}']")).to_be_visible()
    assert not scrolls_sideways(page)


def test_enter_in_the_quantity_records_rather_than_steps(
    touch_phone: Page, live_app: Flask, live_server: str
) -> None:
    page = touch_phone
    log_in(page, live_server, PRODUCER)
    page.goto(live_server + "/producer/batches/new")
    page.locator("label.pick-card", has_text=PRODUCT).tap()
    page.fill("#quantity", "5")
    page.press("#quantity", "Enter")
    expect(page.locator("main")).to_contain_text("HGZ")
    batch_id = int(re.search(r"/producer/batches/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    with live_app.app_context(), Session(live_app.extensions["db"].engine) as session:
        assert session.get(Batch, batch_id).quantity == 5  # type: ignore[union-attr]


def test_a_producer_records_a_batch_photo_first_at_desktop_width(
    desktop_page: Page, live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    page = desktop_page
    give_the_product_a_photo(live_app, tmp_path)
    log_in(page, live_server, PRODUCER)
    page.goto(live_server + "/producer/batches/new")
    page.locator("#photo").set_input_files(str(photo_png(tmp_path / "batch.png")))
    page.locator("label.pick-card", has_text=PRODUCT).locator("img").click()
    expect(page.locator("label.pick-card", has_text=PRODUCT).locator("input")).to_be_checked()
    for _ in range(3):
        page.get_by_role("button", name="多一个").click()
    expect(page.locator("#quantity")).to_have_value("3")
    assert not scrolls_sideways(page)
    page.get_by_role("button", name="登记批次").click()

    expect(page.locator("main")).to_contain_text("HGZ")
    batch_id = int(re.search(r"/producer/batches/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    with live_app.app_context(), Session(live_app.extensions["db"].engine) as session:
        batch = session.scalars(select(Batch).where(Batch.id == batch_id)).one()
        assert (batch.product.name, batch.quantity) == (PRODUCT, 3) and batch.photo_key is not None
        key = batch.photo_key
    expect(page.locator(f"main img[src*='{key}']")).to_be_visible()
    assert not scrolls_sideways(page)
