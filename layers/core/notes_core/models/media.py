"""Bodies of the media routes (/v1/notes/{id}/media*, /v1/account/photo)."""

from typing import Annotated
from uuid import UUID

from msgspec import Meta

from notes_core.models import Reply, Request
from notes_core.models.notes import Timestamp
from notes_core.note import MediaStatus

MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/heic")
MAX_MEDIA_BYTES = 10 * 1024 * 1024


class UploadRequest(Request):
    content_type: Annotated[
        str, Meta(min_length=1, max_length=255, description=f"One of {', '.join(MEDIA_TYPES)} (else 415).")
    ]
    size: Annotated[int, Meta(ge=1, description=f"Bytes the upload will have, at most {MAX_MEDIA_BYTES} (else 413).")]

    def __post_init__(self) -> None:
        self.content_type = self.content_type.strip().lower()


class MediaUploadRequest(UploadRequest, kw_only=True):
    media_id: (
        Annotated[
            UUID,
            Meta(
                description="The client's own id for the image: asked again with the same values, the same slot is "
                "answered (retry-safe); with other values, 409."
            ),
        ]
        | None
    ) = None


class PresignedPost(Reply):
    url: Annotated[str, Meta(description="POST a multipart/form-data body here: the fields, then `file`.")]
    fields: dict[str, str]


class UploadReply(Reply, kw_only=True):
    media_id: str
    status: MediaStatus
    upload: (
        Annotated[PresignedPost, Meta(description="Where to POST the file; null once the image was checked.")] | None
    )
    expires_at: Annotated[Timestamp, Meta(description="The upload link stops working then.")] | None


class PhotoUploadReply(Reply):
    upload: PresignedPost
    expires_at: Timestamp


class MediaReply(Reply):
    media_id: str
    status: MediaStatus
    content_type: str
    size: Annotated[int, Meta(description="Bytes: as declared until ready, then the uploaded object's.")]
    url: Annotated[str, Meta(description="Only when ready: a short-lived download link.")] | None = None
    url_expires_at: Timestamp | None = None
