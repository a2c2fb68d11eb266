"""Where a batch's QR code leads: GS1 Digital Link when the product has a GTIN, our short path otherwise."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from traceability.models import Batch


def trace_path(batch: Batch, serial: str | None = None) -> str:
    """``/01/<GTIN-14>/10/<lot>[/21/<serial>]`` or ``/t/<lot>[/<serial>]``."""
    gtin = batch.product.gtin
    if gtin:
        path = f"/01/{gtin}/10/{batch.lot_code}"
        return f"{path}/21/{serial}" if serial else path
    path = f"/t/{batch.lot_code}"
    return f"{path}/{serial}" if serial else path


def trace_url(base_url: str, batch: Batch, serial: str | None = None) -> str:
    """The absolute URL printed into the QR code."""
    return base_url.rstrip("/") + trace_path(batch, serial)


def qr_image(data: str, box_size: int = 8, border: int = 4) -> qrcode.image.pil.PilImage:
    """A QR code of ``data`` as a Pillow image (error correction M survives a smudged label)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white")


def qr_png(data: str, box_size: int = 8) -> bytes:
    """The QR code of ``data`` as PNG bytes."""
    buffer = io.BytesIO()
    qr_image(data, box_size).save(buffer, format="PNG")
    return buffer.getvalue()
