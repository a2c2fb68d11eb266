"""Photos attached to complaints, checked and stored by the catalogue's safe image pipeline.

Magic bytes, a decompression-bomb check, decoded and re-encoded as WebP without metadata (a phone photo's
GPS position never reaches the county office or anyone else), under random keys in
``<UPLOAD_DIR>/complaints``.
They are never public: the county's reviewers, administrators and the reporter (by the follow link) see them.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from catalog.images import ImageError, ImageRules, delete_image, store_upload, variant_path
from oversight.complaints.errors import PhotoRefused

FOLDER = "complaints"
MAX_PHOTOS = 3
#: Photos from a phone: JPEG, PNG or WebP up to 10 MB each.
RULES = ImageRules(max_bytes=10 * 1024 * 1024, allowed_formats=frozenset({"JPEG", "PNG", "WEBP"}))


def folder(upload_dir: Path | str) -> Path:
    """Where complaint photos live."""
    return Path(upload_dir) / FOLDER


def store_photo(stream: IO[bytes], upload_dir: Path | str) -> str:
    """Check and store one photo; its key. Raises :class:`PhotoRefused` (nothing written)."""
    try:
        return store_upload(stream, folder(upload_dir), rules=RULES).key
    except ImageError as exc:
        raise PhotoRefused(detail=str(exc)) from exc


def photo_path(upload_dir: Path | str, key: str, variant: str = "full") -> Path:
    """The file of one stored photo (``ImageError`` for a malformed key: no path escapes)."""
    return variant_path(folder(upload_dir), key, variant)


def delete_photos(upload_dir: Path | str, keys: list[str]) -> None:
    """Remove stored photos again (the unit of work that was to keep them failed)."""
    for key in keys:
        delete_image(folder(upload_dir), key)
