"""Bodies of the media routes (/v1/notes/{id}/media*, /v1/account/photo)."""

from typing import Annotated
from uuid import UUID

from msgspec import Meta

from notes_core.contract.bodies.base import Reply, Request
from notes_core.contract.bodies.notes import Timestamp
from notes_core.domain.note import MediaStatus

MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/heic")
MAX_MEDIA_BYTES = 10 * 1024 * 1024


class UploadRequest(Request):
    # Checked by the service, not by the model: a type outside the list is 415 and a size over the
    # maximum 413 (not 422), as the document says beside the enum and the maximum.
    content_type: Annotated[
        str,
        Meta(
            description=f"The image's type: one of {', '.join(MEDIA_TYPES)} (else 415).",
            extra_json_schema={"enum": list(MEDIA_TYPES)},
        ),
    ]
    size: Annotated[
        int,
        Meta(
            ge=1,
            description=f"Bytes the upload will have, at most {MAX_MEDIA_BYTES} (10 MiB; else 413).",
            extra_json_schema={"maximum": MAX_MEDIA_BYTES},
        ),
    ]


class MediaUploadRequest(UploadRequest, kw_only=True):
    media_id: (
        Annotated[
            UUID,
            Meta(
                description="The client's own id for the image, so that a retry after a lost answer takes no second "
                "place. Asked again with the same content_type and size, the same slot is answered with 200: while "
                "pending, its reservation renewed and a fresh form; once ready or rejected, as it stands, with "
                "`upload` and `expires_at` null. With other values: 409 already-exists. Without it, every request "
                "takes a new slot (201).",
                examples=["6c1e4b7a-2f3d-4e5a-9b8c-7d6e5f4a3b2c"],
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
