"""The media-events worker's rules: what to do with each message of the media-events queue.

Messages are S3 notifications (ObjectCreated, ObjectRemoved, the s3:TestEvent S3 sends when the
notification is configured) and this service's own reservation-expiry messages. Every message may
arrive more than once: each step below is safe to repeat. A failure raises, so that message (and
only it) is retried by SQS and ends in the dead-letter queue if it keeps failing.

An uploaded image is accepted only if its reservation exists, is still pending and has not expired,
its note is not deleted, its size is within the declared size (and the limit), and it parses as an
image of the declared type (notes_core.domain.images). Otherwise the object is deleted and the
image, if listed, is marked rejected.
"""

import time
from typing import Any
from urllib.parse import unquote_plus
from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.contract.bodies.media import MAX_MEDIA_BYTES
from notes_core.data import queues, storage, table
from notes_core.domain import images
from notes_core.domain.caller import system_caller
from notes_core.domain.note import media_key
from notes_core.engine import changes
from notes_core.runtime.config import MediaSettings, NotesSettings, load_settings
from notes_core.runtime.observability import logger, metrics
from notes_core.usecases.media import RESERVATION_EXPIRY

_settings = load_settings(MediaSettings)
_notes_settings = load_settings(NotesSettings)


def handle(message: dict[str, Any]) -> None:
    if message.get("type") == RESERVATION_EXPIRY:
        _expire(message["user_id"], message["note_id"], message["media_id"])
        return
    if message.get("Event") == "s3:TestEvent":
        return
    for record in message.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 event keys arrive URL-encoded
        event = record.get("eventName", "")
        if event.startswith("ObjectCreated"):
            _on_created(key)
        elif event.startswith("ObjectRemoved"):
            _on_removed(key)


def _parse(key: str) -> tuple[str, str, str | None] | None:
    """("media", user, (note, media)) or ("photo", user, None) for our keys; None for others."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "media" and all(_is_uuid(part) for part in parts[2:]):
        return "media", parts[1], f"{parts[2]}/{parts[3]}"
    if len(parts) == 3 and parts[0] == "photos" and parts[2] == "profile":
        return "photo", parts[1], None
    return None


def _is_uuid(value: str) -> bool:
    try:
        return str(UUID(value)) == value
    except ValueError:
        return False


def _on_created(key: str) -> None:
    parsed = _parse(key)
    if parsed is None:
        logger.info("ignored an object outside media/ and photos/", extra={"key": key})
        return
    kind, user_id, rest = parsed
    if kind == "photo":
        _check_photo(user_id, key)
        return
    assert rest is not None
    note_id, media_id = rest.split("/")
    _check_media(user_id, note_id, media_id, key)


def _check_media(user_id: str, note_id: str, media_id: str, key: str) -> None:
    note = table.get_note(user_id, note_id)
    reserved = note.find_media(media_id) if note is not None and not note.deleted else None
    if reserved is None or reserved.status == "rejected":
        storage.delete(key)  # nobody is waiting for this object
        return
    stored = storage.head(key)
    if stored is None:
        return  # an event about an object deleted since: nothing to check
    if reserved.status == "ready" and stored.etag == reserved.etag:
        return  # a redelivered event of the accepted object
    # A pending upload, or another object posted over an accepted one (the link is reusable until
    # it expires): either way this object must pass the checks.
    fresh = reserved.status == "pending" and int(time.time()) <= reserved.reserved_until
    accepted = fresh and _verdict(key, stored, reserved.content_type, reserved.size)
    if accepted is None:
        return  # replaced or deleted since the head: the newer object's own event decides
    if not accepted:
        storage.delete(key)
    metrics.add_metric(name="ImagesAccepted" if accepted else "ImagesRejected", unit=MetricUnit.Count, value=1)
    change = (
        changes.SettleMedia(note_id, media_id, "ready", stored.etag, stored.size)
        if accepted
        else changes.SettleMedia(note_id, media_id, "rejected")
    )
    (outcome,) = changes.apply(system_caller(user_id), [change], _notes_settings)
    if accepted and outcome.status is not changes.Status.UPDATED:
        storage.delete(key)  # the image left the note meanwhile


def _verdict(key: str, stored: storage.StoredObject, content_type: str, declared_size: int) -> bool | None:
    """Whether the object passes the checks; None when it is no longer the object `stored` describes.

    The size is checked before a byte is read, so at most MAX_MEDIA_BYTES are ever read."""
    if stored.size > min(declared_size, MAX_MEDIA_BYTES) or stored.content_type.lower() != content_type:
        return False
    data = storage.read(key, stored.etag)
    if data is None:
        return None
    return images.is_image(content_type, data)


def _check_photo(user_id: str, key: str) -> None:
    user = table.get_user(user_id)
    stored = storage.head(key)
    if stored is None or (user.photo is not None and user.photo.etag == stored.etag):
        return  # gone since, or a redelivered event of the accepted photo
    declared = user.photo_pending
    now = int(time.time())
    accepted = (
        declared is not None
        and now <= declared.at + 120
        and _verdict(key, stored, declared.content_type, declared.size)
    )
    if accepted is None:
        return  # replaced or deleted since the head: the newer object's own event decides
    if accepted:
        assert declared is not None
        table.settle_photo(user_id, table.Photo(declared.content_type, stored.size, now, stored.etag))
        return
    storage.delete(key)  # the photo it replaced is gone too: one key holds the profile photo
    table.settle_photo(user_id, None)


def _on_removed(key: str) -> None:
    parsed = _parse(key)
    if parsed is None or parsed[0] != "media" or storage.head(key) is not None:
        return
    assert parsed[2] is not None
    note_id, media_id = parsed[2].split("/")
    note = table.get_note(parsed[1], note_id)
    listed = note.find_media(media_id) if note is not None and not note.deleted else None
    if listed is not None and listed.status == "ready":  # the object went away under the note
        change = changes.RemoveMedia(note_id, media_id)
        changes.apply(system_caller(parsed[1]), [change], _notes_settings)


def _expire(user_id: str, note_id: str, media_id: str) -> None:
    """The reservation's time is up: drop it if its upload never came, and any late object."""
    note = table.get_note(user_id, note_id)
    reserved = note.find_media(media_id) if note is not None and not note.deleted else None
    key = media_key(user_id, note_id, media_id)
    if reserved is not None and reserved.status != "pending":
        return
    remaining = reserved.reserved_until - int(time.time()) if reserved is not None else 0
    if remaining > 0:  # SQS delays reach 15 minutes at most: look again later
        message = {"type": RESERVATION_EXPIRY, "user_id": user_id, "note_id": note_id, "media_id": media_id}
        queues.send(_settings.media_events_queue_url, message, delay_seconds=remaining)
        return
    if reserved is not None:
        changes.apply(system_caller(user_id), [changes.RemoveMedia(note_id, media_id)], _notes_settings)
    storage.delete(key)
