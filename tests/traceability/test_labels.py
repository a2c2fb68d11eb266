"""Printed labels scan back to their trace URLs, show the batch's facts in Chinese, and never overflow."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import User
from traceability.batches import views as batch_views
from traceability.labels import services as labels
from traceability.labels import views as label_views
from traceability.links import qr_image, trace_url
from traceability.models import Batch
from traceability.serials import create_serials

BASE = "http://trace.test"


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, name="疏勒县巴仁乡蔬菜种植农民专业合作社")


@pytest.fixture()
def onions(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒洋葱", category=Category.VEGETABLES, certified=True)


def _decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Every QR code zxing-cpp finds in ``image``."""
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_png_label_decodes_to_exactly_the_trace_url(
    make_product: Callable[..., Product], producer: Producer, make_batch: Callable[..., Batch]
) -> None:
    product = make_product(producer, name="疏勒洋葱", certified=True, gtin="06901234567892")
    batch = make_batch(product)
    url = trace_url(BASE, batch)
    assert url == f"{BASE}/01/06901234567892/10/{batch.lot_code}"

    image = _png(labels.render_label_png(batch, url))

    assert image.size == labels.LABEL_SIZE == (750, 450)  # 63.5 × 38.1 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    assert [code.text for code in _decode(image)] == [url]


