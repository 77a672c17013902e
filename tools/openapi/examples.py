"""Examples of the API's requests and replies, written as the models themselves so that a renamed
or retyped member fails the type check; tests/unit/test_openapi.py validates each against the
document's schema."""

from datetime import UTC, datetime
from uuid import UUID

import msgspec

from notes_core.contract.bodies import account, auth, devices, media, notes

NOTE_ID = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"
OTHER_NOTE_ID = "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
MEDIA_ID = "6c1e4b7a-2f3d-4e5a-9b8c-7d6e5f4a3b2c"
USER_ID = "9b2f0c4e-1d3a-4f5b-8c7d-6e5f4a3b2c1d"
EMAIL = "ann@example.com"
PASSWORD = "Correct-Horse-1"
CODE = "123456"
# Tokens are JWTs of about a kilobyte; these are cut short.
ACCESS_TOKEN = "eyJraWQiOiJhY2Nlc3MiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI5YjJmMGM0ZSJ9.c2lnbmF0dXJl"
ID_TOKEN = "eyJraWQiOiJpZCIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiI5YjJmMGM0ZSJ9.c2lnbmF0dXJl"
REFRESH_TOKEN = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.cmVmcmVzaA"
LIST_CURSOR = "eyJsIjo0MiwiaSI6IjBmOGU3ZDZjIn0"
FEED_CURSOR = "eyJzIjo0MiwidCI6MTc5NTk2MjIxNH0"
REVISION_CURSOR = "eyJyIjoyfQ"
CREATED_AT = "2026-11-25T11:30:00.123Z"
UPDATED_AT = "2026-11-25T11:42:10.001Z"

SIGN_UP = auth.SignUpRequest(email=EMAIL, password=PASSWORD, full_name="Ann Example")
SIGNED_UP = auth.SignUpReply(user_id=USER_ID, confirmed=False)
CONFIRM = auth.ConfirmSignUpRequest(email=EMAIL, code=CODE)
EMAIL_ONLY = auth.EmailRequest(email=EMAIL)
SIGN_IN = auth.SignInRequest(email=EMAIL, password=PASSWORD)
SIGNED_IN = auth.SignInReply(access_token=ACCESS_TOKEN, id_token=ID_TOKEN, refresh_token=REFRESH_TOKEN, expires_in=900)
REFRESH = auth.RefreshRequest(refresh_token=REFRESH_TOKEN)
REFRESHED = auth.TokensReply(access_token=ACCESS_TOKEN, id_token=ID_TOKEN, expires_in=900)
RESET_PASSWORD = auth.ResetPasswordRequest(email=EMAIL, code=CODE, new_password="Battery-Staple-2")

ACCOUNT = account.AccountReply(
    user_id=USER_ID,
    email=EMAIL,
    full_name="Ann Example",
    email_verified=True,
    created_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    photo_url=None,
)
UPDATE_ACCOUNT = account.UpdateAccountRequest(full_name="Ann B. Example")
CHANGE_PASSWORD = account.ChangePasswordRequest(old_password=PASSWORD, new_password="Battery-Staple-2")
CHANGE_EMAIL = account.ChangeEmailRequest(email="ann.new@example.com")
VERIFY_EMAIL = account.VerifyEmailRequest(code=CODE)
DELETION = account.DeletionReply(deletion_id="5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a")

IMAGE = notes.MediaSummary(media_id=MEDIA_ID, status="ready", content_type="image/jpeg", size=482_113)
NOTE = notes.NoteReply(
    id=NOTE_ID,
    title="Groceries",
    content="milk, eggs",
    created_at=CREATED_AT,
    updated_at=UPDATED_AT,
    version=3,
    deleted=False,
    trashed=False,
    trashed_at=None,
    media=[IMAGE],
)
# An edit of the content based on version 2 while another device changed other words of it.
UPDATED_NOTE = notes.UpdatedNoteReply(**msgspec.structs.asdict(NOTE), merged_fields=["content"])
TOMBSTONE = notes.NoteReply(
    id=OTHER_NOTE_ID,
    title="",
    content="",
    created_at=CREATED_AT,
    updated_at=UPDATED_AT,
    version=6,
    deleted=True,
    trashed=False,
    trashed_at=None,
    media=[],
)
CREATE_NOTE = notes.CreateNoteRequest(id=UUID(NOTE_ID), title="Groceries", content="milk, eggs")
NOTES_PAGE = notes.NotesPageReply(notes=[NOTE], next_cursor=LIST_CURSOR)
UPDATE_NOTE = notes.UpdateNoteRequest(content="milk, eggs, bread")
DEVICE_ID = "a3f9c2e1-pixel-8"
BATCH = notes.BatchRequest(
    create=[{"id": OTHER_NOTE_ID, "title": "Ideas", "content": "a garden"}],
    update=[{"id": NOTE_ID, "base_version": 3, "content": "milk, eggs, bread"}],
    device_id=DEVICE_ID,
)
BATCHED = notes.BatchReply(
    results=[
        notes.BatchResult(id=OTHER_NOTE_ID, status="created", note=NOTE),
        notes.BatchResult(id=NOTE_ID, status="conflict", note=NOTE, conflicting_fields=["content"]),
    ]
)
PULLED = notes.PullReply(changes=[NOTE, TOMBSTONE], cursor=FEED_CURSOR, has_more=False)
PUSH = notes.PushRequest(
    changes=[
        {"op": "create", "id": OTHER_NOTE_ID, "title": "Ideas", "content": "a garden"},
        {"op": "update", "id": NOTE_ID, "base_version": 3, "content": "milk, eggs, bread"},
        {"op": "delete", "id": "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b", "base_version": 2},
    ],
    device_id=DEVICE_ID,
)
PUSHED = notes.PushReply(
    results=[
        notes.PushResult(id=OTHER_NOTE_ID, status="applied", note=NOTE),
        notes.PushResult(id=NOTE_ID, status="conflict", note=NOTE, conflicting_fields=["content"]),
        notes.PushResult(
            id="7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
            status="rejected",
            problem={
                "type": "https://notes-sync.dev/problems/not-found",
                "title": "Not found",
                "status": 404,
                "detail": "No such note: it never existed or its tombstone expired.",
            },
        ),
    ]
)
REVISIONS_PAGE = notes.RevisionsPageReply(
    revisions=[
        notes.RevisionSummary(version=3, updated_at=UPDATED_AT, title="Groceries", preview="milk, eggs"),
        notes.RevisionSummary(version=2, updated_at=CREATED_AT, title="Groceries", preview="milk"),
    ],
    next_cursor=REVISION_CURSOR,
)
REVISION = notes.RevisionReply(version=2, updated_at=CREATED_AT, title="Groceries", content="milk")
TRASH_EMPTIED = notes.EmptyTrashReply(purge_id="trash-3f2a9c1b7d4e5f60a1b2c3d4-42")

