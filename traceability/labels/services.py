"""Printable batch labels: one PNG label, or an A4 PDF sheet of them, each with a QR code that scans.

A label carries what a buyer checks on the package: the product name in Chinese, the producer, the lot,
the dates, the consumption-assistance certificate and the 承诺达标合格证 numbers, and the QR code of the
trace page (with serials, each label its own code). Printed labels are Chinese whatever the interface
language, so their captions are data here, not translatable strings.

The sheet fits the common 21-up A4 stock (3 × 7 labels of 63.5 × 38.1 mm, e.g. Avery L7160). What is the
same on every label (fonts, the batch's text) is rendered once; only the QR code and the serial change per
label, so a thousand serialized labels take seconds.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from core.clock import shanghai_date
from traceability.models import Batch

DPI = 300
FONT_DIR = "/usr/share/fonts/opentype/noto"
FONT_PACKAGE = "fonts-noto-cjk"
_REGULAR, _BOLD = "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"
_SC, _MONO_SC = 2, 7  # faces in the collection: Noto Sans CJK SC, Noto Sans Mono CJK SC


def _mm(length: float) -> int:
    """Millimetres → pixels at ``DPI``."""
    return round(length / 25.4 * DPI)


LABEL_SIZE = (_mm(63.5), _mm(38.1))  # 750 × 450 px
PAGE_SIZE = (_mm(210), _mm(297))  # A4: 2480 × 3508 px
SHEET_COLUMNS, SHEET_ROWS = 3, 7
SHEET_ORIGIN = (_mm(7.21), _mm(15.15))  # top-left corner of the first label
SHEET_PITCH = (_mm(66.04), _mm(38.1))  # from one label's corner to the next one's
LABELS_PER_PAGE = SHEET_COLUMNS * SHEET_ROWS

_EDGE = _mm(1.5)  # nothing is printed this close to the die-cut edge
_QR_COLUMN = 330  # width of the QR column on the right, quiet zone included
_QR_BORDER = 4  # quiet zone, in modules (as links.qr_image)
_TEXT_BOX = (_EDGE + 6, _EDGE + 6, LABEL_SIZE[0] - _EDGE - _QR_COLUMN - 8, LABEL_SIZE[1] - _EDGE - 6)
_CAPTION_SIZE = 26
_NAME_SIZE, _FIELD_SIZE = 46, 26
_SCALES = (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6)  # tried in turn until the text fits
_ELLIPSIS = "…"
_BREAK_AFTER = frozenset(" -/、，")  # certificate numbers break after a dash rather than mid-number


@functools.cache
def _font(file: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A Noto CJK face, loaded once per process and size."""
    try:
        return ImageFont.truetype(f"{FONT_DIR}/{file}", size, index=index)
    except OSError as exc:
        raise RuntimeError(
            f"Labels need the Noto CJK fonts ({FONT_DIR}/{file}): install the Debian package {FONT_PACKAGE}."
        ) from exc


# --- text ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    """One line of a label's text: where it is drawn and the box its glyphs cover."""

    text: str
    font: ImageFont.FreeTypeFont
    x: int
    y: int  # baseline

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """The ink box (left, top, right, bottom) in the coordinates of the text area (Pillow types it as
        floats)."""
        left, top, right, bottom = self.font.getbbox(self.text, anchor="ls")
        return self.x + left, self.y + top, self.x + right, self.y + bottom


def label_fields(batch: Batch, sources: Sequence[Batch] = ()) -> list[tuple[str, str]]:
    """The captioned facts printed under the product name, in order (certificates only when they count).

    ``sources`` are the raw materials of a transformed batch (traceability.processing.source_batches): its
    date is then its production date, and the quarantine numbers are theirs.
    """
    product = batch.product
    meat = product.category.is_meat
    fields = [
        ("生产者", batch.producer.name),
        ("批次号", batch.lot_code),
        ("屠宰日期" if meat and not sources else "生产日期", batch.produced_on.isoformat()),
        ("保质期至", batch.best_before.isoformat()),
    ]
    certificate = product.valid_certificate_on(shanghai_date())
    if certificate is not None and certificate.certificate_no:
        fields.append(("帮扶认定", certificate.certificate_no))
    if batch.compliance is not None:
        fields.append(("合格证号", batch.compliance.number))
    numbers = [b.slaughter_quarantine_no for b in (sources or [batch]) if b.slaughter_quarantine_no]
    if meat and numbers:
        fields.append(("检疫证号", "、".join(dict.fromkeys(numbers))))
    return fields


