"""Demo pictures drawn with Pillow: a card coloured by category, a simple motif and the name in Chinese.

Nothing is downloaded, so the demo carries no third-party pictures. Without the Noto CJK font the text is
drawn with Pillow's default font (or left out), so seeding never fails for lack of a font.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from catalog.products.models import Category

#: Noto Sans CJK (Debian package fonts-noto-cjk); index 2 of the collection is Simplified Chinese.
FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX = 2
PRODUCT_SIZE = (800, 600)
LOGO_SIZE = (400, 400)

Box = tuple[float, float, float, float]
Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Scale = Callable[[float, float], tuple[float, float]]
Motif = Callable[[ImageDraw.ImageDraw, Box], None]

BACKGROUNDS: dict[Category, Colour] = {
    Category.VEGETABLES: (214, 236, 206),
    Category.FRUIT: (236, 244, 200),
    Category.MEAT: (246, 222, 216),
    Category.DRIED_FRUIT_NUTS: (244, 226, 200),
    Category.HONEY: (252, 238, 196),
    Category.TEA: (226, 236, 246),
    Category.PROCESSED: (238, 226, 212),
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


def _scaled(box: Box) -> Scale:
    """Map unit coordinates (0..1, 0..1) into ``box``."""
    x0, y0, x1, y1 = box
    return lambda u, v: (x0 + u * (x1 - x0), y0 + v * (y1 - y0))


def _ellipse(
    draw: ImageDraw.ImageDraw,
    at: Scale,
    u0: float,
    v0: float,
    u1: float,
    v1: float,
    fill: Colour | None = None,
    outline: Colour | None = None,
    width: int = 1,
) -> None:
    """An ellipse given in unit coordinates."""
    draw.ellipse((*at(u0, v0), *at(u1, v1)), fill=fill, outline=outline, width=width)


def _leaf(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A green leaf with its midrib and stalk."""
    at = _scaled(box)
    top = [at(0.1 + 0.8 * t, 0.5 - 0.32 * math.sin(math.pi * t)) for t in (i / 20 for i in range(21))]
    bottom = [at(0.9 - 0.8 * t, 0.5 + 0.32 * math.sin(math.pi * t)) for t in (i / 20 for i in range(21))]
    draw.polygon(top + bottom, fill=(70, 150, 70))
    draw.line([at(0.02, 0.62), at(0.1, 0.5), at(0.88, 0.5)], fill=(40, 100, 40), width=6)


