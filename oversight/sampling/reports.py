"""Lab reports of quality samples: PDFs only, checked by content and stored by procurement's invoice rules.

The file must start with a PDF header and carry its cross-reference and end marker (``check_pdf``), at most
10 MB; it is kept byte for byte under a random key in ``<UPLOAD_DIR>/sampling``. Reports are never public:
the county's reviewers, administrators and the producer's members download them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

from oversight.sampling.errors import ReportRefused
from procurement.receiving.invoices import (
    MAX_INVOICE_BYTES,
    PDF_MIMETYPE,
    InvoiceError,
    StoredInvoice,
    delete_invoice,
    invoice_path,
    store_invoice,
)

FOLDER = "sampling"
MAX_REPORT_BYTES = MAX_INVOICE_BYTES


def _root(upload_dir: Path | str) -> Path:
    """Where sample reports live under the upload folder."""
    return Path(upload_dir) / FOLDER


def store_report(stream: IO[bytes], upload_dir: Path | str) -> str:
    """Check an uploaded lab report (a real PDF, at most 10 MB) and store it; its key.

    Raises :class:`ReportRefused` for anything else (a photo, a renamed file, a truncated PDF); nothing is
    written then.
    """
    data = stream.read(MAX_REPORT_BYTES + 1)
    if not data or len(data) > MAX_REPORT_BYTES or not data.startswith(b"%PDF-"):
        raise ReportRefused()
    try:
        stored = store_invoice(io.BytesIO(data), _root(upload_dir))
    except InvoiceError as exc:
        raise ReportRefused() from exc
    if stored.mimetype != PDF_MIMETYPE:  # pragma: no cover - a %PDF- header is never stored as an image
        delete_invoice(_root(upload_dir), stored)
        raise ReportRefused()
    return stored.key


def report_path(upload_dir: Path | str, key: str) -> Path:
    """The file of a stored report; raises :class:`ReportRefused` for a malformed key (no path escapes)."""
    try:
        return invoice_path(_root(upload_dir), StoredInvoice(key, PDF_MIMETYPE))
    except InvoiceError as exc:
        raise ReportRefused() from exc


def delete_report(upload_dir: Path | str, key: str) -> None:
    """Remove a stored report again (the unit of work that was to keep it failed)."""
    delete_invoice(_root(upload_dir), StoredInvoice(key, PDF_MIMETYPE))
