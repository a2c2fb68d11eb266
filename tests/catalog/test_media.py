"""Stored images are served publicly as WebP and cached for a year; nothing outside the store is reachable."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products import photos
from catalog.products.models import Product
from core.models import User

AsUser = Callable[[User | None], FlaskClient]


@pytest.fixture()
def upload_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh upload directory, with a secret file next to it that must stay unreachable."""
    (tmp_path / "secret.txt").write_text("not for the web")
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(path))
    return path


def png_bytes(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A PNG of ``size``."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_uploaded_photo_is_served_in_every_variant(
    app: Flask,
    as_user: AsUser,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    db: Session,
    upload_dir: Path,
) -> None:
    owner = make_user()
    product = make_product(make_producer(owner=owner))
    upload = {"image": (io.BytesIO(png_bytes()), "walnut.png")}
    response = as_user(owner).post(
        f"/producer/products/{product.id}/images", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.expire_all()
    [image] = product.images
    with app.test_request_context():
        assert url_for("media.image", key=image.key, variant="thumb") == f"/media/{image.key}/thumb.webp"

    anonymous = as_user(None)
    sides = {}
    for variant in ("thumb", "card", "full", "original"):
        served = anonymous.get(f"/media/{image.key}/{variant}.webp")
        assert served.status_code == 200
        assert served.mimetype == "image/webp"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        cache = served.cache_control
        assert cache.public and cache.max_age == 365 * 24 * 60 * 60 and cache.immutable
        with Image.open(io.BytesIO(served.data)) as picture:
            assert picture.format == "WEBP"
            sides[variant] = max(picture.size)
        served.close()
    assert sides == {"thumb": 160, "card": 480, "full": 1200, "original": 1200}


def test_conditional_request_gets_not_modified(
    as_user: AsUser,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    db: Session,
    upload_dir: Path,
) -> None:
    owner = make_user()
    product = make_product(make_producer(owner=owner))
    image = photos.add_product_image(db, owner, product, io.BytesIO(png_bytes((300, 300))), upload_dir)
    client = as_user(None)
    first = client.get(f"/media/{image.key}/card.webp")
    etag = first.headers["ETag"]
    first.close()
    again = client.get(f"/media/{image.key}/card.webp", headers={"If-None-Match": etag})
    assert again.status_code == 304
    again.close()


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/..%2Fsecret.txt/thumb.webp",
        "/media/%2e%2e%2fsecret/thumb.webp",
        "/media/..%2F..%2Fetc%2Fpasswd/thumb.webp",
        "/media/" + "A" * 32 + "/thumb.webp",  # keys are lower-case hex
        "/media/" + "0" * 31 + "/thumb.webp",
        "/media/" + "0" * 32 + "/../../secret.txt",
        "/media/" + "0" * 32 + "/huge.webp",  # no such variant
        "/media/" + "0" * 32 + "/thumb.png",
        "/media/" + "0" * 32 + "/thumb.webp",  # well-formed but never stored
    ],
)
def test_bad_keys_variants_and_traversal_are_404(as_user: AsUser, upload_dir: Path, path: str) -> None:
    upload_dir.mkdir()
    (upload_dir / ("0" * 31 + "_thumb.webp")).write_bytes(b"RIFF")
    response = as_user(None).get(path)
    assert response.status_code == 404
    assert b"not for the web" not in response.data
