"""Simple motifs for the demo pictures, drawn with Pillow in unit coordinates: one per kind of product the
three counties sell (see :mod:`shop.demo.images`, which frames them into product cards and logos)."""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw

Box = tuple[float, float, float, float]
Colour = tuple[int, int, int]
Scale = Callable[[float, float], tuple[float, float]]
Motif = Callable[[ImageDraw.ImageDraw, Box], None]


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


def _watermelon(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A striped watermelon and a red slice with black seeds."""
    at = _scaled(box)
    _ellipse(draw, at, 0.02, 0.1, 0.72, 0.8, fill=(60, 140, 60))
    for u in (0.16, 0.3, 0.44, 0.58):
        draw.arc((*at(u - 0.2, 0.1), *at(u + 0.2, 0.8)), 250, 290, fill=(20, 80, 30), width=8)
    slice_ = [at(0.45, 0.98), at(0.98, 0.98), at(0.72, 0.5)]
    draw.polygon(slice_, fill=(226, 60, 60), outline=(60, 140, 60), width=8)
    for u, v in ((0.66, 0.86), (0.78, 0.86), (0.72, 0.74)):
        _ellipse(draw, at, u, v, u + 0.025, v + 0.045, fill=(30, 20, 20))


def _meat(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A red cut of mutton or beef with a fat rim, marbling and a round bone."""
    at = _scaled(box)
    _ellipse(draw, at, 0.08, 0.15, 0.92, 0.9, fill=(244, 232, 214))
    _ellipse(draw, at, 0.13, 0.2, 0.87, 0.85, fill=(176, 40, 44))
    for u, v in ((0.3, 0.35), (0.55, 0.6), (0.4, 0.7)):
        draw.line([at(u, v), at(u + 0.15, v + 0.05)], fill=(236, 190, 180), width=4)
    _ellipse(draw, at, 0.6, 0.3, 0.74, 0.46, fill=(250, 246, 236), outline=(210, 200, 180), width=3)


def _grain(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Three golden ears of grain on their stalks."""
    at = _scaled(box)
    for base, lean in ((0.3, -0.12), (0.5, 0.0), (0.7, 0.12)):
        top = (base + lean, 0.1)
        draw.line([at(base, 1.0), at(*top)], fill=(170, 130, 50), width=5)
        for i in range(6):
            v = 0.14 + i * 0.09
            u = base + lean * (1 - (v - 0.1) / 0.9)
            for side in (-1, 1):
                _ellipse(
                    draw,
                    at,
                    u + side * 0.045 - 0.035,
                    v,
                    u + side * 0.045 + 0.035,
                    v + 0.08,
                    fill=(222, 176, 60),
                )


def _herb(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A feathery fennel sprig with an umbel of seeds."""
    at = _scaled(box)
    draw.line([at(0.5, 1.0), at(0.5, 0.3)], fill=(80, 130, 60), width=6)
    for i in range(9):
        angle = math.pi * (0.15 + 0.7 * i / 8)
        tip = (0.5 - 0.38 * math.cos(angle), 0.3 - 0.25 * math.sin(angle))
        draw.line([at(0.5, 0.3), at(*tip)], fill=(110, 150, 70), width=3)
        _ellipse(draw, at, tip[0] - 0.03, tip[1] - 0.03, tip[0] + 0.03, tip[1] + 0.03, fill=(150, 130, 60))
    for v in (0.5, 0.65, 0.8):
        for side in (-1, 1):
            draw.line([at(0.5, v), at(0.5 + side * 0.25, v - 0.1)], fill=(110, 170, 80), width=3)


def _carrot(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Two yellow-orange carrots with green tops."""
    at = _scaled(box)
    for shift, colour in ((0.0, (236, 160, 40)), (0.3, (240, 190, 60))):
        draw.polygon([at(0.18 + shift, 0.25), at(0.42 + shift, 0.25), at(0.3 + shift, 0.98)], fill=colour)
        for dv in (0.4, 0.55, 0.7):
            draw.line([at(0.22 + shift, dv), at(0.3 + shift, dv)], fill=(200, 120, 30), width=3)
        for du in (-0.08, 0.0, 0.08):
            draw.line([at(0.3 + shift, 0.25), at(0.3 + shift + du, 0.02)], fill=(70, 150, 60), width=6)


def _bottle(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A bottle of orange sea-buckthorn juice beside a sprig of berries."""
    at = _scaled(box)
    draw.rounded_rectangle((*at(0.12, 0.3), *at(0.48, 0.98)), radius=16, fill=(236, 140, 30))
    draw.rectangle((*at(0.22, 0.12), *at(0.38, 0.3)), fill=(236, 140, 30))
    draw.rectangle((*at(0.2, 0.04), *at(0.4, 0.13)), fill=(90, 90, 90))
    draw.rectangle((*at(0.16, 0.5), *at(0.44, 0.75)), fill=(252, 244, 220))
    draw.line([at(0.62, 0.1), at(0.78, 0.95)], fill=(120, 90, 60), width=5)
    for i in range(7):
        v = 0.2 + i * 0.1
        u = 0.62 + 0.16 * (v - 0.1) / 0.85
        for side in (-1, 1):
            _ellipse(
                draw,
                at,
                u + side * 0.07 - 0.05,
                v - 0.04,
                u + side * 0.07 + 0.05,
                v + 0.04,
                fill=(246, 150, 20),
            )


def _root(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A knobbly dried root (codonopsis, gastrodia, maca) with its fine rootlets."""
    at = _scaled(box)
    draw.polygon(
        [at(0.35, 0.1), at(0.65, 0.1), at(0.58, 0.8), at(0.5, 0.98), at(0.42, 0.8)], fill=(196, 160, 110)
    )
    for v in (0.25, 0.4, 0.55, 0.7):
        draw.line([at(0.38, v), at(0.62, v + 0.02)], fill=(150, 110, 70), width=3)
    for u0, v0, u1, v1 in ((0.42, 0.5, 0.2, 0.75), (0.58, 0.45, 0.82, 0.7), (0.45, 0.75, 0.3, 0.95)):
        draw.line([at(u0, v0), at(u1, v1)], fill=(170, 130, 80), width=4)
    _ellipse(draw, at, 0.38, 0.02, 0.62, 0.16, fill=(120, 150, 80))


def _apricot(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Three golden apricots with their crease, and a leaf."""
    at = _scaled(box)
    for u, v in ((0.08, 0.4), (0.5, 0.42), (0.28, 0.12)):
        _ellipse(draw, at, u, v, u + 0.42, v + 0.5, fill=(240, 160, 50), outline=(210, 120, 40), width=3)
        draw.arc((*at(u + 0.1, v + 0.05), *at(u + 0.3, v + 0.45)), 200, 340, fill=(210, 120, 40), width=4)
    draw.polygon([at(0.7, 0.1), at(0.95, 0.02), at(0.85, 0.25)], fill=(80, 150, 70))


def _embroidery(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A cushion embroidered with red, white and green Tajik diamonds."""
    at = _scaled(box)
    draw.rectangle((*at(0.05, 0.05), *at(0.95, 0.95)), fill=(170, 30, 40))
    draw.rectangle((*at(0.12, 0.12), *at(0.88, 0.88)), outline=(250, 240, 220), width=6)
    for row in range(3):
        for col in range(3):
            cu, cv = 0.26 + col * 0.24, 0.26 + row * 0.24
            colour = (40, 120, 70) if (row + col) % 2 else (250, 240, 220)
            draw.polygon(
                [at(cu, cv - 0.1), at(cu + 0.1, cv), at(cu, cv + 0.1), at(cu - 0.1, cv)], fill=colour
            )


def _chicken(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A free-range hen: brown body, red comb, yellow beak and legs."""
    at = _scaled(box)
    for u in (0.42, 0.56):
        draw.line([at(u, 0.75), at(u, 0.98)], fill=(220, 170, 40), width=6)
    draw.polygon([at(0.12, 0.3), at(0.3, 0.5), at(0.12, 0.6)], fill=(60, 60, 40))
    _ellipse(draw, at, 0.2, 0.35, 0.8, 0.82, fill=(150, 80, 40))
    _ellipse(draw, at, 0.62, 0.12, 0.88, 0.42, fill=(160, 90, 50))
    _ellipse(draw, at, 0.66, 0.04, 0.82, 0.16, fill=(210, 40, 40))
    draw.polygon([at(0.87, 0.24), at(0.98, 0.29), at(0.87, 0.33)], fill=(230, 180, 40))
    _ellipse(draw, at, 0.76, 0.2, 0.8, 0.25, fill=(20, 20, 20))


def _egg(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """Three brown eggs, one with its shine."""
    at = _scaled(box)
    for u, v in ((0.08, 0.35), (0.55, 0.35), (0.3, 0.1)):
        _ellipse(draw, at, u, v, u + 0.38, v + 0.55, fill=(226, 186, 140), outline=(190, 150, 100), width=3)
    _ellipse(draw, at, 0.38, 0.18, 0.45, 0.3, fill=(246, 226, 200))


def _mushroom(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A shiitake mushroom: a brown cracked cap on a pale stem."""
    at = _scaled(box)
    draw.rounded_rectangle((*at(0.4, 0.45), *at(0.6, 0.95)), radius=10, fill=(236, 226, 200))
    draw.pieslice((*at(0.05, 0.1), *at(0.95, 0.8)), 180, 360, fill=(120, 70, 40))
    for u0, v0, u1, v1 in ((0.3, 0.3, 0.4, 0.4), (0.55, 0.22, 0.62, 0.36), (0.7, 0.35, 0.78, 0.42)):
        draw.line([at(u0, v0), at(u1, v1)], fill=(236, 220, 190), width=5)


def _fish(draw: ImageDraw.ImageDraw, box: Box) -> None:
    """A rainbow trout: silver body, pink stripe, spots and a tail."""
    at = _scaled(box)
    draw.polygon([at(0.72, 0.5), at(0.98, 0.25), at(0.98, 0.75)], fill=(120, 140, 150))
    _ellipse(draw, at, 0.02, 0.25, 0.8, 0.75, fill=(180, 196, 204))
    draw.line([at(0.1, 0.5), at(0.76, 0.5)], fill=(226, 120, 140), width=10)
    for u, v in ((0.3, 0.36), (0.45, 0.33), (0.6, 0.38), (0.38, 0.62), (0.55, 0.6)):
        _ellipse(draw, at, u, v, u + 0.025, v + 0.035, fill=(60, 70, 80))
    _ellipse(draw, at, 0.1, 0.4, 0.15, 0.47, fill=(20, 20, 20))


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
    "watermelon": _watermelon,
    "meat": _meat,
    "grain": _grain,
    "herb": _herb,
    "carrot": _carrot,
    "bottle": _bottle,
    "root": _root,
    "apricot": _apricot,
    "embroidery": _embroidery,
    "chicken": _chicken,
    "egg": _egg,
    "mushroom": _mushroom,
    "fish": _fish,
}
