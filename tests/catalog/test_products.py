"""A producer lists and edits products: prices in yuan become exact fen, and bad data is refused clearly."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext
from markupsafe import escape
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerStatus
from catalog.products import photos
from catalog.products import services as products
from catalog.products.errors import TooManyImages
from catalog.products.forms import parse_yuan
from catalog.products.models import (
    Category,
    Product,
    QualityMarkKind,
    Unit,
)
from catalog.products.services import ProductData, QuickEdit
from catalog.validators import compute_gtin_check_digit, validate_gtin14
from core.errors import PermissionDenied
from core.models import User
from tests.conftest import row_count

MakeUser = Callable[..., User]
MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]
AsUser = Callable[[User | None], FlaskClient]

GTIN_BODY = "690123456789"
GTIN = GTIN_BODY + compute_gtin_check_digit(GTIN_BODY)
WRONG_GTIN = GTIN_BODY + str((int(GTIN[-1]) + 1) % 10)


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    """A request context, for translated messages."""
    with app.test_request_context():
        yield


@pytest.fixture()
def owner(make_user: MakeUser) -> User:
    """The owner of ``producer``."""
    return make_user(name="合作社社长")


@pytest.fixture()
def producer(make_producer: MakeProducer, owner: User) -> Producer:
    """An approved 疏勒县 cooperative."""
    return make_producer(owner=owner)


def form_data(producer: Producer, **overrides: str) -> dict[str, str]:
    """A complete, valid product form for ``producer``."""
    data = {
        "producer_id": str(producer.id),
        "name": "疏勒县鲜番茄",
        "category": "vegetables",
        "unit": "kg",
        "price": "12.50",
        "institution_moq": "20",
        "season_start": "6",
        "season_end": "10",
    }
    return data | overrides


def data(**overrides: object) -> ProductData:
    """Valid service input."""
    values: dict[str, object] = {
        "name": "塔县牦牛肉干",
        "category": Category.MEAT,
        "unit": Unit.BOX,
        "price_fen": 16800,
        "net_weight_g": 500,
    }
    return ProductData(**(values | overrides))  # type: ignore[arg-type]


def jpeg_bytes() -> bytes:
    """A 640 × 480 JPEG photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- yuan → fen -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        ("0.01", 1),
        (".5", 50),
        ("12.500", 1250),  # trailing zeros are still whole fen
        ("¥8", 800),
        ("￥8.80", 880),  # full-width yuan sign, as Chinese keyboards type it
        ("１２.５０", 1250),  # full-width digits
        (" 1,234.56 ", 123456),
        ("0.10", 10),
        ("19.99", 1999),  # a float would give 1998.9999…
        ("100000", 10_000_000),
        ("", None),
        ("   ", None),
    ],
)
def test_yuan_is_parsed_into_exact_fen(ctx: None, typed: str, fen: int | None) -> None:
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.505", "Use at most two decimal places (whole fen), e.g. 12.50."),
        ("0.001", "Use at most two decimal places (whole fen), e.g. 12.50."),
        ("-1", "The amount cannot be negative."),
        ("-0.01", "The amount cannot be negative."),
        ("0", "The amount must be more than ¥0.00."),
        ("0.00", "The amount must be more than ¥0.00."),
        ("abc", "Enter an amount in yuan using digits and a decimal point, e.g. 12.50."),
        ("1e3", "Enter an amount in yuan using digits and a decimal point, e.g. 12.50."),
        ("NaN", "Enter an amount in yuan using digits and a decimal point, e.g. 12.50."),
        ("Infinity", "Enter an amount in yuan using digits and a decimal point, e.g. 12.50."),
        ("12.5.0", "Enter an amount in yuan using digits and a decimal point, e.g. 12.50."),
    ],
)
def test_bad_amounts_are_refused_with_their_reason(ctx: None, typed: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_yuan(typed)
    assert str(exc.value) == gettext(message)


def test_absurd_amount_is_refused(ctx: None) -> None:
    with pytest.raises(ValueError, match=r"100,000\.00"):
        parse_yuan("100000.01")
    with pytest.raises(ValueError, match=r"100,000\.00"):
        parse_yuan("9" * 40)


def test_price_with_three_decimals_is_refused_on_the_form(
    as_user: AsUser, owner: User, producer: Producer, db: Session
) -> None:
    before = row_count(db, "catalog_product")
    response = as_user(owner).post("/producer/products/new", data=form_data(producer, price="12.505"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    with as_user(owner).application.test_request_context():
        assert str(escape(gettext("Use at most two decimal places (whole fen), e.g. 12.50."))) in page
    assert 'value="12.505"' in page  # what was typed is shown again
    assert row_count(db, "catalog_product") == before


# --- create and edit --------------------------------------------------------------------------------


def test_member_creates_a_product_priced_in_fen(
    as_user: AsUser, owner: User, producer: Producer, db: Session
) -> None:
    response = as_user(owner).post("/producer/products/new", data=form_data(producer))
    assert response.status_code == 302
    product = db.scalar(select(Product).where(Product.producer_id == producer.id))
    assert product is not None
    assert (product.name, product.price_fen, product.institution_moq) == ("疏勒县鲜番茄", 1250, 20)
    assert (product.season_start, product.season_end, product.net_weight_g) == (6, 10, None)
    assert response.headers["Location"].endswith(f"/producer/products/{product.id}")
    page = as_user(owner).get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="12.50"' in page


def test_packaged_unit_needs_a_net_weight(ctx: None, owner: User, producer: Producer, db: Session) -> None:
    with pytest.raises(products.NetWeightRequired):
        products.create_product(db, owner, producer, data(net_weight_g=None))
    with pytest.raises(products.NetWeightRequired):
        products.create_product(db, owner, producer, data(net_weight_g=0))
    made = products.create_product(db, owner, producer, data(net_weight_g=500))
    assert made.net_weight_g == 500


def test_packaged_unit_without_net_weight_is_refused_on_the_form(
    app: Flask, as_user: AsUser, owner: User, producer: Producer, db: Session
) -> None:
    before = row_count(db, "catalog_product")
    response = as_user(owner).post("/producer/products/new", data=form_data(producer, unit="box"))
    assert response.status_code == 400
    with app.test_request_context():
        expected = str(escape(str(products.NetWeightRequired.message)))
    assert expected in response.get_data(as_text=True)
    assert row_count(db, "catalog_product") == before


def test_loose_units_drop_a_stray_net_weight(ctx: None, owner: User, producer: Producer, db: Session) -> None:
    product = products.create_product(db, owner, producer, data(unit=Unit.JIN, net_weight_g=250))
    assert product.unit == Unit.JIN and product.net_weight_g is None


@pytest.mark.parametrize("price_fen", [0, -100, products.MAX_PRICE_FEN + 1])
def test_service_refuses_prices_out_of_range(
    ctx: None, owner: User, producer: Producer, db: Session, price_fen: int
) -> None:
    with pytest.raises(products.PriceOutOfRange):
        products.create_product(db, owner, producer, data(price_fen=price_fen))


def test_season_may_wrap_around_the_new_year_but_months_stay_1_to_12(
    ctx: None, owner: User, producer: Producer, db: Session
) -> None:
    product = products.create_product(db, owner, producer, data(season_start=10, season_end=3))
    assert product.in_season(12) and product.in_season(2) and not product.in_season(6)
    with pytest.raises(products.InvalidSeason):
        products.update_product(db, owner, product, data(season_start=0, season_end=3))
    with pytest.raises(products.InvalidSeason):
        products.update_product(db, owner, product, data(season_start=1, season_end=13))


def test_gtin_check_digit_error_is_shown_in_the_validators_words(
    as_user: AsUser, owner: User, producer: Producer, db: Session
) -> None:
    before = row_count(db, "catalog_product")
    response = as_user(owner).post("/producer/products/new", data=form_data(producer, gtin=WRONG_GTIN))
    assert response.status_code == 400
    with as_user(owner).application.test_request_context():
        with pytest.raises(ValueError) as exc:
            validate_gtin14(WRONG_GTIN)
        expected = str(escape(str(exc.value)))
    assert expected in response.get_data(as_text=True)
    assert row_count(db, "catalog_product") == before


def test_gtin_is_stored_as_14_digits_and_may_not_be_shared(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    first = products.create_product(db, owner, producer, data(gtin=f" {GTIN} "))
    assert first.gtin == GTIN.rjust(14, "0")
    with pytest.raises(products.GtinTaken) as exc:
        products.create_product(db, owner, producer, data(name="另一个", gtin=GTIN))
    assert exc.value.status == 409
    products.update_product(db, owner, first, data(gtin=GTIN))  # its own GTIN is no clash
    before = row_count(db, "catalog_product")
    response = as_user(owner).post("/producer/products/new", data=form_data(producer, gtin=GTIN))
    assert response.status_code == 409
    assert GTIN.rjust(14, "0") in response.get_data(as_text=True)
    assert row_count(db, "catalog_product") == before


def test_producer_awaiting_approval_may_still_prepare_products(
    ctx: None, make_user: MakeUser, make_producer: MakeProducer, db: Session
) -> None:
    user = make_user()
    pending = make_producer(owner=user, status=ProducerStatus.PENDING)
    product = products.create_product(db, user, pending, data())
    assert product.id is not None and product.producer is pending


def test_non_member_may_not_touch_a_product(
    as_user: AsUser,
    make_user: MakeUser,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    producer: Producer,
    db: Session,
) -> None:
    product = make_product(producer, price_fen=2500)
    stranger = make_user()
    other_owner = make_user()
    make_producer(owner=other_owner)
    with pytest.raises(PermissionDenied):
        products.update_product(db, other_owner, product, data())
    with pytest.raises(PermissionDenied):
        products.quick_update(db, stranger, product, QuickEdit(price_fen=1))
    with pytest.raises(PermissionDenied):
        products.create_product(db, other_owner, producer, data())
    quick = {"price": "1.00", "institution_moq": "1", "season_start": "1", "season_end": "12"}
    assert as_user(other_owner).post(f"/producer/products/{product.id}/quick", data=quick).status_code == 403
    assert as_user(other_owner).get(f"/producer/products/{product.id}").status_code == 403
    assert as_user(stranger).get("/producer/products/").status_code == 403
    db.expire_all()
    assert product.price_fen == 2500


def test_product_list_shows_only_the_members_products(
    as_user: AsUser, owner: User, producer: Producer, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    mine = make_product(producer, name="我的骏枣")
    make_product(make_producer(), name="别人的核桃")
    page = as_user(owner).get("/producer/products/").get_data(as_text=True)
    assert "我的骏枣" in page and "别人的核桃" not in page
    assert f'id="product-{mine.id}"' in page


# --- quick edit -------------------------------------------------------------------------------------


def test_quick_edit_changes_price_supply_season_and_availability(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer, price_fen=2500)
    response = as_user(owner).post(
        f"/producer/products/{product.id}/quick",
        data={
            "price": "19.90",
            "institution_moq": "50",
            "monthly_capacity": "3000",
            "season_start": "10",
            "season_end": "3",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#product-{product.id}")
    db.expire_all()
    assert (product.price_fen, product.institution_moq, product.monthly_capacity) == (1990, 50, 3000)
    assert (product.season_start, product.season_end, product.is_active) == (10, 3, False)


def test_quick_edit_with_a_bad_price_changes_nothing(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer, price_fen=2500)
    response = as_user(owner).post(
        f"/producer/products/{product.id}/quick",
        data={
            "price": "-3",
            "institution_moq": "0",
            "season_start": "1",
            "season_end": "12",
            "is_active": "y",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="price-{product.id}"' in page and 'aria-invalid="true"' in page
    db.expire_all()
    assert (product.price_fen, product.institution_moq, product.is_active) == (2500, 1, True)


# --- quantity tiers ---------------------------------------------------------------------------------


def test_tiers_are_stored_in_order_and_lower_the_unit_price(
    ctx: None, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer, price_fen=3000)
    products.set_tiers(db, owner, product, [(100, 2400), (10, 2800)])
    assert [(t.min_quantity, t.unit_price_fen) for t in product.tiers] == [(10, 2800), (100, 2400)]
    assert [product.unit_price_for(q) for q in (1, 10, 99, 100)] == [3000, 2800, 2800, 2400]
    products.set_tiers(db, owner, product, [])
    assert product.tiers == []


@pytest.mark.parametrize(
    "tiers",
    [
        [(1, 2000)],  # a tier starts at 2 units at least
        [(10, 3000)],  # not cheaper than retail
        [(10, 2800), (10, 2600)],  # same quantity twice
        [(10, 2800), (20, 2800)],  # not cheaper than the tier before
        [(10, 2600), (20, 2800)],  # more expensive for more units
        [(10, 0)],
        [(2, 2900), (3, 2800), (4, 2700), (5, 2600), (6, 2500)],  # too many
    ],
)
def test_invalid_tiers_are_refused_and_the_old_ones_kept(
    ctx: None,
    owner: User,
    producer: Producer,
    make_product: MakeProduct,
    db: Session,
    tiers: list[tuple[int, int]],
) -> None:
    product = make_product(producer, price_fen=3000)
    products.set_tiers(db, owner, product, [(50, 2500)])
    with pytest.raises(products.InvalidTiers):
        products.set_tiers(db, owner, product, tiers)
    db.expire_all()
    assert [(t.min_quantity, t.unit_price_fen) for t in product.tiers] == [(50, 2500)]


def test_tier_error_names_the_offending_row(ctx: None) -> None:
    with pytest.raises(products.InvalidTiers) as exc:
        products.check_tiers(3000, [(10, 2800), (20, 2900)])
    assert "20" in str(exc.value) and "¥29.00" in str(exc.value) and "¥28.00" in str(exc.value)


def test_tiers_form_ignores_blank_rows_and_flags_half_filled_ones(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer, price_fen=3000)
    url = f"/producer/products/{product.id}/tiers"
    rows = {
        "tier1-min_quantity": "20",
        "tier1-price": "27.00",
        "tier3-min_quantity": "100",
        "tier3-price": "25.5",
    }
    assert as_user(owner).post(url, data=rows).status_code == 302
    db.expire_all()
    assert [(t.min_quantity, t.unit_price_fen) for t in product.tiers] == [(20, 2700), (100, 2550)]
    half = as_user(owner).post(url, data={"tier1-min_quantity": "20", "tier2-price": "26.00"})
    assert half.status_code == 400
    wrong = as_user(owner).post(url, data={"tier1-min_quantity": "20", "tier1-price": "31.00"})
    assert wrong.status_code == 400
    db.expire_all()
    assert [(t.min_quantity, t.unit_price_fen) for t in product.tiers] == [(20, 2700), (100, 2550)]


def test_retail_price_may_not_drop_to_a_tier_price(
    ctx: None, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer, price_fen=3000)
    products.set_tiers(db, owner, product, [(10, 2500)])
    with pytest.raises(products.InvalidTiers):
        products.quick_update(db, owner, product, QuickEdit(price_fen=2500))
    assert product.price_fen == 3000


# --- quality marks ----------------------------------------------------------------------------------


def test_quality_marks_are_set_changed_and_removed(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session
) -> None:
    product = make_product(producer)
    url = f"/producer/products/{product.id}/quality-marks"
    assert (
        as_user(owner).post(url, data={"green_food": "LB-18-2001", "organic": " 0800OP2100123 "}).status_code
        == 302
    )
    db.expire_all()
    assert {m.kind: m.certificate_no for m in product.quality_marks} == {
        QualityMarkKind.GREEN_FOOD: "LB-18-2001",
        QualityMarkKind.ORGANIC: "0800OP2100123",
    }
    assert (
        as_user(owner)
        .post(url, data={"green_food": "", "organic": "0800OP2100999", "geographical_indication": ""})
        .status_code
        == 302
    )
    db.expire_all()
    assert {m.kind: m.certificate_no for m in product.quality_marks} == {
        QualityMarkKind.ORGANIC: "0800OP2100999"
    }


# --- images -----------------------------------------------------------------------------------------


@pytest.fixture()
def upload_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh upload directory for this test."""
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(path))
    return path


def test_upload_stores_variants_and_remove_deletes_them(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session, upload_dir: Path
) -> None:
    product = make_product(producer)
    url = f"/producer/products/{product.id}/images"
    upload = {"image": (io.BytesIO(jpeg_bytes()), "番茄.jpg")}
    assert as_user(owner).post(url, data=upload, content_type="multipart/form-data").status_code == 302
    db.expire_all()
    [image] = product.images
    assert (image.width, image.height) == (640, 480)
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(
        f"{image.key}_{v}.webp" for v in ("original", "full", "card", "thumb")
    )
    page = as_user(owner).get(url).get_data(as_text=True)
    assert f"/media/{image.key}/card.webp" in page
    assert as_user(owner).post(f"{url}/{image.id}/remove").status_code == 302
    db.expire_all()
    assert product.images == [] and list(upload_dir.iterdir()) == []


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session, upload_dir: Path
) -> None:
    product = make_product(producer)
    upload = {"image": (io.BytesIO(b"<?php echo 'hi'; ?>" * 10), "photo.jpg")}
    response = as_user(owner).post(
        f"/producer/products/{product.id}/images", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    with as_user(owner).application.test_request_context():
        expected = gettext(
            "This file is not a recognised image. Accepted formats: %(allowed)s.", allowed="JPEG, PNG, WebP"
        )
    assert str(escape(expected)) in response.get_data(as_text=True)
    assert row_count(db, "catalog_product_image") == 0
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_wrong_extension_is_refused_by_the_form(
    as_user: AsUser, owner: User, producer: Producer, make_product: MakeProduct, db: Session, upload_dir: Path
) -> None:
    product = make_product(producer)
    upload = {"image": (io.BytesIO(jpeg_bytes()), "photo.gif")}
    response = as_user(owner).post(
        f"/producer/products/{product.id}/images", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert row_count(db, "catalog_product_image") == 0
    assert not upload_dir.exists()


def test_at_most_six_images_per_product(
    ctx: None, owner: User, producer: Producer, make_product: MakeProduct, db: Session, upload_dir: Path
) -> None:
    product = make_product(producer)
    for _ in range(photos.MAX_IMAGES):
        photos.add_product_image(db, owner, product, io.BytesIO(jpeg_bytes()), upload_dir)
    assert [image.position for image in product.images] == list(range(photos.MAX_IMAGES))
    files = sorted(upload_dir.iterdir())
    with pytest.raises(TooManyImages) as exc:
        photos.add_product_image(db, owner, product, io.BytesIO(jpeg_bytes()), upload_dir)
    assert exc.value.status == 409
    assert sorted(upload_dir.iterdir()) == files
