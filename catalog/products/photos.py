"""A product's photos: added through the safe image pipeline (at most :data:`MAX_IMAGES`), removed with their
files; each change is audited and, on a certified product, told to the county's reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from catalog.images import ImageError, delete_image, store_upload
from catalog.products import certified
from catalog.products.errors import ImageRefused, TooManyImages
from catalog.products.models import Product, ProductImage
from catalog.products.services import ensure_member
from core.clock import shanghai_date
from core.models import User

MAX_IMAGES = 6


def add_product_image(
    session: Session, user: User, product: Product, stream: IO[bytes], upload_dir: Path | str
) -> ProductImage:
    """Store an uploaded image through the safe pipeline and attach it to ``product`` last in order.

    Raises PermissionDenied, TooManyImages (409) before reading the file, or ImageRefused with the
    pipeline's message (nothing is stored then). Does not commit.
    """
    ensure_member(user, product.producer)
    if len(product.images) >= MAX_IMAGES:
        raise TooManyImages(limit=MAX_IMAGES)
    try:
        stored = store_upload(stream, Path(upload_dir))
    except ImageError as exc:
        raise ImageRefused(exc.message) from exc
    position = max((image.position for image in product.images), default=-1) + 1
    image = ProductImage(key=stored.key, position=position, width=stored.width, height=stored.height)
    before = {"images": _image_keys(product)}
    try:
        product.images.append(image)
        session.flush()
        after = {"images": _image_keys(product)}
        certified.record_change(
            session, user, product, "product.image_add", before, after, shanghai_date(), tell_reviewers=True
        )
    except BaseException:
        delete_image(Path(upload_dir), stored.key)
        raise
    return image


def _image_keys(product: Product) -> str:
    """The keys of the product's photos in order, for the audit log."""
    return ", ".join(image.key for image in product.images)


def remove_product_image(session: Session, user: User, image: ProductImage, upload_dir: Path | str) -> None:
    """Detach ``image`` from its product and delete its files. Does not commit.

    The files go once the row is flushed; should the commit then fail, the row stays and its picture is
    missing (the media route answers 404), which the producer fixes by removing it again.
    Raises PermissionDenied for non-members.
    """
    product = image.product
    ensure_member(user, product.producer)
    key = image.key
    before = {"images": _image_keys(product)}
    product.images.remove(image)
    session.flush()
    after = {"images": _image_keys(product)}
    certified.record_change(
        session, user, product, "product.image_remove", before, after, shanghai_date(), tell_reviewers=True
    )
    delete_image(Path(upload_dir), key)


def image_of(product: Product, image_id: int) -> ProductImage | None:
    """The image ``image_id`` if it belongs to ``product``."""
    return next((image for image in product.images if image.id == image_id), None)
