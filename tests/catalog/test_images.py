"""Tests for catalog.images: every test image is generated here with Pillow, none is committed."""

import io
import os
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from catalog import images as im

RED = (255, 0, 0)
BAD_KEYS = ["../etc/passwd", "../" + "0" * 29, "A" * 32, "0" * 31, "0" * 33, "g" * 32, "", "0" * 32 + "\n"]


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Return ``image`` encoded in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def store(data: bytes, upload_dir: Path, rules: im.ImageRules | None = None) -> im.StoredImage:
    """Store ``data`` as if it had been uploaded."""
    return im.store_upload(io.BytesIO(data), upload_dir, rules=rules or im.ImageRules())


def open_variant(upload_dir: Path, stored: im.StoredImage, variant: str) -> Image.Image:
    """Open a stored variant fully loaded."""
    with Image.open(upload_dir / stored.variants[variant]) as image:
        image.load()
        return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at ``xy`` as a tuple of channel values."""
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return tuple(int(channel) for channel in value)


def png_header_only(width: int, height: int) -> bytes:
    """A small, well-formed PNG that declares ``width`` x ``height`` 1-bit pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def noise(size: tuple[int, int]) -> Image.Image:
    """An incompressible RGB image."""
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def assert_nothing_written(upload_dir: Path) -> None:
    """The upload directory was not created, or is still empty."""
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def test_jpeg_is_turned_upright_and_loses_all_exif_and_gps(upload_dir: Path) -> None:
    photo = Image.new("RGB", (60, 40), "white")
    photo.paste(RED, (0, 0, 10, 10))  # marks the stored top-left corner
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 1.0)}  # lat/long
    data = encode(photo, "JPEG", exif=exif, quality=95)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input has GPS
    stored = store(data, upload_dir)
    assert (stored.width, stored.height) == (40, 60)
    for variant in im.VARIANTS:
        raw = (upload_dir / stored.variants[variant]).read_bytes()
        assert b"Exif" not in raw and b"SecretCam" not in raw and b"XMP" not in raw
        image = open_variant(upload_dir, stored, variant)
        assert image.format == "WEBP"
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
    upright = open_variant(upload_dir, stored, "original")
    assert upright.size == (40, 60)
    red, green, _blue = pixel(upright.convert("RGB"), (35, 4))  # now at the top-right corner
    assert red > 200 and green < 80


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_with_alpha_keep_their_transparency(upload_dir: Path, fmt: str) -> None:
    picture = Image.new("RGBA", (50, 30), (0, 128, 0, 0))
    picture.paste((0, 0, 255, 255), (0, 0, 25, 30))
    stored = store(encode(picture, fmt, lossless=True), upload_dir)
    assert (stored.width, stored.height) == (50, 30)
    for variant in im.VARIANTS:
        image = open_variant(upload_dir, stored, variant)
        assert image.mode == "RGBA"
        assert image.getchannel("A").getextrema() == (0, 255)


def test_palette_png_with_transparency_becomes_rgba(upload_dir: Path) -> None:
    picture = Image.new("P", (20, 20), 1)
    picture.putpalette([0, 0, 0, 255, 0, 0])
    picture.paste(0, (0, 0, 10, 20))
    stored = store(encode(picture, "PNG", transparency=0), upload_dir)
    image = open_variant(upload_dir, stored, "original")
    assert image.mode == "RGBA" and pixel(image, (2, 2))[3] == 0 and pixel(image, (15, 15))[3] == 255


def test_cmyk_16_bit_and_colour_managed_images_are_converted_sensibly(upload_dir: Path) -> None:
    stored = store(encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG"), upload_dir)
    red, green, _blue = pixel(open_variant(upload_dir, stored, "original"), (10, 10))
    assert red > 200 and green < 60
    stored = store(encode(Image.new("I;16", (20, 20), 32768), "PNG"), upload_dir)
    value = open_variant(upload_dir, stored, "original").getpixel((10, 10))
    assert isinstance(value, tuple) and 100 < value[0] < 156  # mid-grey, not clipped to white
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (20, 20), (10, 120, 240)), "JPEG", icc_profile=srgb, quality=95)
    stored = store(data, upload_dir)
    image = open_variant(upload_dir, stored, "original")
    assert "icc_profile" not in image.info
    assert all(abs(a - b) < 12 for a, b in zip(pixel(image, (10, 10)), (10, 120, 240), strict=True))


def test_variants_never_exceed_their_size_and_never_upscale(upload_dir: Path) -> None:
    for size in [(2000, 1000), (300, 2000), (100, 50), (1600, 3)]:
        stored = store(encode(Image.new("RGB", size, RED), "PNG"), upload_dir)
        assert (stored.width, stored.height) == size
        assert open_variant(upload_dir, stored, "original").size == size
        for variant, side in im.VARIANT_SIZES.items():
            width, height = open_variant(upload_dir, stored, variant).size
            assert max(width, height) == min(side, max(size))
            scale = min(1.0, side / max(size))  # aspect ratio kept to within a pixel
            assert abs(width - size[0] * scale) <= 1 and abs(height - size[1] * scale) <= 1


def test_stored_files_use_the_random_key_and_no_temporary_file_remains(upload_dir: Path) -> None:
    first = store(encode(Image.new("RGB", (10, 10)), "PNG"), upload_dir)
    second = store(encode(Image.new("RGB", (10, 10)), "PNG"), upload_dir)
    assert first.key != second.key and len(first.key) == 32 and int(first.key, 16) >= 0
    names = sorted(path.name for path in upload_dir.iterdir())
    assert names == sorted([*first.variants.values(), *second.variants.values()])
    for variant, name in first.variants.items():
        assert im.variant_path(upload_dir, first.key, variant) == upload_dir / name
        assert (upload_dir / name).stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "data, detected",
    [
        (encode(Image.new("P", (10, 10)), "GIF"), "GIF"),
        (encode(Image.new("RGB", (10, 10)), "PDF"), "PDF"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC"),
        (b"<?xml version='1.0'?><svg/>", "SVG"),
        (b"BM" + bytes(60), "BMP"),
    ],
)
def test_refuses_gif_pdf_and_other_formats_renamed_to_jpg(
    tmp_path: Path, upload_dir: Path, data: bytes, detected: str
) -> None:
    renamed = tmp_path / "photo.jpg"  # neither the name nor the claimed type is trusted
    renamed.write_bytes(data)
    with renamed.open("rb") as stream, pytest.raises(im.ImageFormatError) as caught:
        im.store_upload(stream, upload_dir)
    assert caught.value.code == "image.format"
    assert caught.value.params == {"detected": detected, "allowed": "JPEG, PNG, WebP"}
    message = f"The file is in {detected} format, which is not accepted. Accepted formats: JPEG, PNG, WebP."
    assert str(caught.value) == message
    assert_nothing_written(upload_dir)


@pytest.mark.parametrize(
    "data, rules, code, says",
    [
        (b"", im.DEFAULT_RULES, "image.empty", "The uploaded file is empty."),
        (b"Not a photo, just some text.\n", im.DEFAULT_RULES, "image.not_an_image", "not a recognised image"),
        (encode(noise((300, 300)), "PNG"), im.ImageRules(max_bytes=256 * 1024), "image.too_large", "0.25 MB"),
        (png_header_only(5000, 3000), im.ImageRules(max_pixels=10**7), "image.too_many_pixels", "× 3000"),
    ],
    ids=["empty", "text-renamed-jpg", "oversize", "over-pixel-limit"],
)
def test_refusals_say_what_is_wrong_and_write_nothing(
    tmp_path: Path, upload_dir: Path, data: bytes, rules: im.ImageRules, code: str, says: str
) -> None:
    renamed = tmp_path / "photo.jpg"
    renamed.write_bytes(data)
    with renamed.open("rb") as stream, pytest.raises(im.ImageError) as caught:
        im.store_upload(stream, upload_dir, rules=rules)
    assert isinstance(caught.value, ValueError) and caught.value.code == code
    assert says in str(caught.value) and str(caught.value) == str(caught.value.message)
    assert_nothing_written(upload_dir)


def test_refusal_messages_are_complete_sentences(upload_dir: Path) -> None:
    with pytest.raises(im.ImageTooManyPixelsError) as caught:
        store(png_header_only(5000, 3000), upload_dir, im.ImageRules(max_pixels=10_000_000))
    assert not isinstance(caught.value, im.ImageBombError)
    assert caught.value.params == {"width": 5000, "height": 3000, "limit": "10"}
    assert str(caught.value) == "The image is 5000 × 3000 pixels; at most 10 million pixels are allowed."
    with pytest.raises(im.ImageNotRecognisedError) as not_image:
        store(b"Not a photo.", upload_dir)
    assert str(not_image.value) == "This file is not a recognised image. Accepted formats: JPEG, PNG, WebP."


