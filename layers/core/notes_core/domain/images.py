"""Whether an uploaded file is an image of the type it was declared as: its structure parsed by
Pillow (and pillow-heif for HEIC) as the format defines it.

What is parsed, per type (docs/images.md says the same):
- PNG: the signature, then every chunk up to IEND, each with its CRC (`verify()`), an IDAT among them;
- JPEG: the segments from SOI up to the first scan (SOS), which must be there, with the frame
  header (SOF) giving the dimensions;
- GIF: the header, the logical screen descriptor, the colour table and the blocks up to the first
  image descriptor;
- WebP: the RIFF container and every chunk in it against the file's length, and each frame's
  header (libwebp's demuxer);
- HEIC: the ISO BMFF boxes (libheif): a HEIF brand, the primary image and its properties.
Pixels are not decoded: the cost of a check grows with the file (at most 10 MiB), never with what
its header claims, so a decompression bomb or a progressive JPEG of many scans costs what its bytes
cost (bench/image_check.py). Images over MAX_PIXELS are refused all the same: every client that
shows one decodes it.

The libraries are imported by the first check, so only the media-events worker loads them, and a
type's plugin only when a file of that type is checked.
"""

import io
from functools import cache
from importlib import import_module

from notes_core.runtime.observability import logger

# Pillow's own decompression-bomb threshold (PIL.Image.MAX_IMAGE_PIXELS, ~89.5 megapixels, e.g.
# 9459 x 9459; Pillow only warns up to twice it): 358 MB as RGBA in a client that shows the image.
MAX_PIXELS = 89_478_485

# Pillow's own parsers name where the image data starts (`tile`, Pillow's plugin interface); a
# header that names none announces no image. libwebp and libheif find the frames themselves.
_LOCATES_DATA = {"JPEG", "PNG", "GIF"}
# Pillow's name of each type's format, and the plugin module that reads it.
_FORMATS = {
    "image/jpeg": ("JPEG", "PIL.JpegImagePlugin"),
    "image/png": ("PNG", "PIL.PngImagePlugin"),
    "image/gif": ("GIF", "PIL.GifImagePlugin"),
    "image/webp": ("WEBP", "PIL.WebPImagePlugin"),
    "image/heic": ("HEIF", "pillow_heif"),
}


def is_image(content_type: str, data: bytes) -> bool:
    """Whether `data` parses as an image of `content_type`, no larger than MAX_PIXELS."""
    from PIL import Image

    if content_type not in _FORMATS:
        return False
    pillow_format = _load_plugin(content_type)
    try:
        # Only the declared type's plugin looks at the file: a JPEG declared as PNG is no PNG, and
        # no other format's parser ever sees what a client sent.
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            if image.width * image.height > MAX_PIXELS:
                logger.info("refused an image over the pixel limit", extra={"size": image.size})
                return False
            if pillow_format in _LOCATES_DATA and not image.tile:
                logger.info("refused a header without image data", extra={"type": content_type})
                return False
            image.verify()
    # Whatever the parser raises, the file is not an image of its type. Pillow's own fuzzing
    # expects OSError, SyntaxError, ValueError, MemoryError, NotImplementedError, OverflowError and
    # its DecompressionBombError (Tests/oss-fuzz/test_fuzzers.py), and hostile files raise more (a
    # PNG without image data: IndexError from verify()). Letting one escape would fail the message
    # until the dead-letter queue's alarm called an operator about a user's bad file.
    except Exception as error:
        logger.info("refused a file that does not parse", extra={"type": content_type, "error": repr(error)[:200]})
        return False
    return True


def _load_plugin(content_type: str) -> str:
    """Pillow's name of the type's format, after importing its plugin: Image.open with only the
    plugins Pillow preloads would otherwise import every plugin it has to look for the format."""
    pillow_format, module = _FORMATS[content_type]
    if module == "pillow_heif":
        _register_heif()
    else:
        import_module(module)
    return pillow_format


@cache
def _register_heif() -> None:
    import pillow_heif

    # Thumbnails, depth maps and auxiliary images are not checked, so not read either.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
