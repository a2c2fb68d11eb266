"""Demo pictures drawn with Pillow: a card coloured by category, a simple motif and the name in Chinese.

Nothing is downloaded, so the demo carries no third-party pictures. Without the Noto CJK font the text is
drawn with Pillow's default font (or left out), so seeding never fails for lack of a font.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from catalog.products.models import Category
from shop.demo.motifs import MOTIFS, Colour

#: Noto Sans CJK (Debian package fonts-noto-cjk); index 2 of the collection is Simplified Chinese.
FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX = 2
PRODUCT_SIZE = (800, 600)
LOGO_SIZE = (400, 400)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

BACKGROUNDS: dict[Category, Colour] = {
    Category.VEGETABLES: (214, 236, 206),
    Category.FRUIT: (236, 244, 200),
    Category.MEAT: (246, 222, 216),
    Category.DRIED_FRUIT_NUTS: (244, 226, 200),
    Category.HONEY: (252, 238, 196),
    Category.TEA: (226, 236, 246),
    Category.PROCESSED: (238, 226, 212),
    Category.POULTRY: (244, 230, 214),
    Category.EGGS: (248, 240, 222),
    Category.AQUATIC: (214, 232, 240),
    Category.GRAIN: (242, 234, 206),
    Category.MUSHROOMS: (232, 224, 214),
    Category.HERBS: (222, 234, 214),
    Category.OTHER: (238, 228, 236),
}
DEFAULT_BACKGROUND = (234, 234, 230)
INK = (40, 44, 40)
MUTED_INK = (96, 100, 96)


@functools.cache
def _font(size: int, path: Path, index: int) -> Font:
    """The CJK font at ``size`` pixels, else Pillow's default font (cached per size)."""
    try:
        return ImageFont.truetype(str(path), size, index=index)
    except OSError:
        return ImageFont.load_default(size)


def _fit_font(draw: ImageDraw.ImageDraw, text: str, max_width: float, size: int) -> Font:
    """The largest font, from ``size`` down, in which ``text`` fits ``max_width``."""
    font = _font(size, FONT_PATH, FONT_INDEX)
    while size > 16 and draw.textlength(text, font=font) > max_width:
        size -= 4
        font = _font(size, FONT_PATH, FONT_INDEX)
    return font


def _text(
    draw: ImageDraw.ImageDraw, centre: tuple[float, float], text: str, size: int, fill: Colour, width: float
) -> None:
    """Draw ``text`` centred on ``centre``, shrunk to ``width``; skipped if no font at hand can encode it."""
    if not text:
        return
    # The bitmap fallback font cannot encode Chinese: then the picture simply has no caption.
    with contextlib.suppress(UnicodeError, OSError, ValueError):
        draw.text(centre, text, font=_fit_font(draw, text, width, size), fill=fill, anchor="mm")


def _png(image: Image.Image) -> bytes:
    """Encode ``image`` as PNG quickly (it is re-encoded as WebP when stored)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def product_image(name: str, category: Category, motif: str, caption: str = "") -> bytes:
    """A PNG card for a product: category colour, the motif, the name and an optional caption."""
    width, height = PRODUCT_SIZE
    image = Image.new("RGB", PRODUCT_SIZE, BACKGROUNDS.get(category, DEFAULT_BACKGROUND))
    draw = ImageDraw.Draw(image)
    band = height * 0.7
    MOTIFS.get(motif, MOTIFS["leaf"])(draw, (width * 0.27, height * 0.07, width * 0.73, band - height * 0.05))
    draw.rectangle((0, band, width, height), fill=(255, 255, 255))
    _text(draw, (width / 2, band + height * (0.1 if caption else 0.15)), name, height // 10, INK, width - 48)
    _text(draw, (width / 2, band + height * 0.225), caption, height // 22, MUTED_INK, width - 48)
    return _png(image)


def logo_image(text: str, motif: str, colour: Colour = (46, 110, 70)) -> bytes:
    """A PNG logo: the motif and a short name in a white disc on a coloured square."""
    width, height = LOGO_SIZE
    image = Image.new("RGB", LOGO_SIZE, colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.06, height * 0.06, width * 0.94, height * 0.94), fill=(255, 255, 255))
    MOTIFS.get(motif, MOTIFS["leaf"])(draw, (width * 0.28, height * 0.16, width * 0.72, height * 0.6))
    _text(draw, (width / 2, height * 0.74), text, height // 8, colour, width * 0.7)
    return _png(image)
