"""Invoice files uploaded at receipt: validated by content (never by the client's file name), stored under
the upload folder with a random key.

A PDF must start with ``%PDF-``, end with ``%%EOF`` (after ``startxref``) and stay within 10 MB; it is kept
byte for byte. An image goes through the catalogue's safe image pipeline (magic bytes, decompression-bomb
check, decoded and re-encoded without metadata), so what is stored is always a clean WebP. Anything else is
refused with a clear message and nothing is written.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l

from catalog.images import ImageError, ImageRules, delete_image, store_upload, variant_path
from core.errors import DomainError

MIB = 1024 * 1024
#: Largest invoice accepted, PDF or image.
MAX_INVOICE_BYTES = 10 * MIB
PDF_MIMETYPE = "application/pdf"
IMAGE_MIMETYPE = "image/webp"
#: Image formats accepted (the pipeline re-encodes them).
IMAGE_RULES = ImageRules(max_bytes=MAX_INVOICE_BYTES, allowed_formats=frozenset({"JPEG", "PNG", "WEBP"}))
#: Folder under the upload directory that holds invoices.
FOLDER = "invoices"
_KEY_RE = re.compile(r"[0-9a-f]{32}\Z")
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class InvoiceError(DomainError):
    """An uploaded invoice is refused (nothing is stored)."""

    message = _l("Upload the invoice as a PDF file or a JPEG, PNG or WebP photo, at most 10 MB.")


class InvoiceMissing(InvoiceError):
    """No file, or an empty one, was sent."""

    message = _l("Choose the invoice file to upload (PDF or photo).")


class InvoiceTooLarge(InvoiceError):
    """Invoices are at most :data:`MAX_INVOICE_BYTES`."""

    message = _l("The invoice file is larger than 10 MB. Please upload a smaller file.")


class InvoiceNotAccepted(InvoiceError):
    """Neither a PDF nor an accepted image, whatever the file is called."""


class InvoicePdfDamaged(InvoiceError):
    """It starts like a PDF but lacks the cross-reference or end marker: truncated or not really a PDF."""

    message = _l("The PDF file is damaged or incomplete and cannot be accepted.")


class InvoiceImageRefused(InvoiceError):
    """The image pipeline refused the photo; ``detail`` is its reason."""

    message = _l("The invoice photo cannot be accepted: %(detail)s")


@dataclass(frozen=True)
class StoredInvoice:
    """A stored invoice: its random key, the type it is served as and the name it is downloaded under."""

    key: str
    mimetype: str

    @property
    def extension(self) -> str:
        """The file extension it is downloaded with."""
        return "pdf" if self.mimetype == PDF_MIMETYPE else "webp"


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < limit and (chunk := stream.read(min(MIB, limit - len(buffer)))):
        buffer += chunk
    return bytes(buffer)


def check_pdf(data: bytes) -> None:
    """Check a PDF's structure minimally: header, ``startxref`` and ``%%EOF`` in the last kilobyte.

    Raises :class:`InvoiceNotAccepted` (no PDF header) or :class:`InvoicePdfDamaged`.
    """
    if not _PDF_HEADER.match(data[:8]):
        raise InvoiceNotAccepted()
    tail = data[-1024:]
    end = tail.rfind(b"%%EOF")
    if end < 0 or tail[end + 5 :].strip() or b"startxref" not in tail[:end]:
        raise InvoicePdfDamaged()
    if b" obj" not in data and b"\nobj" not in data:
        raise InvoicePdfDamaged()


def _folder(upload_dir: Path) -> Path:
    return Path(upload_dir) / FOLDER


def invoice_path(upload_dir: Path, invoice: StoredInvoice) -> Path:
    """Where a stored invoice lives; raises :class:`InvoiceError` for a malformed key (no path escapes)."""
    if not isinstance(invoice.key, str) or not _KEY_RE.match(invoice.key):
        raise InvoiceError()
    if invoice.mimetype == PDF_MIMETYPE:
        return _folder(upload_dir) / f"{invoice.key}.pdf"
    return variant_path(_folder(upload_dir), invoice.key, "original")


def _write_pdf(folder: Path, data: bytes) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o640)
        os.replace(tmp_name, folder / f"{key}.pdf")
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return key


def store_invoice(stream: IO[bytes] | None, upload_dir: Path) -> StoredInvoice:
    """Validate an uploaded invoice by its content and store it under a random key.

    Raises :class:`InvoiceMissing`, :class:`InvoiceTooLarge`, :class:`InvoiceNotAccepted`,
    :class:`InvoicePdfDamaged`, :class:`InvoiceImageRefused`; nothing is written then.
    """
    data = _read_limited(stream, MAX_INVOICE_BYTES + 1) if stream is not None else b""
    if not data:
        raise InvoiceMissing()
    if len(data) > MAX_INVOICE_BYTES:
        raise InvoiceTooLarge()
    if data.startswith(b"%PDF-"):
        check_pdf(data)
        return StoredInvoice(_write_pdf(_folder(upload_dir), data), PDF_MIMETYPE)
    if not (data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")):
        raise InvoiceNotAccepted()
    try:
        stored = store_upload(io.BytesIO(data), _folder(upload_dir), rules=IMAGE_RULES)
    except ImageError as exc:
        raise InvoiceImageRefused(detail=str(exc)) from exc
    return StoredInvoice(stored.key, IMAGE_MIMETYPE)


def delete_invoice(upload_dir: Path, invoice: StoredInvoice) -> None:
    """Remove a stored invoice's files (after the unit of work that was to keep it failed)."""
    if invoice.mimetype == PDF_MIMETYPE:
        invoice_path(upload_dir, invoice).unlink(missing_ok=True)
    else:
        delete_image(_folder(upload_dir), invoice.key)
