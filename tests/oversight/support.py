"""Helpers for the complaint tests: a complaint filed through the real service, and a small photo."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from oversight.complaints.models import Complaint, ComplaintKind
from oversight.complaints.photos import store_photo
from oversight.complaints.services import ComplaintInput, Deadlines, file_complaint


def photo_bytes(colour: str = "red", fmt: str = "PNG") -> bytes:
    """A small real image (decodable by the image pipeline)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def give_complaint(
    db: Session,
    product: Product,
    *,
    reporter: User | None = None,
    kind: ComplaintKind = ComplaintKind.QUALITY,
    upload_dir: str | Path | None = None,
    now: datetime | None = None,
    deadlines: Deadlines | None = None,
) -> tuple[Complaint, str]:
    """A complaint about ``product`` filed through the real service (anonymous with a phone number unless
    ``reporter``); with ``upload_dir`` it carries one stored photo. Returns it and its follow token."""
    keys = [store_photo(io.BytesIO(photo_bytes()), upload_dir)] if upload_dir is not None else []
    data = ComplaintInput(
        kind=kind,
        description="收到的牦牛肉有异味，包装破损，怀疑变质。",
        contact=None if reporter is not None else "13912345678",
        product_id=product.id,
        photo_keys=keys,
    )
    return file_complaint(db, reporter, data, deadlines or Deadlines(), now=now)
