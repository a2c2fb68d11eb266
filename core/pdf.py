"""The Chinese font of the PDFs the app draws (purchase orders, packing lists, statements and reports).

``STSong-Light`` is one of the Adobe CJK fonts every PDF reader carries, so no font file is embedded and the
documents stay small. It is registered with reportlab once per process, on first use (not at import).
"""

from __future__ import annotations

import functools

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

CJK_FONT = "STSong-Light"


@functools.cache
def register_cjk_font() -> str:
    """Register :data:`CJK_FONT` with reportlab (once) and return its name."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT
