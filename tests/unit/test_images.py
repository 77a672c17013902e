"""The worker's image check (notes_core.domain.images): a file is accepted only if its structure parses as
the declared type's format defines it; hostile, truncated, mislabelled and oversized files are not."""

import io
import struct
import zlib

import pytest
from PIL import Image

from notes_core.domain import images
from tests.support.media import IMAGES, PILLOW_FORMATS, image

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR (8-bit greyscale)."""
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))


def _png(width: int, height: int) -> bytes:
    """A complete greyscale PNG whose header says width x height (its pixel data need not decode:
    the check never decodes it)."""
    return _png_header(width, height) + _png_chunk(b"IDAT", zlib.compress(b"\x00")) + _png_chunk(b"IEND", b"")


@pytest.mark.parametrize("content_type", sorted(IMAGES))
def test_a_real_image_of_each_type_is_accepted(content_type: str) -> None:
    # Given a tiny image made by the library itself (HEIC through pillow-heif)
    data = IMAGES[content_type]

    # When it is checked as its type, Then it is accepted
    assert images.is_image(content_type, data)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        # The issue's two files: a valid PNG signature and IHDR followed by HTML, and GIF89a followed by a script
        ("image/png", _png_header(1, 1) + HTML),
        ("image/gif", b"GIF89a<script>alert(document.cookie)</script>"),
    ],
    ids=["png-header-then-html", "gif89a-then-script"],
)
def test_the_issues_hostile_files_are_refused(content_type: str, data: bytes) -> None:
    # Given files that begin with the type's magic bytes (what the worker checked before)
    assert data.startswith((b"\x89PNG\r\n\x1a\n", b"GIF89a"))

    # When they are checked, Then they are not images
    assert not images.is_image(content_type, data)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        # A GIF/JavaScript polyglot: `GIF89a=1;` parses as a script statement, not as a GIF header
        ("image/gif", b"GIF89a=1;alert(document.domain)//" + b"\x00" * 32),
        # An HTML page under a PNG signature
        ("image/png", b"\x89PNG\r\n\x1a\n" + HTML),
        # A JPEG's header (SOI, APP0, tables, SOF) and then a page instead of a scan
        ("image/jpeg", IMAGES["image/jpeg"][: IMAGES["image/jpeg"].index(b"\xff\xda")] + HTML),
        # A PNG whose chunks are intact but hold no image data (IHDR, then IEND)
        ("image/png", _png_header(1, 1) + _png_chunk(b"IEND", b"")),
        # A WebP whose RIFF header is followed by a page
        ("image/webp", b"RIFF" + struct.pack("<I", 4 + len(HTML)) + b"WEBP" + HTML),
        # An ISO BMFF file (an MP4's brand) declared as HEIC
        ("image/heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41" + HTML),
    ],
    ids=[
        "gif-js-polyglot",
        "png-signature-html",
        "jpeg-header-then-html",
        "png-without-idat",
        "webp-html",
        "mp4-as-heic",
    ],
)
def test_files_that_only_look_like_images_are_refused(content_type: str, data: bytes) -> None:
    assert not images.is_image(content_type, data)


@pytest.mark.parametrize(
    ("content_type", "cut"),
    [
        ("image/png", -12),  # without its IEND chunk
        ("image/png", len(IMAGES["image/png"]) // 2),  # in the middle of its chunks
        ("image/webp", -1),  # one byte short of what its RIFF header says
        ("image/jpeg", IMAGES["image/jpeg"].index(b"\xff\xda")),  # before its first scan
        ("image/gif", IMAGES["image/gif"].index(b",")),  # before its first image
        ("image/heic", 40),  # inside its boxes
    ],
    ids=["png-no-iend", "png-half", "webp-short", "jpeg-no-scan", "gif-no-image", "heic-boxes"],
)
def test_a_truncated_image_is_refused(content_type: str, cut: int) -> None:
    # Given a real image cut short where its structure shows it
    data = IMAGES[content_type][:cut]

    # When it is checked, Then it is refused
    assert not images.is_image(content_type, data)


@pytest.mark.parametrize(
    ("declared", "actual"),
    [(declared, actual) for declared in sorted(IMAGES) for actual in sorted(IMAGES) if declared != actual],
)
def test_an_image_of_another_type_is_refused(declared: str, actual: str) -> None:
    # Given a real image of one type (a JPEG declared as PNG, ...), When it is checked as another, Then it is refused
    assert not images.is_image(declared, IMAGES[actual])


def test_a_type_the_service_does_not_take_is_refused() -> None:
    assert not images.is_image("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>")


def test_an_image_over_the_pixel_limit_is_refused_and_one_at_it_is_accepted() -> None:
    # Given two PNGs of a few dozen bytes whose headers claim 9459 x 9459 (the limit, about 89.5
    # megapixels) and 9460 x 9460 pixels
    side = 9459
    assert side * side <= images.MAX_PIXELS < (side + 1) * (side + 1)

    # When they are checked, Then the one over the limit is refused (before any pixel is decoded)
    with pytest.warns(Warning, match="decompression bomb"):  # Pillow's own warning, past the same limit
        assert not images.is_image("image/png", _png(side + 1, side + 1))
    assert images.is_image("image/png", _png(side, side))


def test_a_png_with_a_broken_chunk_checksum_is_refused() -> None:
    # Given a real PNG one of whose pixel-data bytes changed (its IDAT's CRC no longer matches)
    data = bytearray(IMAGES["image/png"])
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF

    # When it is checked, Then it is refused
    assert not images.is_image("image/png", bytes(data))


def test_bytes_after_a_jpegs_end_are_accepted_as_phones_write_them() -> None:
    # Given a JPEG followed by more bytes after its end (EOI), as motion photos carry their video
    data = image("image/jpeg") + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64

    # When it is checked, Then it is accepted: only the image's own structure is parsed
    assert images.is_image("image/jpeg", data)


@pytest.mark.parametrize("content_type", sorted(PILLOW_FORMATS))
def test_a_larger_image_of_each_type_is_accepted(content_type: str) -> None:
    # Given a 640 x 480 image
    data = image(content_type, (640, 480))

    # When it is checked, Then it is accepted
    assert images.is_image(content_type, data)


@pytest.mark.parametrize("content_type", ["image/gif", "image/png", "image/webp"])
def test_an_animated_image_is_accepted(content_type: str) -> None:
    # Given an image of three frames
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    written = io.BytesIO()
    frames[0].save(written, format=PILLOW_FORMATS[content_type], save_all=True, append_images=frames[1:])

    # When it is checked, Then it is accepted
    assert images.is_image(content_type, written.getvalue())
