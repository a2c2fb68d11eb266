"""The photo-first new-batch page (issue 16): the photo stored through the image pipeline, the product picked
by its picture, − / + that work without JavaScript, best-before from the product's usual shelf life, the
contact and origin prefilled, the meat section open only for meat; bad input still refused, nothing written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import Region, User
from tests.traceability.test_batch_views import batch_form, counts, english, png_bytes, shows
from traceability.models import Batch

NEW = "/producer/batches/new"


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user(name="合作社社长")


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, name="疏勒县绿源蔬菜种植农民专业合作社")


@pytest.fixture()
def veg(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒辣椒", category=Category.VEGETABLES, certified=True)


@pytest.fixture()
def town(region: Callable[[str], Region]) -> Region:
    return sorted(region("653122").children, key=lambda r: r.code or "")[0]


@pytest.fixture()
def client(as_user: Callable[[User | None], FlaskClient], owner: User) -> FlaskClient:
    return english(as_user(owner))


def test_the_page_leads_with_the_camera_and_the_products_as_pictures(
    client: FlaskClient, veg: Product, producer: Producer
) -> None:
    html = client.get(NEW).get_data(as_text=True)
    photo = html.index('type="file"')
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert (
        photo
        < html.index(f'name="product_id" id="product_id-0" value="{veg.id}"')
        < html.index('id="quantity"')
    )
    assert re.search(r'<label class="pick-card"[^>]*>\s*<input type="radio"', html)
    assert 'name="adjust" value="+1"' in html and 'name="adjust" value="-1"' in html
    assert f'value="{shanghai_date().isoformat()}"' in html  # produced and issued today
    assert "<details" in html and 'id="meat-section">' in html  # folded: vegetables are not meat


def test_plus_and_minus_work_without_javascript_and_write_nothing(
    client: FlaskClient, veg: Product, town: Region, db: Session
) -> None:
    before = counts(db)
    stepped = client.post(NEW, data=batch_form(veg, town, quantity="7", adjust="+1"))
    assert stepped.status_code == 200 and 'value="8"' in stepped.get_data(as_text=True)
    assert "Please correct" not in stepped.get_data(as_text=True)
    down = client.post(NEW, data=batch_form(veg, town, quantity="", adjust="-1"))
    assert down.status_code == 200 and re.search(r'id="quantity"[^>]*value="1"', down.get_data(as_text=True))
    assert counts(db) == before


def test_a_blank_best_before_takes_the_products_usual_shelf_life(
    client: FlaskClient, veg: Product, town: Region, make_batch: Callable[..., Batch], db: Session
) -> None:
    before = counts(db)
    refused = client.post(NEW, data=batch_form(veg, town, best_before=""))
    assert refused.status_code == 400 and shows(refused, "Enter the best-before date.")
    assert counts(db) == before
    today = shanghai_date()
    make_batch(veg, produced_on=today - timedelta(days=30), best_before=today - timedelta(days=18))
    page = client.get(NEW).get_data(as_text=True)
    assert 'data-shelf-days="12"' in page
    asked = client.get(f"{NEW}?product={veg.id}").get_data(as_text=True)
    assert f'value="{(today + timedelta(days=12)).isoformat()}"' in asked
    produced = today - timedelta(days=1)
    response = client.post(NEW, data=batch_form(veg, town, best_before="", produced_on=produced.isoformat()))
    assert response.status_code == 302
    batch = db.scalars(select(Batch).where(Batch.product_id == veg.id).order_by(Batch.id.desc())).first()
    assert batch is not None and batch.best_before == produced + timedelta(days=12)


def test_the_contact_and_origin_come_prefilled(
    client: FlaskClient, veg: Product, producer: Producer, town: Region, db: Session
) -> None:
    assert f'<option selected value="{town.id}"' not in client.get(NEW).get_data(as_text=True)
    producer.contact_phone = "13912345678"
    producer.township = town
    db.flush()
    html = client.get(NEW).get_data(as_text=True)
    assert 'value="13912345678"' in html
    assert re.search(rf'<option selected value="{town.id}"', html)


def test_the_photo_is_stored_and_shown_on_the_batch_and_trace_pages(
    app: Flask, client: FlaskClient, veg: Product, town: Region, db: Session
) -> None:
    data = batch_form(veg, town, photo=(io.BytesIO(png_bytes()), "批次.png"))
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    batch = db.scalar(select(Batch).where(Batch.product_id == veg.id))
    assert batch is not None and batch.photo_key
    assert (Path(app.config["UPLOAD_DIR"]) / f"{batch.photo_key}_card.webp").is_file()
    assert batch.photo_key in client.get(f"/producer/batches/{batch.id}").get_data(as_text=True)
    assert batch.photo_key in client.get(f"/t/{batch.lot_code}").get_data(as_text=True)


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(
    app: Flask, client: FlaskClient, veg: Product, town: Region, db: Session
) -> None:
    before = counts(db)
    files_before = set(Path(app.config["UPLOAD_DIR"]).glob("*"))
    data = batch_form(veg, town, photo=(io.BytesIO(b"%PDF-1.4 fake"), "photo.png"))
    refused = client.post(NEW, data=data, content_type="multipart/form-data")
    assert refused.status_code == 400 and shows(refused, "not accepted")
    assert counts(db) == before and set(Path(app.config["UPLOAD_DIR"]).glob("*")) == files_before


def test_a_batch_the_service_refuses_keeps_its_photo_for_the_corrected_form(
    client: FlaskClient,
    veg: Product,
    town: Region,
    region: Callable[[str], Region],
    db: Session,
) -> None:
    before = counts(db)
    outside = region("500229").children[0]  # the service refuses an origin outside the county
    data = batch_form(veg, outside, photo=(io.BytesIO(png_bytes()), "批次.png"))
    refused = client.post(NEW, data=data, content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Photo kept." in html and counts(db) == before
    kept = re.search(r'name="photo_kept" type="hidden" value="([^"]+)"', html)
    assert kept is not None
    assert client.post(NEW, data=batch_form(veg, town, photo_kept=kept.group(1))).status_code == 302
    batch = db.scalars(select(Batch).where(Batch.product_id == veg.id).order_by(Batch.id.desc())).first()
    assert batch is not None and batch.photo_key


def test_a_photo_sent_with_a_stepper_tap_is_kept_for_the_batch(
    app: Flask, client: FlaskClient, veg: Product, town: Region, db: Session
) -> None:
    """Without JavaScript a − / + tap sends the whole form: the photo taken is stored then and named in a
    signed field, so the batch recorded next uses it without the producer taking it again."""
    before = counts(db)
    data = batch_form(veg, town, quantity="7", adjust="+1", photo=(io.BytesIO(png_bytes()), "批次.png"))
    stepped = client.post(NEW, data=data)
    html = stepped.get_data(as_text=True)
    assert stepped.status_code == 200 and "Photo kept." in html and counts(db) == before
    kept = re.search(r'name="photo_kept" type="hidden" value="([^"]+)"', html)
    assert kept is not None
    recorded = client.post(NEW, data=batch_form(veg, town, quantity="8", photo_kept=kept.group(1)))
    assert recorded.status_code == 302
    batch = db.scalars(select(Batch).where(Batch.product_id == veg.id).order_by(Batch.id.desc())).first()
    assert batch is not None and batch.quantity == 8 and batch.photo_key
    assert (Path(app.config["UPLOAD_DIR"]) / f"{batch.photo_key}_card.webp").is_file()


def test_a_refused_form_keeps_its_photo_and_a_forged_name_keeps_none(
    client: FlaskClient, veg: Product, town: Region, db: Session
) -> None:
    sent = batch_form(veg, town, best_before="", photo=(io.BytesIO(png_bytes()), "批次.png"))
    refused = client.post(NEW, data={**sent, "produced_on": ""})
    assert refused.status_code == 400 and "Photo kept." in refused.get_data(as_text=True)
    forged = client.post(NEW, data=batch_form(veg, town, photo_kept="some-key.forged"))
    assert forged.status_code == 302
    batch = db.scalars(select(Batch).where(Batch.product_id == veg.id).order_by(Batch.id.desc())).first()
    assert batch is not None and batch.photo_key is None
