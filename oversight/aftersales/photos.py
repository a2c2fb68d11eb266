"""Photos attached to after-sales requests, checked and stored by the catalogue's safe image pipeline, as
complaint photos are (magic bytes, decompression-bomb check, re-encoded WebP without metadata), under random
keys in ``<UPLOAD_DIR>/aftersales``. Never public: the buyer, the producer's members and the county's
reviewers see them.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from catalog.images import ImageError, delete_image, store_upload
from oversight.aftersales.errors import PhotoRefused
from oversight.complaints.photos import MAX_PHOTOS, RULES

__all__ = ["MAX_PHOTOS", "delete_photos", "folder", "store_photo"]

FOLDER = "aftersales"


def folder(upload_dir: Path | str) -> Path:
    """Where after-sales photos live."""
    return Path(upload_dir) / FOLDER


def store_photo(stream: IO[bytes], upload_dir: Path | str) -> str:
    """Check and store one photo; its key. Raises :class:`PhotoRefused` (nothing written)."""
    try:
        return store_upload(stream, folder(upload_dir), rules=RULES).key
    except ImageError as exc:
        raise PhotoRefused(detail=str(exc)) from exc


def delete_photos(upload_dir: Path | str, keys: list[str]) -> None:
    """Remove stored photos again (the unit of work that was to keep them failed)."""
    for key in keys:
        delete_image(folder(upload_dir), key)