def _pepper(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Two long, curved red chili peppers with green caps."""
    for shift, colour in ((0.0, (206, 40, 30)), (0.22, (230, 70, 40))):
        at = _scaled(box)
        spine = [
            (0.15 + 0.7 * t + shift * 0.3, 0.2 + shift + 0.5 * t + 0.15 * math.sin(math.pi * t))
            for t in (i / 16 for i in range(17))
        ]
        upper = [at(u, v - 0.09 * (1 - i / 16)) for i, (u, v) in enumerate(spine)]
        lower = [at(u, v + 0.09 * (1 - i / 16)) for i, (u, v) in reversed(list(enumerate(spine)))]
        draw.polygon(upper + lower, fill=colour)
        u, v = spine[0]
        _ellipse(draw, at, u - 0.07, v - 0.1, u + 0.05, v + 0.1, fill=(60, 130, 50))


def _tomato(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A red tomato with a green star-shaped calyx."""
    at = _scaled(box)
    _ellipse(draw, at, 0.2, 0.15, 0.8, 0.95, fill=(216, 46, 38))
    _ellipse(draw, at, 0.3, 0.3, 0.42, 0.45, fill=(240, 120, 100))
    star = []
    for i in range(10):
        angle, radius = math.pi * i / 5, (0.16 if i % 2 == 0 else 0.05)
        star.append(at(0.5 + radius * math.cos(angle), 0.2 + radius * 1.2 * math.sin(angle)))
    draw.polygon(star, fill=(60, 140, 60))


def _onion(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A purple onion bulb with a pointed top and roots."""
    at = _scaled(box)
    _ellipse(draw, at, 0.22, 0.3, 0.78, 0.92, fill=(150, 60, 120))
    draw.polygon([at(0.36, 0.4), at(0.5, 0.05), at(0.64, 0.4)], fill=(150, 60, 120))
    for u in (0.38, 0.5, 0.62):
        draw.arc((*at(u - 0.16, 0.3), *at(u + 0.16, 0.92)), 250, 290, fill=(110, 40, 90), width=4)
    for u in (0.44, 0.5, 0.56):
        draw.line([at(0.5, 0.92), at(u, 1.0)], fill=(200, 190, 160), width=3)


def _jujube(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Three glossy red-brown jujubes."""
    at = _scaled(box)
    for u, v in ((0.12, 0.3), (0.42, 0.15), (0.55, 0.45)):
        _ellipse(draw, at, u, v, u + 0.32, v + 0.45, fill=(150, 30, 30))
        _ellipse(draw, at, u + 0.07, v + 0.08, u + 0.14, v + 0.18, fill=(205, 110, 90))


def _walnut(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Two wrinkled walnuts."""
    at = _scaled(box)
    for u, v in ((0.1, 0.25), (0.48, 0.2)):
        _ellipse(draw, at, u, v, u + 0.42, v + 0.6, fill=(196, 160, 110), outline=(140, 100, 60), width=4)
        draw.line([at(u + 0.21, v), at(u + 0.21, v + 0.6)], fill=(140, 100, 60), width=4)
        for dv in (0.15, 0.3, 0.45):
            draw.arc(
                (*at(u + 0.05, v + dv - 0.08), *at(u + 0.37, v + dv + 0.08)),
                20,
                160,
                fill=(150, 110, 70),
                width=3,
            )


def _berries(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A heap of small dark purple goji berries."""
    at = _scaled(box)
    for row, count in enumerate((3, 4, 5)):
        for i in range(count):
            u = 0.5 - count * 0.08 + i * 0.16
            v = 0.25 + row * 0.22
            _ellipse(draw, at, u, v, u + 0.15, v + 0.22, fill=(60, 30, 80), outline=(110, 70, 140), width=2)


def _yak(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A yak standing before white Pamir peaks."""
    at = _scaled(box)
    snow, rock = (244, 247, 252), (150, 164, 186)
    draw.polygon([at(0.0, 0.7), at(0.25, 0.05), at(0.5, 0.7)], fill=snow, outline=rock, width=3)
    draw.polygon([at(0.35, 0.7), at(0.7, 0.0), at(1.0, 0.7)], fill=snow, outline=rock, width=3)
    brown = (70, 48, 36)
    for u in (0.3, 0.4, 0.62, 0.72):
        draw.rectangle((*at(u, 0.6), *at(u + 0.06, 0.98)), fill=brown)
    _ellipse(draw, at, 0.22, 0.3, 0.84, 0.78, fill=brown)
    _ellipse(draw, at, 0.08, 0.38, 0.3, 0.68, fill=brown)
    draw.arc((*at(0.04, 0.22), *at(0.18, 0.5)), 180, 300, fill=(196, 178, 130), width=10)
    draw.arc((*at(0.2, 0.22), *at(0.34, 0.5)), 240, 360, fill=(196, 178, 130), width=10)
    draw.polygon([at(0.3, 0.7), at(0.84, 0.7), at(0.78, 0.86), at(0.34, 0.86)], fill=(50, 34, 26))


def _flower(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A snow chrysanthemum: golden petals round a dark red centre."""
    at = _scaled(box)
    for i in range(14):
        angle = 2 * math.pi * i / 14
        tip = at(0.5 + 0.42 * math.cos(angle), 0.5 + 0.42 * math.sin(angle))
        left = at(0.5 + 0.16 * math.cos(angle - 0.3), 0.5 + 0.16 * math.sin(angle - 0.3))
        right = at(0.5 + 0.16 * math.cos(angle + 0.3), 0.5 + 0.16 * math.sin(angle + 0.3))
        draw.polygon([at(0.5, 0.5), left, tip, right], fill=(238, 186, 40), outline=(200, 140, 20))
    _ellipse(draw, at, 0.37, 0.37, 0.63, 0.63, fill=(120, 30, 30))


def _pork(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A slab of smoked pork belly, lean and fat in layers, hung on a string."""
    at = _scaled(box)
    draw.line([at(0.5, 0.0), at(0.5, 0.22)], fill=(120, 90, 60), width=5)
    draw.rounded_rectangle((*at(0.15, 0.2), *at(0.85, 0.95)), radius=24, fill=(92, 40, 24))
    for v0, v1, colour in (
        (0.3, 0.42, (236, 214, 180)),
        (0.5, 0.6, (150, 60, 40)),
        (0.68, 0.78, (236, 214, 180)),
    ):
        draw.rectangle((*at(0.2, v0), *at(0.8, v1)), fill=colour)


def _honey(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A jar of amber honey with a lid and a hexagon label."""
    at = _scaled(box)
    draw.rounded_rectangle((*at(0.24, 0.2), *at(0.76, 0.98)), radius=30, fill=(224, 150, 30))
    draw.rectangle((*at(0.28, 0.04), *at(0.72, 0.2)), fill=(150, 90, 40))
    draw.rectangle((*at(0.32, 0.45), *at(0.68, 0.8)), fill=(252, 244, 220))
    hexagon = [
        at(0.5 + 0.1 * math.cos(math.pi * i / 3), 0.625 + 0.12 * math.sin(math.pi * i / 3)) for i in range(6)
    ]
    draw.polygon(hexagon, fill=(236, 176, 40))


def _melon(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A yellow-green melon with dark ribs."""
    at = _scaled(box)
    _ellipse(draw, at, 0.1, 0.2, 0.9, 0.9, fill=(196, 210, 90), outline=(80, 120, 40), width=5)
    for half in (0.26, 0.13):
        _ellipse(draw, at, 0.5 - half, 0.2, 0.5 + half, 0.9, outline=(80, 120, 40), width=5)
    _ellipse(draw, at, 0.2, 0.3, 0.3, 0.42, fill=(226, 236, 150))


MOTIFS: dict[str, Motif] = {
    "leaf": _leaf,
    "pepper": _pepper,
    "tomato": _tomato,
    "onion": _onion,
    "jujube": _jujube,
    "walnut": _walnut,
    "berries": _berries,
    "yak": _yak,
    "flower": _flower,
    "pork": _pork,
    "honey": _honey,
    "melon": _melon,
}


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
    MOTIFS.get(motif, _leaf)(draw, (width * 0.27, height * 0.07, width * 0.73, band - height * 0.05))
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
    MOTIFS.get(motif, _leaf)(draw, (width * 0.28, height * 0.16, width * 0.72, height * 0.6))
    _text(draw, (width / 2, height * 0.74), text, height // 8, colour, width * 0.7)
    return _png(image)
