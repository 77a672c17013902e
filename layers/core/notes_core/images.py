"""Which image type a file's first bytes say it is (its magic bytes)."""

MAGIC_BYTES_NEEDED = 32
# ISO base media file brands of HEIF images (HEIC and its variants).
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def matches(content_type: str, head: bytes) -> bool:
    """Whether `head` (a file's first bytes) begins an image of `content_type`."""
    match content_type:
        case "image/jpeg":
            return head.startswith(b"\xff\xd8\xff")
        case "image/png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        case "image/gif":
            return head.startswith((b"GIF87a", b"GIF89a"))
        case "image/webp":
            return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
        case "image/heic":
            return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
    return False
