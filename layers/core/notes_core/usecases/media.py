"""Images on notes and the profile photo: upload slots, what is known about them, removal.

An upload goes straight from the client to S3 with a presigned POST; the media-events worker
(notes_core.usecases.media_events) then checks what arrived. A slot is reserved before the link is
handed out, in the same kind of transaction as any change to the note, conditioned on the note's
version, so at most five images (pending or ready) count, however many requests race. A reservation
whose upload never arrives stops counting when it expires; a delayed message to the media-events
queue, sent before the reservation is made, then removes it and deletes any object that came too
late.
"""

import time
import uuid

from notes_core.contract.bodies.media import (
    MAX_MEDIA_BYTES,
    MEDIA_TYPES,
    MediaReply,
    MediaUploadRequest,
    PhotoUploadReply,
    PresignedPost,
    UploadReply,
    UploadRequest,
)
from notes_core.data import cdn, queues, storage, table
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.domain.note import Media, media_key, now_rfc3339, photo_key
from notes_core.engine import changes
from notes_core.runtime.config import MediaSettings, NotesSettings, load_settings

_settings = load_settings(MediaSettings)
_notes_settings = load_settings(NotesSettings)

RESERVATION_EXPIRY = "reservation-expiry"  # the media-events message that ends a reservation


def _check_declared(request: UploadRequest) -> None:
    if request.content_type not in MEDIA_TYPES:
        raise errors.UnsupportedMediaType(f"Images must be one of {', '.join(MEDIA_TYPES)}.")
    if request.size > MAX_MEDIA_BYTES:
        raise errors.PayloadTooLarge(f"Images may be at most {MAX_MEDIA_BYTES} bytes.")


def request_upload(caller: Caller, note_id: str, request: MediaUploadRequest) -> tuple[UploadReply, bool]:
    """The image's slot, and whether it is new. A media id the client chose names its slot: asked
    again with the same type and size, the same slot is answered (a pending one renewed, with a
    fresh form; a checked one as it stands, with none), so a retry never takes a second place."""
    _check_declared(request)
    media_id = str(request.media_id or uuid.uuid4())
    now = int(time.time())
    expiry = {"type": RESERVATION_EXPIRY, "user_id": caller.user_id, "note_id": note_id, "media_id": media_id}
    queues.send(_settings.media_events_queue_url, expiry, delay_seconds=_settings.reservation_seconds)
    reserved = Media(
        media_id,
        "pending",
        request.content_type,
        request.size,
        now_rfc3339(),
        now + _settings.reservation_seconds,
        declared_size=request.size,
    )
    (outcome,) = changes.apply(caller, [changes.ReserveMedia(note_id, reserved)], _notes_settings)
    if outcome.status is changes.Status.NOT_FOUND:
        raise errors.NotFound("No such note.")
    if outcome.status is changes.Status.CONFLICT and "media_id" in outcome.conflicting_fields:
        raise errors.AlreadyExists("This media_id names an image of another type or size on this note.")
    if outcome.status is changes.Status.CONFLICT:
        raise errors.MediaLimitReached("A note holds at most five images; pending uploads count until they expire.")
    assert outcome.note is not None
    slot = outcome.note.find_media(media_id)
    assert slot is not None
    created = slot is reserved  # the change puts this very slot in the note only when it takes a new place
    if slot.status != "pending":
        return UploadReply(media_id=media_id, status=slot.status, upload=None, expires_at=None), created
    upload = storage.presigned_upload(
        media_key(caller.user_id, note_id, media_id),
        request.content_type,
        request.size,
        _settings.upload_url_ttl_seconds,
    )
    return UploadReply(
        media_id=media_id,
        status="pending",
        upload=PresignedPost(url=upload.url, fields=upload.fields),
        expires_at=upload.expires_at,
    ), created


def get_media(caller: Caller, note_id: str, media_id: str) -> MediaReply:
    note = table.get_note(caller.user_id, note_id)
    found = note.find_media(media_id) if note is not None and not note.deleted else None
    if found is None:
        raise errors.NotFound("No such image on this note.")
    url, url_expires_at = None, None
    if found.status == "ready":
        url, url_expires_at = cdn.download_link(media_key(caller.user_id, note_id, media_id))
    return MediaReply(
        media_id=found.media_id,
        status=found.status,
        content_type=found.content_type,
        size=found.size,
        url=url,
        url_expires_at=url_expires_at,
    )


def delete_media(caller: Caller, note_id: str, media_id: str) -> None:
    """The image leaves the note now; its object is deleted by the media-cleanup worker."""
    # The change first: it refuses a token from before a sign-out, which must not delete anything.
    (outcome,) = changes.apply(caller, [changes.RemoveMedia(note_id, media_id)], _notes_settings)
    if outcome.note is None or outcome.note.deleted:  # the delete-note machine cleans up after a note
        raise errors.NotFound("No such image on this note.")
    # Then the object. On a note that no longer lists the image, this is the retry of a removal
    # whose cleanup message was lost: the object under the caller's own prefix is an orphan.
    queues.send(_settings.media_cleanup_queue_url, {"keys": [media_key(caller.user_id, note_id, media_id)]})
    if outcome.status is not changes.Status.UPDATED:
        raise errors.NotFound("No such image on this note.")


def request_photo_upload(caller: Caller, request: UploadRequest) -> PhotoUploadReply:
    _check_declared(request)
    expires = int(time.time()) + _settings.upload_url_ttl_seconds
    try:
        table.declare_photo(caller.user_id, caller.issued_at, table.Photo(request.content_type, request.size, expires))
    except table.WriteRefused:
        raise errors.TokenRefused() from None
    upload = storage.presigned_upload(
        photo_key(caller.user_id), request.content_type, request.size, _settings.upload_url_ttl_seconds
    )
    return PhotoUploadReply(upload=PresignedPost(url=upload.url, fields=upload.fields), expires_at=upload.expires_at)
