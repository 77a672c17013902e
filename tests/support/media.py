"""Images for the media tests, uploading them as a client would, and running the queue workers."""

import io
from typing import Any

import pillow_heif
import requests
from PIL import Image

from local import template as tpl
from local.stack import LocalStack
from local.workers import QueuePoller

# Pillow's format name for each type the service takes (HEIC through pillow-heif's plugin).
PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
pillow_heif.register_heif_opener()


def image(content_type: str, size: tuple[int, int] = (8, 8), **options: Any) -> bytes:
    """A real image of `content_type`, made by the library the worker checks it with."""
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    written = io.BytesIO()
    picture.save(written, format=PILLOW_FORMATS[content_type], **options)
    return written.getvalue()


# A tiny valid image of each type (HEIC: 8x8, ~500 bytes).
IMAGES = {content_type: image(content_type) for content_type in PILLOW_FORMATS}
PNG = IMAGES["image/png"]
# Issue 17's two files, which the worker once marked ready: a PNG's signature and IHDR followed by
# HTML, and GIF89a followed by a script.
PNG_HEADER_THEN_HTML = PNG[:33] + b"<html><body><script>alert(document.cookie)</script></body></html>"
GIF89A_THEN_SCRIPT = b"GIF89a<script>alert(document.cookie)</script>"


def post_upload(upload: dict[str, Any], data: bytes, content_type: str | None = None) -> int:
    """POST the file to a presigned upload, as a mobile client does; the HTTP status."""
    fields = dict(upload["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    reply = requests.post(upload["url"], data=fields, files={"file": ("image", data)}, timeout=30)
    return reply.status_code


class Workers:
    """The template's queue consumers, run on demand; a message they fail is delivered again at
    once (not after the visibility timeout), so SQS's retries and redrive show in a test."""

    def __init__(self, stack: LocalStack) -> None:
        self.pollers = {
            source.queue: QueuePoller(stack, source, stack.functions, retry_after_seconds=0)
            for source in tpl.queue_sources(stack.provisioned.template)
        }

    def drain(self, rounds: int = 10) -> None:
        """Deliver everything visible now on every consumed queue (and what that produces)."""
        for _ in range(rounds):
            if not sum(poller.poll_once() for poller in self.pollers.values()):
                return