def _wrap(text: str, font: ImageFont.FreeTypeFont, widths: Sequence[int]) -> list[str]:
    """Break ``text`` greedily by characters into lines no wider than ``widths[i]`` (last width repeats).

    Returns at most ``len(widths)`` lines; a cut-off tail ends the last line with an ellipsis.
    """
    lines: list[str] = []
    rest = text
    for i, width in enumerate(widths):
        last = i == len(widths) - 1
        if font.getlength(rest) <= width:
            lines.append(rest)
            return lines
        cut = 0
        while cut < len(rest) and font.getlength(rest[: cut + 1] + (_ELLIPSIS if last else "")) <= width:
            cut += 1
        if last:
            lines.append(rest[:cut].rstrip() + _ELLIPSIS)
            return lines
        if cut == 0:  # not even one character fits: nothing sensible to print
            return lines
        breaks = [j + 1 for j, char in enumerate(rest[:cut]) if char in _BREAK_AFTER and j + 1 > cut // 2]
        cut = breaks[-1] if breaks and cut < len(rest) else cut
        lines.append(rest[:cut])
        rest = rest[cut:].lstrip()
    return lines


def layout_text(name: str, fields: Sequence[tuple[str, str]], width: int, height: int) -> list[TextLine]:
    """Lay the name (bold, up to three lines) and the captioned fields out in a ``width`` × ``height`` area.

    Sizes shrink step by step until everything fits; at the smallest size, what still does not fit is cut with
    an ellipsis rather than drawn outside the area.
    """
    lines: list[TextLine] = []
    for scale in _SCALES:
        lines, bottom = _layout_at(name, fields, width, scale)
        if bottom <= height:
            return lines
    return [line for line in lines if line.bbox[3] <= height]


def _layout_at(
    name: str, fields: Sequence[tuple[str, str]], width: int, scale: float
) -> tuple[list[TextLine], float]:
    """Lines at one scale, and how far down their ink reaches."""
    lines: list[TextLine] = []
    bold = _font(_BOLD, _SC, round(_NAME_SIZE * scale))
    top = 0
    for text in _wrap(name, bold, [width] * 3):
        lines.append(TextLine(text, bold, 0, top + round(bold.size * 0.95)))
        top += round(bold.size * 1.2)
    regular = _font(_REGULAR, _SC, round(_FIELD_SIZE * scale))
    top += round(regular.size * 0.4)
    indent = max((round(regular.getlength(caption)) for caption, _value in fields), default=0)
    indent += round(regular.size * 0.5)
    for caption, value in fields:
        lines.append(TextLine(caption, regular, 0, top + round(regular.size * 0.95)))
        for text in _wrap(value, regular, [width - indent] * 2):
            lines.append(TextLine(text, regular, indent, top + round(regular.size * 0.95)))
            top += round(regular.size * 1.3)
    return lines, max(line.bbox[3] for line in lines)


def _text_block(batch: Batch, sources: Sequence[Batch]) -> Image.Image:
    """The batch's static text, rendered once in grayscale at the size of the label's text area."""
    left, top, right, bottom = _TEXT_BOX
    block = Image.new("L", (right - left, bottom - top), 255)
    draw = ImageDraw.Draw(block)
    for line in layout_text(batch.product.name, label_fields(batch, sources), right - left, bottom - top):
        draw.text((line.x, line.y), line.text, font=line.font, fill=0, anchor="ls")
    return block


# --- QR codes -----------------------------------------------------------------------------------------------
# Codes come from the qrcode package (error correction M, as traceability.links.qr_image) with one fixed mask,
# which is what lets a thousand serialized labels print in a few seconds.

_MODULE_GRAY = bytes.maketrans(b"01", b"\xff\x00")
#: Labels use one fixed mask pattern. Scoring all eight (what qrcode does by default) costs eight times the
#: work for every serial on a sheet; any mask decodes, and print contrast is what keeps labels readable.
_LABEL_MASK = 4


def qr_rows(data: str) -> list[str]:
    """The QR code of ``data`` as rows of "0" (light) and "1" (dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=_LABEL_MASK)
    code.add_data(data)
    code.make(fit=True)
    return ["".join("1" if module else "0" for module in row) for row in code.get_matrix()]


def qr_bitmap(data: str, scale: int = 1) -> Image.Image:
    """The QR code of ``data`` as a 1-bit image, ``scale`` pixels per module, quiet zone included."""
    return _rows_image(qr_rows(data), scale)


def _rows_image(rows: list[str], scale: int) -> Image.Image:
    """Rows of modules → a 1-bit image with the quiet zone, each module ``scale`` pixels square."""
    quiet = "0" * _QR_BORDER
    width = len(rows) + 2 * _QR_BORDER
    lines = [quiet * 2 + "0" * len(rows)] * _QR_BORDER
    pixels = "".join(lines + [quiet + row + quiet for row in rows] + lines).encode()
    bitmap = Image.frombytes("L", (width, width), pixels.translate(_MODULE_GRAY)).convert("1")
    return bitmap.resize((width * scale, width * scale), Image.Resampling.NEAREST) if scale > 1 else bitmap


# --- composing labels ---------------------------------------------------------------------------------------


_CAPTION_HEIGHT = round(_CAPTION_SIZE * 1.3)


def _label_code(url: str) -> Image.Image:
    """The QR code of ``url`` at the largest whole number of pixels per module that fits the QR column."""
    rows = qr_rows(url)
    modules = len(rows) + 2 * _QR_BORDER
    room = min(_QR_COLUMN, LABEL_SIZE[1] - 2 * _EDGE - _CAPTION_HEIGHT)
    return _rows_image(rows, max(1, room // modules))  # whole pixels keep the modules crisp


def _paste_label(
    canvas: Image.Image, origin: tuple[int, int], template: Image.Image, code: Image.Image, serial: str | None
) -> None:
    """Draw one label on ``canvas`` at ``origin``: the batch template, the QR ``code``, the serial below."""
    x0, y0 = origin
    canvas.paste(template, origin)
    column_left = x0 + LABEL_SIZE[0] - _EDGE - _QR_COLUMN
    top = y0 + (LABEL_SIZE[1] - code.height - _CAPTION_HEIGHT) // 2
    canvas.paste(code, (column_left + (_QR_COLUMN - code.width) // 2, top))
    ImageDraw.Draw(canvas).text(
        (column_left + _QR_COLUMN // 2, top + code.height + round(_CAPTION_SIZE * 0.9)),
        serial or "扫码溯源",
        font=_font(_REGULAR, _MONO_SC if serial else _SC, _CAPTION_SIZE),
        fill=0,
        anchor="ms",
    )


def _template(batch: Batch, mode: str, sources: Sequence[Batch]) -> Image.Image:
    """A blank label with the batch's text, in ``mode`` ("L" for screens, "1" for print sheets)."""
    label = Image.new("L", LABEL_SIZE, 255)
    label.paste(_text_block(batch, sources), _TEXT_BOX[:2])
    if mode == "1":
        # Thresholding a little above mid-grey keeps thin CJK strokes whole on the 1-bit page.
        return label.point(lambda v: 255 if v > 160 else 0).convert("1", dither=Image.Dither.NONE)
    return label


def render_label_png(
    batch: Batch, url: str, serial: str | None = None, *, sources: Sequence[Batch] = ()
) -> bytes:
    """One 63.5 × 38.1 mm label at 300 dpi as PNG bytes; its QR code encodes ``url`` (``sources``: see
    :func:`label_fields`)."""
    label = Image.new("L", LABEL_SIZE, 255)
    _paste_label(label, (0, 0), _template(batch, "L", sources), _label_code(url), serial)
    buffer = io.BytesIO()
    label.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def iter_label_sheet_pages(
    batch: Batch, items: Sequence[tuple[str, str | None]], *, sources: Sequence[Batch] = ()
) -> Iterator[Image.Image]:
    """1-bit A4 pages at 300 dpi with one label per ``(url, serial)`` item, 21 to a page, in order, made one
    at a time (a page is 8.7 MB in memory: Pillow keeps a byte per pixel even in mode "1").

    Raises ValueError when there is nothing to print.
    """
    if not items:
        raise ValueError("no labels to print")
    template = _template(batch, "1", sources)
    code, coded_url = None, None
    page = Image.new("1", PAGE_SIZE, 1)
    for index, (url, serial) in enumerate(items):
        slot = index % LABELS_PER_PAGE
        if slot == 0 and index:
            yield page
            page = Image.new("1", PAGE_SIZE, 1)
        if code is None or url != coded_url:  # lot labels repeat one code; serialized ones differ
            code, coded_url = _label_code(url), url
        row, column = divmod(slot, SHEET_COLUMNS)
        origin = (SHEET_ORIGIN[0] + column * SHEET_PITCH[0], SHEET_ORIGIN[1] + row * SHEET_PITCH[1])
        _paste_label(page, origin, template, code, serial)
    yield page


def render_label_sheet_pages(
    batch: Batch, items: Sequence[tuple[str, str | None]], *, sources: Sequence[Batch] = ()
) -> list[Image.Image]:
    """Every page of :func:`iter_label_sheet_pages` at once (for small sheets and tests)."""
    return list(iter_label_sheet_pages(batch, items, sources=sources))


def render_label_sheet_pdf(
    batch: Batch, items: Sequence[tuple[str, str | None]], *, sources: Sequence[Batch] = ()
) -> bytes:
    """The label sheet as a PDF of A4 pages (lossless 1-bit images), ready to print at 100 %.

    Each page is compressed into the PDF as soon as it is drawn and then dropped, so memory stays at about
    one page whatever the number of labels (Pillow's own writer holds every page: 400 MB for 1,000 labels).
    Raises ValueError when there is nothing to print.
    """
    return pdf_of_pages(iter_label_sheet_pages(batch, items, sources=sources), DPI)


def _pdf_number(value: float) -> str:
    """A PDF real with at most two decimals and no trailing zeros: 595.2, 841.92, 180."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def pdf_of_pages(pages: Iterable[Image.Image], dpi: int) -> bytes:
    """A PDF with one page per 1-bit image (drawn at ``dpi``), each written as it comes: a Flate-compressed
    1-bit DeviceGray image XObject painted over its whole page (PDF 1.4, ISO 32000-1 §8.9)."""
    out = io.BytesIO()
    offsets: dict[int, int] = {}

    def write(number: int, body: bytes, stream: bytes | None = None) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            out.write(b"\nstream\n" + stream + b"\nendstream")
        out.write(b"\nendobj\n")

    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    write(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = []
    for index, page in enumerate(pages):
        number = 3 + 3 * index
        width, height = page.size
        across, down = (_pdf_number(pixels * 72 / dpi) for pixels in (width, height))
        pixels = zlib.compress(page.convert("1").tobytes(), 6)
        content = f"q {across} 0 0 {down} 0 0 cm /Im0 Do Q".encode()
        write(
            number,
            f"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 {across} {down} ] /Contents {number + 1} 0 R "
            f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> >>".encode(),
        )
        write(number + 1, b"<< /Length %d >>" % len(content), content)
        write(
            number + 2,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>" % (width, height, len(pixels)),
            pixels,
        )
        kids.append(b"%d 0 R" % number)
    write(2, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (b" ".join(kids), len(kids)))
    xref = out.tell()
    size = 3 + 3 * len(kids)
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()