UPLOAD_FORM = media.PresignedPost(
    url="https://notes-sync-media.s3.amazonaws.com/",
    fields={
        "key": f"media/{USER_ID}/{NOTE_ID}/{MEDIA_ID}",
        "Content-Type": "image/jpeg",
        "policy": "eyJleHBpcmF0aW9uIjoiMjAyNi0xMS0yNVQxMTo0NTowMFoifQ==",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "ASIAEXAMPLE/20261125/us-east-1/s3/aws4_request",
        "x-amz-date": "20261125T113000Z",
        "x-amz-signature": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    },
)
UPLOAD_EXPIRES_AT = "2026-11-25T11:45:00Z"
REQUEST_IMAGE = media.MediaUploadRequest(content_type="image/jpeg", size=482_113, media_id=UUID(MEDIA_ID))
IMAGE_SLOT = media.UploadReply(media_id=MEDIA_ID, status="pending", upload=UPLOAD_FORM, expires_at=UPLOAD_EXPIRES_AT)
IMAGE_REPLY = media.MediaReply(
    media_id=MEDIA_ID,
    status="ready",
    content_type="image/jpeg",
    size=482_113,
    url=f"https://d111111abcdef8.cloudfront.net/media/{USER_ID}/{NOTE_ID}/{MEDIA_ID}?Expires=1795962514&Signature=...",
    url_expires_at="2026-11-25T11:35:00Z",
)
REQUEST_PHOTO = media.UploadRequest(content_type="image/png", size=90_210)
PHOTO_SLOT = media.PhotoUploadReply(upload=UPLOAD_FORM, expires_at=UPLOAD_EXPIRES_AT)

# A representative `detail` (and the members some problems add) of each problem type.
REGISTER_DEVICE = devices.RegisterDeviceRequest(
    platform="fcm", token="dXN5cGhvbmUtdG9rZW4:APA91bH-example-registration-token-from-firebase"
)

PROBLEM_DETAILS: dict[str, tuple[str, dict[str, object]]] = {
    "malformed-request": ("The cursor is not one this API issued.", {}),
    "invalid-code": ("The code is wrong or has expired.", {}),
    "unauthorized": ("An access token is required.", {}),
    "user-not-confirmed": ("User is not confirmed.", {}),
    "wrong-password": ("The current password is wrong.", {}),
    "not-found": ("No such note.", {}),
    "already-exists": ("A note with this id exists with other content.", {"note": NOTE}),
    "write-contention": ("Too many concurrent writes to these notes; retry the request.", {}),
    "media-limit": ("A note holds at most five images; pending uploads count until they expire.", {}),
    "resync-required": (
        "This cursor is older than the tombstone retention; discard local state and sync from the beginning.",
        {},
    ),
    "version-conflict": (
        "The note is at version 3 and these fields changed since: content.",
        {"note": NOTE, "conflicting_fields": ["content"]},
    ),
    "payload-too-large": ("Images may be at most 10485760 bytes.", {}),
    "unsupported-media-type": ("Send the body as application/json, not text/plain.", {}),
    "validation-error": (
        "The request body is not valid.",
        {"errors": [{"pointer": "/title", "detail": "Expected `str` of length <= 500"}]},
    ),
    "push-not-configured": ("This server sends no silent pushes to apns devices.", {}),
    "precondition-required": ("Send If-Match with the note's ETag, or base_version in the body.", {}),
    "too-many-requests": ("Too many failed attempts; wait a while and try again.", {}),
    "request-limit": (
        "At most 30 sign-in requests from one IP address a minute; try again in 42 s.",
        {"limit": {"name": "sign-in-per-source-ip", "requests": 30, "window_seconds": 60}, "retry_after": 42},
    ),
    "internal-error": ("Something went wrong on our side; the request can be retried.", {}),
}