@pytest.mark.parametrize(
    "data",
    [
        *(data[: len(data) // 2] for data in (encode(noise((200, 200)), f) for f in ("JPEG", "PNG", "WEBP"))),
        b"\xff\xd8\xff" + bytes(range(256)) * 2,  # JPEG magic followed by garbage
    ],
)
def test_refuses_truncated_or_garbled_image(upload_dir: Path, data: bytes) -> None:
    with pytest.raises(im.ImageCorruptError) as caught:
        store(data, upload_dir)
    assert caught.value.code == "image.corrupt"
    assert_nothing_written(upload_dir)


class EndlessStream(io.BytesIO):
    """A stream of zero bytes that never ends and counts what was read from it."""

    served = 0

    def read(self, size: int | None = -1, /) -> bytes:
        size = 100 if size is None or size < 0 else min(size, 100)  # short reads, like a socket
        self.served += size
        return bytes(size)


@pytest.mark.parametrize("rules, limit", [(im.ImageRules(max_bytes=1000), "0.00095"), (im.ImageRules(), "8")])
def test_reads_at_most_one_byte_more_than_the_limit(
    upload_dir: Path, rules: im.ImageRules, limit: str
) -> None:
    stream = EndlessStream()
    with pytest.raises(im.ImageTooLargeError) as caught:
        im.store_upload(stream, upload_dir, rules=rules)
    assert stream.served == rules.max_bytes + 1
    assert f"larger than {limit} MB" in str(caught.value)
    assert_nothing_written(upload_dir)


@pytest.mark.parametrize("size", [(20000, 20000), (10000, 10000)])
def test_refuses_decompression_bomb_without_touching_pillow_settings(
    upload_dir: Path, size: tuple[int, int]
) -> None:
    limit_before, data = Image.MAX_IMAGE_PIXELS, png_header_only(*size)
    with pytest.raises(im.ImageTooManyPixelsError) as caught:
        store(data, upload_dir)  # a 100-byte file
    assert caught.value.code == "image.too_many_pixels"
    assert "at most 40 million pixels" in str(caught.value)
    assert limit_before == Image.MAX_IMAGE_PIXELS
    assert_nothing_written(upload_dir)


def test_a_failed_write_leaves_nothing_behind(upload_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    calls: list[Path] = []

    def flaky_replace(source: str, target: Path) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", flaky_replace)  # the module calls os.replace at run time
    with pytest.raises(OSError, match="disk full"):
        store(encode(Image.new("RGB", (10, 10)), "PNG"), upload_dir)
    assert list(upload_dir.iterdir()) == []


@pytest.mark.parametrize(
    "key, variant, error",
    [
        *((key, "thumb", im.InvalidImageKeyError) for key in BAD_KEYS),
        *(("0" * 32, name, im.UnknownVariantError) for name in ["../etc/passwd", "huge", "", "THUMB"]),
    ],
)
def test_variant_path_refuses_malformed_keys_and_unknown_variants(
    tmp_path: Path, key: str, variant: str, error: type[im.ImageError]
) -> None:
    with pytest.raises(error):
        im.variant_path(tmp_path, key, variant)


def test_delete_image_removes_every_variant(upload_dir: Path) -> None:
    kept = store(encode(Image.new("RGB", (10, 10)), "PNG"), upload_dir)
    doomed = store(encode(Image.new("RGB", (10, 10)), "PNG"), upload_dir)
    assert im.delete_image(upload_dir, doomed.key) is True
    assert sorted(path.name for path in upload_dir.iterdir()) == sorted(kept.variants.values())
    assert im.delete_image(upload_dir, doomed.key) is False
    with pytest.raises(im.InvalidImageKeyError):
        im.delete_image(upload_dir, "../" + kept.key[3:])


def png_of(width: int, height: int, raw: bytes, *, colour: int = 2, interlace: int = 0) -> bytes:
    """A PNG (8 bits per sample) whose image data are ``raw`` deflated: complete chunks, correct CRCs."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("rows", [1900, 950, 2], ids=["whole", "half", "two-rows"])
def test_a_20000_pixel_strip_is_refused_from_its_header_in_milliseconds(upload_dir: Path, rows: int) -> None:
    data = png_of(20000, 1900, (b"\0" + bytes(20000 * 3)) * rows)  # 38 million pixels: under the pixel limit
    started = time.perf_counter()
    with pytest.raises(im.ImageSideTooLongError) as caught:
        store(data, upload_dir)
    assert time.perf_counter() - started < 0.5  # it cost 2.4 s and more of a worker, and was accepted
    assert "no side may be longer than 10000 pixels" in str(caught.value)
    assert_nothing_written(upload_dir)


def test_a_png_whose_data_stop_short_is_refused_before_decoding(upload_dir: Path) -> None:
    row = b"\0" + bytes(2000 * 3)
    whole = png_of(2000, 2000, row * 2000)
    assert store(whole, upload_dir).width == 2000
    for raw in (row * 1000, row * 1999, row * 2000 + b"\0"):  # Pillow pads the short ones silently
        started = time.perf_counter()
        with pytest.raises(im.ImageCorruptError):
            store(png_of(2000, 2000, raw), upload_dir / "refused")
        assert time.perf_counter() - started < 0.5
    assert_nothing_written(upload_dir / "refused")


def test_interlaced_pngs_are_measured_by_their_seven_passes(upload_dir: Path) -> None:
    # 5 × 5 grey, Adam7: passes of 1×1, 1×1, 2×1, 1×2, 3×1, 2×3 and 5×2 pixels, each row with a filter byte
    size = 2 + 2 + 3 + 2 * 2 + 4 + 3 * 3 + 2 * 6
    assert store(png_of(5, 5, bytes(size), colour=0, interlace=1), upload_dir).width == 5
    with pytest.raises(im.ImageCorruptError):
        store(png_of(5, 5, bytes(size - 1), colour=0, interlace=1), upload_dir)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_without_its_end_and_webp_shorter_than_it_says_are_refused(upload_dir: Path, fmt: str) -> None:
    data = encode(noise((64, 64)), fmt)
    cut = data[: data.rfind(b"\xff\xd9")] if fmt == "JPEG" else data[:-1]
    with pytest.raises(im.ImageCorruptError):
        store(cut, upload_dir)
    assert_nothing_written(upload_dir)
