"""Safe storage of uploaded product images: sniffed by magic bytes, size and structure checked before
decoding (declared dimensions from the header, a truncated or short file refused), turned upright, stripped
of all metadata, re-encoded as WebP variants and written atomically under a random key.  A refused or failed
upload leaves nothing, and a refusal costs milliseconds, not a decode."""

import io
import math
import os
import re
import secrets
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps

from catalog.validators import CatalogValueError

MIB = 1024 * 1024
#: Longest side in pixels of each resized variant; "original" keeps the full size.
VARIANT_SIZES: dict[str, int] = {"thumb": 160, "card": 480, "full": 1600}
VARIANTS: tuple[str, ...] = ("original", *VARIANT_SIZES)
_WEBP_MAX_SIDE = 16383  # hard limit of the WebP format
_KEY_RE = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16)
_DISPLAY_NAMES = {"WEBP": "WebP"}
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"BM", "BMP"),
)
_FTYP_BRANDS = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    **dict.fromkeys((b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"), "HEIC"),
}


@dataclass(frozen=True)
class ImageRules:
    """Limits applied to an upload; the defaults suit product photos."""

    max_bytes: int = 8 * MIB
    max_pixels: int = 40_000_000
    #: Longest side in pixels (a product photo needs far less; a 20000-pixel strip is an attack).
    max_side: int = 10_000
    allowed_formats: frozenset[str] = frozenset({"JPEG", "PNG", "WEBP"})


DEFAULT_RULES = ImageRules()


@dataclass(frozen=True)
class StoredImage:
    """A stored upload: its key, upright pixel size and variant name -> file name."""

    key: str
    width: int
    height: int
    variants: dict[str, str]


class ImageError(CatalogValueError):
    """Base of the errors raised for a refused image upload."""


class ImageEmptyError(ImageError):
    """The uploaded file has no content."""

    code = "image.empty"
    template = _l("The uploaded file is empty.")


class ImageTooLargeError(ImageError):
    """The file is bigger than ``ImageRules.max_bytes`` (params: limit, in MB)."""

    code = "image.too_large"
    template = _l("The image is larger than %(limit)s MB. Please upload a smaller file.")


class ImageNotRecognisedError(ImageError):
    """The content is no image format we recognise (params: allowed)."""

    code = "image.not_an_image"
    template = _l("This file is not a recognised image. Accepted formats: %(allowed)s.")


class ImageFormatError(ImageError):
    """A recognised format outside ``ImageRules.allowed_formats`` (params: detected, allowed)."""

    code = "image.format"
    template = _l("The file is in %(detected)s format, which is not accepted. Accepted formats: %(allowed)s.")


class ImageTooManyPixelsError(ImageError):
    """More pixels than ``ImageRules.max_pixels`` (params: width, height, limit in millions)."""

    code = "image.too_many_pixels"
    template = _l("The image is %(width)s × %(height)s pixels; at most %(limit)s million pixels are allowed.")


class ImageSideTooLongError(ImageTooManyPixelsError):
    """A side longer than ``ImageRules.max_side`` (params: width, height, side)."""

    template = _l("The image is %(width)s × %(height)s pixels; no side may be longer than %(side)s pixels.")


class ImageBombError(ImageTooManyPixelsError):
    """Pillow's own decompression-bomb guard refused the image (params: limit in millions)."""

    template = _l("The image has too many pixels; at most %(limit)s million pixels are allowed.")


class ImageCorruptError(ImageError):
    """The file looks like an allowed format but cannot be decoded, e.g. it is truncated."""

    code = "image.corrupt"
    template = _l("The image file is damaged or incomplete and cannot be read.")


class InvalidImageKeyError(ImageError):
    """An image key is not the 32 lower-case hex digits that store_upload generates."""

    code = "image.invalid_key"
    template = _l("Invalid image key.")


class UnknownVariantError(ImageError):
    """A variant name is not one of ``VARIANTS`` (params: variant)."""

    code = "image.unknown_variant"
    template = _l('Unknown image variant "%(variant)s".')


def _number(value: float) -> str:
    """Format a limit compactly: 8.0 -> "8", 0.5 -> "0.5", 0.00095 -> "0.00095"."""
    return f"{value:.1f}".removesuffix(".0") if value >= 1 else f"{value:.2g}"


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit`` bytes, looping because ``read`` may return short."""
    buffer = bytearray()
    while len(buffer) < limit and (chunk := stream.read(min(MIB, limit - len(buffer)))):
        buffer += chunk
    return bytes(buffer)


def _sniff(data: bytes) -> str | None:
    """Return the format name (Pillow's where it has one) from magic bytes, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":  # ISO media: HEIC/AVIF photos or videos
        return _FTYP_BRANDS.get(data[8:12], "MP4")
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    return next((name for magic, name in _SIGNATURES if data.startswith(magic)), None)


def _to_clean_rgb(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """Return an sRGB "RGB"/"RGBA" copy built from pixel data only (no info, EXIF, ICC)."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    target = "RGBA" if keep_alpha else "RGB"
    converted = image.convert(target)
    icc = image.info.get("icc_profile")
    if icc and (image.mode, target) in (("RGB", "RGB"), ("CMYK", "RGB"), ("RGBA", "RGBA")):
        try:  # e.g. Display P3 phone photos: map colours to sRGB before dropping the profile
            source, srgb = ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, srgb, outputMode=target) or converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # unusable profile: keep the plain conversion
    clean = Image.new(target, converted.size)  # fresh image: empty info, no EXIF
    clean.paste(converted)
    return clean


#: Channels per PNG colour type (grey, RGB, palette, grey + alpha, RGBA).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: The seven passes of Adam7 interlacing: first column, first row, column step, row step.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _png_data_size(width: int, height: int, depth: int, colour: int, interlaced: bool) -> int | None:
    """How many bytes a PNG's image data inflate to (filter bytes included), ``None`` for a bad header."""
    channels = _PNG_CHANNELS.get(colour)
    if channels is None or depth not in (1, 2, 4, 8, 16):
        return None
    bits = depth * channels
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns, rows = math.ceil(max(width - x0, 0) / dx), math.ceil(max(height - y0, 0) / dy)
        if columns and rows:
            total += rows * (1 + math.ceil(columns * bits / 8))
    return total


def _png_intact(data: bytes) -> bool:
    """Whether a PNG is whole: its chunks run from IHDR to IEND and its image data inflate to exactly what
    the header declares (Pillow silently pads a complete but short data stream, decoding for seconds).

    Reads the chunk headers and inflates the data in 1 MiB steps, keeping nothing: fast and small.
    """
    position, idat = 8, []
    header: tuple[int, ...] | None = None
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if len(body) < length or position + 12 + length > len(data):
            return False  # cut inside a chunk
        if header is None:
            if kind != b"IHDR" or length != 13:
                return False
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        position += 12 + length
    else:
        return False  # no IEND: the file ends early
    if header is None or not idat:
        return False
    width, height, depth, colour, _compression, _filter, interlace = header
    expected = _png_data_size(width, height, depth, colour, interlace == 1)
    if expected is None:
        return False
    inflater, produced = zlib.decompressobj(), 0
    try:
        for body in idat:
            pending = body
            while pending and not inflater.eof:
                produced += len(inflater.decompress(pending, MIB))
                if produced > expected:
                    return False
                pending = inflater.unconsumed_tail
    except zlib.error:
        return False
    return inflater.eof and produced == expected


def _intact(data: bytes, fmt: str) -> bool:
    """Whether ``data`` holds a whole image of ``fmt``, judged from its structure before any decoding."""
    if fmt == "PNG":
        return _png_intact(data)
    if fmt == "JPEG":  # the end-of-image marker comes after the last scan (phones may append data after it)
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") > 0
    if fmt == "WEBP":  # the RIFF header says how long the file is
        return len(data) >= 12 and int.from_bytes(data[4:8], "little") + 8 <= len(data)
    return True


def _decode(data: bytes, fmt: str, rules: ImageRules) -> Image.Image:
    """Check the declared size and the structure, verify and decode ``data`` with the ``fmt`` plugin only;
    return clean pixels. Everything that can be refused is refused before the pixels are decoded."""
    limit = _number(rules.max_pixels / 1e6)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            width, height = probe.size  # header only, nothing decoded
            if width * height > rules.max_pixels:
                raise ImageTooManyPixelsError(width=width, height=height, limit=limit)
            if max(width, height) > rules.max_side:
                raise ImageSideTooLongError(width=width, height=height, side=rules.max_side)
            if not _intact(data, fmt):
                raise ImageCorruptError()
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()
            keep_alpha = fmt != "JPEG" and (
                image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
            )
            try:
                upright = ImageOps.exif_transpose(image)
            except (OSError, ValueError, KeyError, TypeError, SyntaxError):
                upright = image  # unreadable EXIF: keep the pixels as stored
            return _to_clean_rgb(upright, keep_alpha)
    except (CatalogValueError, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global guard fired first (only if it is stricter than ours,
        # or when warnings are turned into errors); it is never changed here.
        raise ImageBombError(limit=limit) from exc
    except Exception as exc:  # any decoder failure, e.g. UnidentifiedImageError, OSError
        raise ImageCorruptError() from exc


def _shrink(image: Image.Image, side: int) -> Image.Image:
    """Return ``image`` scaled so its longest side is at most ``side``; never upscales."""
    scale = side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_webp(image: Image.Image) -> bytes:
    """Encode ``image`` as WebP without any metadata."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=82, method=4, exif=b"", xmp="")
    return buffer.getvalue()


def _atomic_write(target: Path, blob: bytes) -> None:
    """Write ``blob`` to ``target`` via a temporary file and ``os.replace``."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def variant_path(upload_dir: Path, key: str, variant: str) -> Path:
    """Return the file path of ``variant`` of image ``key`` inside ``upload_dir``.

    Raises InvalidImageKeyError unless ``key`` is 32 lower-case hex digits and
    UnknownVariantError unless ``variant`` is in VARIANTS, so no path can escape.
    """
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidImageKeyError()
    if variant not in VARIANTS:
        raise UnknownVariantError(variant=str(variant))
    return Path(upload_dir) / f"{key}_{variant}.webp"


def open_upload(stream: IO[bytes], *, rules: ImageRules = DEFAULT_RULES) -> Image.Image:
    """The clean, upright pixels of an uploaded image, checked exactly as :func:`store_upload` checks them
    (size, magic bytes, allowed format, declared pixels, structure) before anything is decoded; nothing is
    stored. Raises the same :class:`ImageError` subclasses."""
    data = _read_limited(stream, rules.max_bytes + 1)
    if not data:
        raise ImageEmptyError()
    if len(data) > rules.max_bytes:
        raise ImageTooLargeError(limit=_number(rules.max_bytes / MIB))
    allowed = ", ".join(_DISPLAY_NAMES.get(f, f) for f in sorted(rules.allowed_formats))
    fmt = _sniff(data)
    if fmt is None:
        raise ImageNotRecognisedError(allowed=allowed)
    if fmt not in rules.allowed_formats:
        raise ImageFormatError(detected=_DISPLAY_NAMES.get(fmt, fmt), allowed=allowed)
    return _decode(data, fmt, rules)


def store_upload(stream: IO[bytes], upload_dir: Path, *, rules: ImageRules = DEFAULT_RULES) -> StoredImage:
    """Validate an uploaded image, normalise it and store it with all variants as WebP.

    Raises ImageEmptyError, ImageTooLargeError, ImageNotRecognisedError, ImageFormatError,
    ImageTooManyPixelsError (ImageSideTooLongError) or ImageCorruptError (truncated or short files too) for a
    refused upload (nothing is written),
    and OSError if writing fails (files already written for this upload are removed).
    """
    original = _shrink(open_upload(stream, rules=rules), _WEBP_MAX_SIDE)
    blobs = {"original": _encode_webp(original)}
    source = original
    for name, side in sorted(VARIANT_SIZES.items(), key=lambda item: -item[1]):
        source = _shrink(source, side)  # largest first, each made from the previous
        blobs[name] = _encode_webp(source)

    Path(upload_dir).mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)  # 128 random bits: collisions are not a concern
    written: list[Path] = []
    try:
        for name, blob in blobs.items():
            written.append(variant_path(upload_dir, key, name))
            _atomic_write(written[-1], blob)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    variants = {name: path.name for name, path in zip(blobs, written, strict=True)}
    return StoredImage(key=key, width=original.width, height=original.height, variants=variants)


def delete_image(upload_dir: Path, key: str) -> bool:
    """Delete every variant file of image ``key``; return True if any file existed.

    Raises InvalidImageKeyError for a malformed key (nothing is touched then).
    """
    paths = [variant_path(upload_dir, key, variant) for variant in VARIANTS]  # validates first
    existing = [path for path in paths if path.exists()]
    for path in existing:
        path.unlink(missing_ok=True)
    return bool(existing)
