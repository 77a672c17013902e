"""Bodies of the media routes (/v1/notes/{id}/media*, /v1/account/photo)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from notes_core.models import Reply, Request
from notes_core.models.notes import Timestamp
from notes_core.note import MediaStatus

MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/heic")
MAX_MEDIA_BYTES = 10 * 1024 * 1024


class UploadRequest(Request):
    content_type: Annotated[
        str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=255)
    ] = Field(description=f"One of {', '.join(MEDIA_TYPES)} (else 415).")
    size: int = Field(
        strict=True, ge=1, description=f"Bytes the upload will have, at most {MAX_MEDIA_BYTES} (else 413)."
    )


class PresignedPost(Reply):
    url: str = Field(description="POST a multipart/form-data body here: the fields, then `file`.")
    fields: dict[str, str]


class UploadReply(Reply):
    media_id: str
    status: Literal["pending"] = "pending"
    upload: PresignedPost
    expires_at: Timestamp = Field(description="The upload link stops working then.")


class PhotoUploadReply(Reply):
    upload: PresignedPost
    expires_at: Timestamp


class MediaReply(Reply):
    media_id: str
    status: MediaStatus
    content_type: str
    size: int = Field(description="Bytes: as declared until ready, then the uploaded object's.")
    url: str | None = Field(default=None, description="Only when ready: a short-lived download link.")
    url_expires_at: Timestamp | None = None
