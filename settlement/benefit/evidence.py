"""Evidence files of benefit reports, checked and stored by the same rules as procurement's invoices.

A PDF is kept byte for byte after its structure is checked; a photo goes through the catalogue's safe image
pipeline and is kept as a clean WebP without metadata. Files live under ``<UPLOAD_DIR>/benefit`` with random
keys, are never public and are downloaded only by the producer's members and the county's reviewers.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from procurement.receiving.invoices import (
    InvoiceError,
    InvoiceImageRefused,
    InvoiceMissing,
    InvoicePdfDamaged,
    InvoiceTooLarge,
    StoredInvoice,
    delete_invoice,
    invoice_path,
    store_invoice,
)
from settlement.benefit.errors import EvidenceDamaged, EvidenceError, EvidenceMissing, EvidenceTooLarge

#: Folder under the upload directory that holds benefit evidence (apart from invoices).
FOLDER = "benefit"

StoredEvidence = StoredInvoice


def _root(upload_dir: Path) -> Path:
    return Path(upload_dir) / FOLDER


def store_evidence(stream: IO[bytes] | None, upload_dir: Path) -> StoredEvidence:
    """Check an uploaded evidence file by its content and store it under a random key.

    Raises :class:`EvidenceMissing`, :class:`EvidenceTooLarge`, :class:`EvidenceDamaged` or
    :class:`EvidenceError` (neither a PDF nor an accepted photo); nothing is written then.
    """
    try:
        return store_invoice(stream, _root(upload_dir))
    except InvoiceMissing as exc:
        raise EvidenceMissing() from exc
    except InvoiceTooLarge as exc:
        raise EvidenceTooLarge() from exc
    except (InvoicePdfDamaged, InvoiceImageRefused) as exc:
        raise EvidenceDamaged() from exc
    except InvoiceError as exc:
        raise EvidenceError() from exc


def evidence_path(upload_dir: Path, evidence: StoredEvidence) -> Path:
    """Where a stored evidence file lives; raises :class:`EvidenceError` for a malformed key."""
    try:
        return invoice_path(_root(upload_dir), evidence)
    except InvoiceError as exc:
        raise EvidenceError() from exc


def delete_evidence(upload_dir: Path, evidence: StoredEvidence) -> None:
    """Remove a stored evidence file (after the unit of work that was to keep it failed)."""
    delete_invoice(_root(upload_dir), evidence)
