"""The quick sale reads a photo of the label on the server (zxing-cpp) when the phone's browser cannot: the
decoded text is used exactly like a typed code; a photo without a QR code, or no acceptable image at all, is
answered with a message (400) and sells nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product, Unit
from channels.counters.errors import LabelPhotoRefused, NoCodeInPhoto
from channels.counters.models import ConsignedStock, Counter, CounterSale
from channels.counters.scan import read_label_photo
from core.models import Region, User
from orders.models import Allocation
from procurement.institutions.models import Institution
from tests.channels.support import give_counter, sale_key, stock_counter
from tests.conftest import row_count
from traceability.links import qr_png
from traceability.models import Batch


@pytest.fixture()
def operator(make_user: Callable[..., User], make_institution: Callable[..., Institution]) -> User:
    """A member of a verified institution, who runs the counter."""
    user = make_user(name="专柜店长")
    make_institution(member=user)
    return user


@pytest.fixture()
def shelf(
    db: Session,
    operator: User,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> tuple[Counter, Batch, User]:
    """A counter holding 20 kg of a certified lot, and the lot's producer (who prints its labels)."""
    owner = make_user(name="合作社")
    product = make_product(make_producer(owner=owner), price_fen=2500, certified=True, unit=Unit.KG)
    batch = make_batch(product, quantity=60)
    counter = give_counter(db, operator, region("500000"))
    stock_counter(db, counter, batch, 20)
    return counter, batch, owner


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _sell_photo(client: FlaskClient, counter: Counter, photo: bytes, name: str = "label.png") -> object:
    data = {
        "code": "",
        "quantity": "3",
        "payment": "cash",
        "key": sale_key(),
        "photo": (io.BytesIO(photo), name),
    }
    return client.post(f"/channels/counters/{counter.id}/sell", data=data, content_type="multipart/form-data")


def test_a_photo_of_the_printed_label_sells_that_lot(
    db: Session,
    shelf: tuple[Counter, Batch, User],
    operator: User,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    counter, batch, owner = shelf
    label = as_user(owner).get(f"/producer/batches/{batch.id}/label.png")
    assert label.status_code == 200 and label.mimetype == "image/png"
    # a phone's photo: the label a little smaller, on a grey counter top, as JPEG
    printed = Image.open(io.BytesIO(label.data)).convert("RGB")
    photo = Image.new("RGB", (printed.width + 200, printed.height + 160), (150, 150, 145))
    photo.paste(printed.resize((printed.width * 4 // 5, printed.height * 4 // 5)), (90, 70))
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=85)

    response = _sell_photo(as_user(operator), counter, jpeg.getvalue(), "IMG_0001.jpg")
    assert response.status_code == 302, response.get_data(as_text=True)  # type: ignore[attr-defined]
    sale = db.scalars(select(CounterSale).where(CounterSale.counter_id == counter.id)).one()
    assert sale.batch_id == batch.id and sale.quantity == 3 and sale.amount_fen == 3 * 2500
    allocation = db.scalars(select(Allocation).where(Allocation.batch_id == batch.id)).one()
    assert allocation.quantity == 3
    db.expire_all()
    stock = db.scalars(select(ConsignedStock).where(ConsignedStock.counter_id == counter.id)).one()
    assert stock.quantity == 17


def test_the_decoded_text_is_the_label_url(shelf: tuple[Counter, Batch, User]) -> None:
    _, batch, _ = shelf
    url = f"https://bangfu.example/t/{batch.lot_code}"
    assert read_label_photo(io.BytesIO(qr_png(url))) == url


def test_a_photo_without_a_code_or_no_image_sells_nothing(
    db: Session,
    shelf: tuple[Counter, Batch, User],
    operator: User,
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    counter, _, _ = shelf
    client = as_user(operator)
    blank = _sell_photo(client, counter, _png(Image.new("RGB", (640, 480), (200, 200, 200))))
    assert blank.status_code == 400  # type: ignore[attr-defined]
    assert "No QR code found in the picture" in blank.get_data(as_text=True)  # type: ignore[attr-defined]
    gif = io.BytesIO()
    Image.new("RGB", (40, 40)).save(gif, format="GIF")
    wrong = _sell_photo(client, counter, gif.getvalue(), "label.gif")
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert "The photo cannot be read" in wrong.get_data(as_text=True)  # type: ignore[attr-defined]
    text = _sell_photo(client, counter, b"not an image at all", "label.png")
    assert text.status_code == 400  # type: ignore[attr-defined]
    truncated = _sell_photo(client, counter, _png(Image.new("RGB", (300, 300)))[:200])
    assert truncated.status_code == 400  # type: ignore[attr-defined]
    nothing = client.post(
        f"/channels/counters/{counter.id}/sell",
        data={"code": "", "quantity": "1", "payment": "cash", "key": sale_key()},
    )
    assert nothing.status_code == 400
    assert "take a photo of the label, or type the code" in nothing.get_data(as_text=True)
    assert row_count(db, "channels_counter_sale") == 0


def test_a_photo_too_large_or_a_code_of_another_kind_is_refused(shelf: tuple[Counter, Batch, User]) -> None:
    with pytest.raises(LabelPhotoRefused):
        read_label_photo(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024 + 1)))
    with pytest.raises(NoCodeInPhoto):
        read_label_photo(io.BytesIO(_png(Image.new("L", (200, 200), 255))))


def test_the_quick_sale_page_sends_the_photo_with_the_form(
    shelf: tuple[Counter, Batch, User], operator: User, as_user: Callable[[User | None], FlaskClient]
) -> None:
    counter, _, _ = shelf
    page = as_user(operator).get(f"/channels/counters/{counter.id}/sell").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'name="photo"' in page and 'capture="environment"' in page and 'accept="image/*"' in page
