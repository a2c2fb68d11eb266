"""Reading the QR code on a photo of a label, for phones whose browser cannot (no BarcodeDetector).

The photo goes through the catalogue's image checks (size, magic bytes, format, declared pixels, structure)
before a pixel is decoded, then zxing-cpp looks for QR codes only. The decoded text is handed back to be used
exactly like a typed code; the photo itself is never stored.
"""

from __future__ import annotations

from typing import IO

import zxingcpp
from PIL import Image

from catalog.images import ImageError, ImageRules, open_upload
from channels.counters.errors import LabelPhotoRefused, NoCodeInPhoto

#: A phone's photo of a label: JPEG, PNG or WebP up to 10 MB and 40 million pixels.
RULES = ImageRules(
    max_bytes=10 * 1024 * 1024, max_pixels=40_000_000, allowed_formats=frozenset({"JPEG", "PNG", "WEBP"})
)
#: A photo is scaled down to this longest side before decoding (a label's QR code needs far less).
DECODE_SIDE = 2000
#: Labels carry QR codes; nothing else is looked for.
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_label_photo(stream: IO[bytes]) -> str:
    """The text of the first QR code found in the photo ``stream``.

    Raises :class:`LabelPhotoRefused` (not an acceptable image) or :class:`NoCodeInPhoto`.
    """
    try:
        image = open_upload(stream, rules=RULES)
    except ImageError as exc:
        raise LabelPhotoRefused(detail=str(exc)) from exc
    grey = image.convert("L")
    if max(grey.size) > DECODE_SIDE:
        grey.thumbnail((DECODE_SIDE, DECODE_SIDE), Image.Resampling.LANCZOS)
    for found in zxingcpp.read_barcodes(grey, formats=QR_ONLY):
        text = found.text.strip()
        if found.valid and text:
            return text
    raise NoCodeInPhoto()
