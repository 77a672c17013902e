"""Images for the media tests, uploading them as a client would, and running the queue workers."""

import base64
from typing import Any

import requests

from local import template as tpl
from local.stack import LocalStack
from local.workers import QueuePoller

# The smallest files each type's magic bytes recognise (a real 1x1 PNG; headers for the others).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
IMAGES = {
    "image/png": PNG,
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40,
    "image/gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 40,
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40,
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40,
}


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