def test_label_shows_the_batch_facts_and_only_a_certificate_valid_today(
    db: Session, onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    certificate = onions.valid_certificate_on(shanghai_date())
    assert certificate is not None and batch.compliance is not None

    fields = dict(labels.label_fields(batch))

    assert fields == {
        "生产者": "疏勒县巴仁乡蔬菜种植农民专业合作社",
        "批次号": batch.lot_code,
        "生产日期": batch.produced_on.isoformat(),
        "保质期至": batch.best_before.isoformat(),
        "帮扶认定": certificate.certificate_no,
        "合格证号": batch.compliance.number,
    }

    expired = shanghai_date() - timedelta(days=1)
    certificate.valid_to = expired
    certificate.valid_from = expired - timedelta(days=365)
    db.flush()
    assert "帮扶认定" not in dict(labels.label_fields(batch))


def test_the_chinese_product_name_is_drawn_with_real_glyphs(
    onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    left, top, right, bottom = labels._TEXT_BOX
    name_lines = labels.layout_text("疏勒洋葱", [], right - left, bottom - top)
    name_bottom = top + max(line.bbox[3] for line in name_lines) + 2

    def name_region(name: str) -> bytes:
        onions.name = name
        image = _png(labels.render_label_png(batch, trace_url(BASE, batch)))
        return image.crop((left, top, right, name_bottom)).tobytes()

    onions_ink, potatoes_ink = name_region("疏勒洋葱"), name_region("疏勒土豆")
    blank = bytes([255]) * len(onions_ink)

    assert onions_ink != blank
    # A font without CJK glyphs would draw the same "missing glyph" box for 洋葱 and 土豆.
    assert onions_ink != potatoes_ink


def test_meat_label_names_the_slaughter_date_and_quarantine_number(
    producer: Producer, make_product: Callable[..., Product], make_batch: Callable[..., Batch]
) -> None:
    yak = make_product(producer, name="塔县牦牛肉", category=Category.MEAT, certified=True)
    batch = make_batch(yak)
    url = trace_url(BASE, batch)

    fields = dict(labels.label_fields(batch))
    image = _png(labels.render_label_png(batch, url))

    assert fields["屠宰日期"] == batch.produced_on.isoformat()
    assert fields["检疫证号"] == batch.slaughter_quarantine_no
    assert "生产日期" not in fields
    assert [code.text for code in _decode(image)] == [url]


def test_a_very_long_name_wraps_and_shrinks_within_the_label(
    make_producer: Callable[..., Producer],
    owner: User,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    long_producer = make_producer(
        owner=owner, name="新疆喀什地区疏勒县巴仁乡阿克提坎墩村红皮洋葱种植与销售农民专业合作社联合社"
    )
    name = ("新疆喀什疏勒县特级有机高原冰川雪水灌溉红皮洋葱礼盒装精选大果五公斤家庭装" * 4)[:120]
    product = make_product(long_producer, name=name, certified=True)
    batch = make_batch(product)
    left, top, right, bottom = labels._TEXT_BOX
    width, height = right - left, bottom - top

    lines = labels.layout_text(name, labels.label_fields(batch), width, height)
    name_lines = [line for line in lines if line.font.path.endswith(labels._BOLD)]

    assert 1 < len(name_lines) <= 3
    assert name_lines[-1].text.endswith("…")
    assert name_lines[0].font.size < labels._NAME_SIZE  # shrunk as well as wrapped
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, line.text
    assert {value for _caption, value in labels.label_fields(batch)} >= {batch.lot_code}
    assert any(line.text == batch.lot_code for line in lines)

    url = trace_url(BASE, batch)
    image = _png(labels.render_label_png(batch, url))
    # Nothing was cut off where the text area ends (its last column and row stay blank) ...
    ink = Image.eval(image.crop(labels._TEXT_BOX), lambda v: 255 - v).getbbox()
    assert ink is not None and ink[2] < width and ink[3] < height
    # ... and nothing was drawn between the text and the QR code.
    gap = (labels._TEXT_BOX[2], 0, labels.LABEL_SIZE[0] - labels._EDGE - labels._QR_COLUMN, image.height)
    assert Image.eval(image.crop(gap), lambda v: 255 - v).getbbox() is None
    assert [code.text for code in _decode(image)] == [url]


def test_a_sheet_of_30_serialized_labels_scans_to_30_distinct_urls_in_order(
    db: Session, owner: User, onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    serials = [unit.serial for unit in create_serials(db, owner, batch, 30)]
    items = [(trace_url(BASE, batch, serial), serial) for serial in serials]

    pages = labels.render_label_sheet_pages(batch, items)

    assert len(pages) == 2
    assert all(page.size == labels.PAGE_SIZE == (2480, 3508) for page in pages)
    decoded: dict[int, str] = {}
    for number, page in enumerate(pages):
        for code in _decode(page):
            center_x = (code.position.top_left.x + code.position.bottom_right.x) / 2
            center_y = (code.position.top_left.y + code.position.bottom_right.y) / 2
            column = int((center_x - labels.SHEET_ORIGIN[0]) // labels.SHEET_PITCH[0])
            row = int((center_y - labels.SHEET_ORIGIN[1]) // labels.SHEET_PITCH[1])
            decoded[number * labels.LABELS_PER_PAGE + row * labels.SHEET_COLUMNS + column] = code.text
    assert decoded == {index: url for index, (url, _serial) in enumerate(items)}
    assert len(set(decoded.values())) == 30
    assert all(url.endswith(f"/{serial}") for url, serial in items)


def test_the_pdf_sheet_has_one_a4_page_per_21_labels(
    onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    url = trace_url(BASE, batch)

    pdf = labels.render_label_sheet_pdf(batch, [(url, None)] * 22)

    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2
    assert pdf.count(b"/MediaBox [ 0 0 595.2 841.92 ]") == 2  # A4 in points
    with pytest.raises(ValueError):
        labels.render_label_sheet_pdf(batch, [])


def test_the_pdf_itself_scans_when_a_pdf_renderer_is_at_hand(
    tmp_path: Path, db: Session, owner: User, onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    urls = {trace_url(BASE, batch, unit.serial) for unit in create_serials(db, owner, batch, 3)}
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(labels.render_label_sheet_pdf(batch, [(url, url.rsplit("/", 1)[1]) for url in urls]))

    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(tmp_path / "page")], check=True)

    (page,) = tmp_path.glob("page*.png")
    assert {code.text for code in _decode(Image.open(page))} == urls


@pytest.mark.parametrize(
    "data",
    [
        f"{BASE}/t/SL2501159KQ4",
        f"{BASE}/01/06901234567892/10/SL2501159KQ4/21/Ab3_x-9QpLmN0zZk",
        "https://shop.example.cn/T/0123456789012345678901234567890123456789",
        "https://trace.example.cn/t/" + "2502ABCD" * 25,  # version 10+: version information blocks
    ],
)
def test_label_qr_codes_decode_to_their_data_at_every_size(data: str) -> None:
    bitmap = labels.qr_bitmap(data, scale=3)
    assert [r.text for r in zxingcpp.read_barcodes(bitmap.convert("L"))] == [data]
    # same symbol size as the trace page's code (same version and error correction), only the mask is fixed
    assert bitmap.size[0] // 3 == qr_image(data, box_size=1, border=4).get_image().size[0]


def test_a_missing_font_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, onions: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(onions)
    labels._font.cache_clear()
    monkeypatch.setattr(labels, "_REGULAR", "NotoSansCJK-Missing.ttc")
    monkeypatch.setattr(labels, "_BOLD", "NotoSansCJK-Missing.ttc")
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            labels.render_label_png(batch, trace_url(BASE, batch))
    finally:
        labels._font.cache_clear()


def test_a_label_sheet_renders_a_bounded_number_of_labels_and_says_what_can_be_printed(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    onions: Product,
    make_batch: Callable[..., Batch],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch_views, "MAX_LABELS_PER_SHEET", 5)  # 1000 in production: the same rule
    monkeypatch.setattr(label_views, "MAX_LABELS_PER_SHEET", 5)
    rendered: list[int] = []
    real = labels.render_label_sheet_pdf

    def counting(batch: Batch, items: list[tuple[str, str | None]], **kwargs: object) -> bytes:
        rendered.append(len(items))
        return real(batch, items[:1], **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(labels, "render_label_sheet_pdf", counting)
    batch = make_batch(onions, quantity=50)
    create_serials(db, owner, batch, 12)
    client = as_user(owner)
    client.post("/language", data={"locale": "en"})
    url = f"/producer/batches/{batch.id}/labels.pdf"
    sheets = [client.get(url), client.get(f"{url}?part=2"), client.get(f"{url}?part=3")]
    assert [r.status_code for r in sheets] == [200, 200, 200] and rendered == [5, 5, 2]
    assert sheets[2].headers["Content-Disposition"].endswith(f'labels-{batch.lot_code}-3.pdf"')
    for bad in ("0", "4", "-1", "abc", "99999999999999999999999"):
        refused = client.get(f"{url}?part={bad}")
        assert refused.status_code == 400
        assert "print on 3 label sheets of at most 5 labels each" in refused.get_data(as_text=True)
    assert rendered == [5, 5, 2]
    page = client.get(f"/producer/batches/{batch.id}").get_data(as_text=True)
    assert "Labels 11–12 (PDF)" in page and f"{url}?part=3" in page
    plain = make_batch(onions, quantity=50)
    lot_url = f"/producer/batches/{plain.id}/labels.pdf"
    for bad in ("0", "201", "abc"):
        refused = client.get(f"{lot_url}?count={bad}")
        assert refused.status_code == 400 and "Print from 1 to 200 lot labels" in refused.get_data(
            as_text=True
        )
