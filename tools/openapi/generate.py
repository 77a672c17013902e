"""Generate the OpenAPI 3.1 document from the operations below and notes_core's request and reply
bodies (notes_core.contract.bodies) and problem types (notes_core.contract.problems).

`python -m tools.openapi.generate [--errors PATH]` (what `make openapi` runs, with layers/core on
PYTHONPATH) rewrites the document the OpenApi function serves, functions/openapi/openapi.json: its
own copy, which `sam build` ships with its handler and nothing else ships (docs/openapi.json links
to it), and the error catalogue page, docs/errors.md, at PATH; with --check it only says whether
they are current. Unit tests fail when the committed files differ from what this produces, and
when these operations and template.yaml's routes differ, so the document cannot drift from the
code or the deployed API. This is build-time code: no function imports it.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from notes_core.contract.bodies import account as account_models
from notes_core.contract.bodies import auth as auth_models
from notes_core.contract.bodies import devices as devices_models
from notes_core.contract.bodies import media as media_models
from notes_core.contract.bodies import notes as notes_models
from notes_core.contract.bodies.base import Reply
from notes_core.contract.json_text import MAX_DEPTH
from notes_core.contract.problems import INTERNAL_ERROR, PROBLEMS, ProblemKind
from notes_core.domain import errors
from notes_core.domain.note import DEVICE_ID_PATTERN, NOTE_FIELDS
from notes_core.edge.http import MAX_BODY_BYTES
from tools.openapi import catalogue
from tools.openapi import examples as ex

# The document the OpenApi function serves (functions/openapi/app.py reads it beside itself).
PUBLISHED = Path(__file__).resolve().parents[2] / "functions" / "openapi" / "openapi.json"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    description: str
    schema: dict[str, Any]
    example: Any
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    status: int
    request: type[msgspec.Struct] | None = None
    reply: type[msgspec.Struct] | None = None
    request_example: msgspec.Struct | None = None
    reply_example: msgspec.Struct | None = None
    public: bool = False
    # The domain errors the function answers as problems, beyond those every operation of its
    # kind answers (see problems_of).
    problems: tuple[type[errors.DomainError], ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reply_headers: tuple[str, ...] = ()
    # When a retry after a lost answer is answered 200 rather than `status`: what that 200 is.
    replayed: str = ""
    description: str = ""


# Every operation with a body reads it with notes_core.edge.http.json_body.
_BODY_ERRORS = (errors.MalformedRequest, errors.PayloadTooLarge, errors.UnsupportedMediaType, errors.InvalidInput)

_NOTE_ID = Parameter(
    "id", "path", "The note's id (a UUID).", {"type": "string", "format": "uuid"}, ex.NOTE_ID, required=True
)
_MEDIA_ID = Parameter(
    "media_id", "path", "The image's id (a UUID).", {"type": "string", "format": "uuid"}, ex.MEDIA_ID, required=True
)
# notes_core.edge.http.if_match: one of this API's ETags ("3", W/"3" or 3), or *; blanks are spaces and tabs.
_ETAG_PATTERN = r'^[ \t]*(?:\*|(?:W/)?"?[0-9]{1,16}"?)[ \t]*$'
_IF_MATCH_UPDATE = Parameter(
    "If-Match",
    "header",
    'The ETag of the version the change is based on, e.g. "3". Required unless the body has base_version '
    "(428 without either; `*` names no version); 400 when it and base_version are both sent and differ (`*` "
    "included).",
    {"type": "string", "pattern": _ETAG_PATTERN},
    '"3"',
)
_IF_MATCH_DELETE = Parameter(
    "If-Match",
    "header",
    'The ETag of the version the delete is based on, e.g. "3": 412 if a field changed since. Without it (or with '
    "`*`) the note is deleted whatever changed.",
    {"type": "string", "pattern": _ETAG_PATTERN},
    '"3"',
)
_DEVICE_ID = Parameter(
    "Device-Id",
    "header",
    "The app's own id for this installation (1 to 64 of A-Z a-z 0-9 _ -, made once; else 422, whose `errors` "
    "name the `header`): an edit sent again on an old base after a lost answer is then judged against what this "
    "device last sent, so it never conflicts with itself nor doubles its own words (docs/sync-protocol.md).",
    {"type": "string", "pattern": DEVICE_ID_PATTERN},
    ex.DEVICE_ID,
)
_PATH_DEVICE_ID = Parameter(
    "device_id",
    "path",
    "The app's own id for this installation, the device_id its pushes send (1 to 64 of A-Z a-z 0-9 _ -; else "
    "422, whose `errors` name the `parameter`). A device id names one of the caller's devices only.",
    {"type": "string", "pattern": DEVICE_ID_PATTERN},
    ex.DEVICE_ID,
    required=True,
)
# Cursors are base64url without padding (notes_core.contract.cursors); an empty one is no cursor.
_CURSOR_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": 1024}
_LIST_CURSOR = Parameter(
    "cursor",
    "query",
    "The next_cursor of the previous page (omit for the first). Opaque: one this API did not issue is a 400.",
    _CURSOR_SCHEMA,
    ex.LIST_CURSOR,
)
_FEED_CURSOR = Parameter(
    "cursor",
    "query",
    "The cursor of the previous pull (omit to pull from the beginning). Opaque: one this API did not issue is a "
    "400; one older than the tombstone retention, 410 resync-required.",
    _CURSOR_SCHEMA,
    ex.FEED_CURSOR,
)


_REVISION_CURSOR = Parameter(
    "cursor",
    "query",
    "The next_cursor of the previous page (omit for the first). Opaque: one this API did not issue is a 400.",
    _CURSOR_SCHEMA,
    ex.REVISION_CURSOR,
)
_TRASHED = Parameter(
    "trashed",
    "query",
    "true: list the trash instead, most recently trashed first (else 400 for anything but true or false).",
    {"type": "string", "enum": ["true", "false"], "default": "false"},
    "false",
)
# notes_core.edge.http.path_version: ASCII digits, at most nine; anything else names no revision (404).
_VERSION = Parameter(
    "version",
    "path",
    "A version of the note that changed its text.",
    {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    2,
    required=True,
)
_IF_MATCH_RESTORE = Parameter(
    "If-Match",
    "header",
    'The ETag of the version the restore is based on, e.g. "3": 412 if the text changed since. Without it (or '
    "with `*`) the restore is based on the note as it stands.",
    {"type": "string", "pattern": _ETAG_PATTERN},
    '"3"',
)


def _limit(default: int, maximum: int) -> Parameter:
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return Parameter("limit", "query", f"Page size, 1 to {maximum} (else 400).", schema, min(default, 20))


_RETRY_SAFE = "A retry after a lost answer is safe: "
_NOTES_OMITTED = (
    "The answer stays under the platform's 6 MB response limit: every result is there, but from the first whose "
    "note would not fit on, results carry no `note` and say `note_omitted: true`; pull to get those notes. "
)
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/v1/auth/sign-up",
        "signUp",
        "auth",
        "Register a user; a confirmation code is emailed",
        201,
        auth_models.SignUpRequest,
        auth_models.SignUpReply,
        ex.SIGN_UP,
        ex.SIGNED_UP,
        public=True,
        problems=(errors.AlreadyExists, errors.RateLimited, errors.RequestLimitReached),
        description="A retry after a lost answer gets 409 already-exists: go on with POST /v1/auth/confirm.",
    ),
    Operation(
        "POST",
        "/v1/auth/confirm",
        "confirmSignUp",
        "auth",
        "Confirm a sign-up with the emailed code",
        204,
        auth_models.ConfirmSignUpRequest,
        request_example=ex.CONFIRM,
        public=True,
        problems=(errors.InvalidCode, errors.RateLimited, errors.RequestLimitReached),
        description="Unknown and already confirmed emails get 400 invalid-code too: the answer does not tell "
        "whether an email is registered.",
    ),
    Operation(
        "POST",
        "/v1/auth/resend-code",
        "resendConfirmationCode",
        "auth",
        "Send the confirmation code again",
        202,
        auth_models.EmailRequest,
        request_example=ex.EMAIL_ONLY,
        public=True,
        problems=(errors.RateLimited, errors.RequestLimitReached),
        description="The same answer for any email, registered or not.",
    ),
    Operation(
        "POST",
        "/v1/auth/sign-in",
        "signIn",
        "auth",
        "Sign in with email and password",
        200,
        auth_models.SignInRequest,
        auth_models.SignInReply,
        ex.SIGN_IN,
        ex.SIGNED_IN,
        public=True,
        problems=(errors.NotAuthenticated, errors.UserNotConfirmed, errors.RateLimited, errors.RequestLimitReached),
        description="A wrong password and an unknown email get the same 401. Five failures in a row lock the email "
        "out (429), for 1 s doubling to 15 minutes.",
    ),
    Operation(
        "POST",
        "/v1/auth/refresh",
        "refreshTokens",
        "auth",
        "Get new access and id tokens with a refresh token",
        200,
        auth_models.RefreshRequest,
        auth_models.TokensReply,
        ex.REFRESH,
        ex.REFRESHED,
        public=True,
        problems=(errors.NotAuthenticated, errors.RateLimited, errors.RequestLimitReached),
    ),
    Operation(
        "POST",
        "/v1/auth/forgot-password",
        "forgotPassword",
        "auth",
        "Email a password reset code",
        202,
        auth_models.EmailRequest,
        request_example=ex.EMAIL_ONLY,
        public=True,
        problems=(errors.RateLimited, errors.RequestLimitReached),
        description="The same answer for any email, registered or not.",
    ),
    Operation(
        "POST",
        "/v1/auth/reset-password",
        "resetPassword",
        "auth",
        "Set a new password with the emailed reset code",
        204,
        auth_models.ResetPasswordRequest,
        request_example=ex.RESET_PASSWORD,
        public=True,
        problems=(errors.InvalidCode, errors.RateLimited, errors.RequestLimitReached),
    ),
    Operation(
        "POST",
        "/v1/auth/sign-out",
        "signOut",
        "auth",
        "Sign out everywhere: refresh tokens are revoked",
        204,
        problems=(errors.RateLimited,),
        description="Every refresh token of the user is revoked, and every write with an access token issued before "
        "now is refused (401) from then on. A retry with the same token is refused likewise: the sign-out is done.",
    ),
    Operation(
        "GET",
        "/v1/account",
        "getAccount",
        "account",
        "The caller's profile",
        200,
        reply=account_models.AccountReply,
        reply_example=ex.ACCOUNT,
        problems=(errors.RateLimited,),
    ),
    Operation(
        "GET",
        "/v1/openapi.json",
        "getOpenApiDocument",
        "meta",
        "This document",
        200,
        public=True,
    ),
    Operation(
        "POST",
        "/v1/notes",
        "createNote",
        "notes",
        "Create a note",
        201,
        notes_models.CreateNoteRequest,
        notes_models.NoteReply,
        ex.CREATE_NOTE,
        ex.NOTE,
        problems=(errors.AlreadyExists, errors.WriteContention),
        reply_headers=("ETag", "Location"),
        replayed="A replay: the note already exists with this id, title and content (a retry after a lost answer).",
        description=_RETRY_SAFE + "send the same id, title and content again and the same note is answered, with "
        "200 instead of 201. The same id with other content is 409 already-exists, carrying the server's `note`.",
    ),
    Operation(
        "GET",
        "/v1/notes",
        "listNotes",
        "notes",
        "Live notes, most recently changed first; with trashed=true, the trash, most recently trashed first",
        200,
        reply=notes_models.NotesPageReply,
        reply_example=ex.NOTES_PAGE,
        problems=(errors.MalformedRequest,),
        parameters=(_limit(50, 100), _LIST_CURSOR, _TRASHED),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}",
        "getNote",
        "notes",
        "One note",
        200,
        reply=notes_models.NoteReply,
        reply_example=ex.NOTE,
        problems=(errors.NotFound,),
        parameters=(_NOTE_ID,),
        reply_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/v1/notes/{id}",
        "updateNote",
        "notes",
        "Change a note, based on a version; disjoint edits merge",
        200,
        notes_models.UpdateNoteRequest,
        notes_models.UpdatedNoteReply,
        ex.UPDATE_NOTE,
        ex.UPDATED_NOTE,
        problems=(
            errors.MalformedRequest,
            errors.NotFound,
            errors.WriteContention,
            errors.PreconditionFailed,
            errors.PreconditionRequired,
        ),
        parameters=(_NOTE_ID, _IF_MATCH_UPDATE, _DEVICE_ID),
        reply_headers=("ETag",),
        description=_RETRY_SAFE + "an edit whose fields already hold the values sent is answered as applied, "
        "without a new version. An edit of a field changed since the base version is 412 version-conflict, "
        "carrying the server's `note` and the `conflicting_fields`.",
    ),
    Operation(
        "DELETE",
        "/v1/notes/{id}",
        "deleteNote",
        "notes",
        "Delete a note: it becomes a tombstone",
        202,
        reply=notes_models.NoteReply,
        reply_example=ex.TOMBSTONE,
        problems=(errors.MalformedRequest, errors.NotFound, errors.WriteContention, errors.PreconditionFailed),
        parameters=(_NOTE_ID, _IF_MATCH_DELETE),
        reply_headers=("ETag",),
        description=_RETRY_SAFE + "deleting a tombstone answers it again. Its images are deleted soon after.",
    ),
    Operation(
        "POST",
        "/v1/notes/batch",
        "batchNotes",
        "notes",
        "Up to 25 creates, updates and deletes, a result per item",
        200,
        notes_models.BatchRequest,
        notes_models.BatchReply,
        ex.BATCH,
        ex.BATCHED,
        problems=(errors.WriteContention,),
        description="At most 25 items in all (422 otherwise). Results come in request order: the lists in the order "
        "the body gives them, each list in its own order (a generated client may write the lists in any order: "
        "send an update and a delete of one note in two requests, or push them). An item that is not valid fails "
        "only itself (`invalid`); "
        "a `conflict` carries the server's `note` and the `conflicting_fields`. "
        + _NOTES_OMITTED
        + _RETRY_SAFE
        + "the same batch sent again gets the same outcomes, each with the note as it stands now.",
    ),
    Operation(
        "GET",
        "/v1/sync",
        "pullChanges",
        "sync",
        "Pull the changes after a cursor, in commit order",
        200,
        reply=notes_models.PullReply,
        reply_example=ex.PULLED,
        problems=(errors.MalformedRequest, errors.ResyncRequired),
        parameters=(_limit(200, 500), _FEED_CURSOR),
    ),
    Operation(
        "POST",
        "/v1/sync",
        "pushChanges",
        "sync",
        "Push up to 100 changes, a result per change",
        200,
        notes_models.PushRequest,
        notes_models.PushReply,
        ex.PUSH,
        ex.PUSHED,
        problems=(errors.WriteContention,),
        description="Each change is a `create`, an `update` or a `delete` (`upsert`, the first form of create and "
        "update, is deprecated and still accepted). Changes apply in order (an update may edit the note a create "
        "before it made), each checked on its own: one that breaks its schema is `rejected` and the others apply. "
        "Beyond its schema the server judges each change against the stored note: its base version (a `conflict`, "
        "or a merge), and whether the note exists (`rejected`, 404). A delete may also carry title, content and "
        "trashed as null, as the first version of this document allowed. Results come in the order of the changes: "
        "`applied` (with the note after it), `conflict` (nothing applied; the server's `note` and the "
        "`conflicting_fields`) or `rejected` (a `problem` says why). "
        + _NOTES_OMITTED
        + _RETRY_SAFE
        + "the same push sent again gets the same outcomes, each with the note as it stands now.",
    ),
    Operation(
        "POST",
        "/v1/notes/{id}/media",
        "requestImageUpload",
        "media",
        "Reserve an image slot (5 per note) and get a presigned POST",
        201,
        media_models.MediaUploadRequest,
        media_models.UploadReply,
        ex.REQUEST_IMAGE,
        ex.IMAGE_SLOT,
        problems=(
            errors.NotFound,
            errors.AlreadyExists,
            errors.WriteContention,
            errors.MediaLimitReached,
            errors.PayloadTooLarge,
            errors.UnsupportedMediaType,
        ),
        parameters=(_NOTE_ID,),
        replayed="The slot this media_id already names, asked again with the same content_type and size: while "
        "pending, its reservation renewed and a fresh form; once ready or rejected, as it stands (upload and "
        "expires_at null).",
        description="Push the note before uploading to it (404 otherwise). POST the file to `upload.url` with "
        "`upload.fields`, then `file`, before `expires_at`; the image becomes ready, or rejected, when its upload is "
        "checked (GET the image, or pull). "
        + _RETRY_SAFE
        + "name the slot with your own media_id and a retry answers the same slot (200) instead of taking a second "
        "one; the same media_id with another type or size is 409 already-exists.",
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/media/{media_id}",
        "getImage",
        "media",
        "An image: its status, and a download link once ready",
        200,
        reply=media_models.MediaReply,
        reply_example=ex.IMAGE_REPLY,
        problems=(errors.NotFound,),
        parameters=(_NOTE_ID, _MEDIA_ID),
    ),
    Operation(
        "DELETE",
        "/v1/notes/{id}/media/{media_id}",
        "deleteImage",
        "media",
        "Remove an image; its object is deleted soon after",
        202,
        problems=(errors.NotFound, errors.WriteContention),
        parameters=(_NOTE_ID, _MEDIA_ID),
        description="A retry after a lost answer gets 404: the image is gone.",
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/revisions",
        "listRevisions",
        "notes",
        "The note's revisions (its text at each version that changed it), newest first",
        200,
        reply=notes_models.RevisionsPageReply,
        reply_example=ex.REVISIONS_PAGE,
        problems=(errors.MalformedRequest, errors.NotFound),
        parameters=(_NOTE_ID, _limit(50, 100), _REVISION_CURSOR),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/revisions/{version}",
        "getRevision",
        "notes",
        "The note's text at a version (404 when unknown, expired or overwritten)",
        200,
        reply=notes_models.RevisionReply,
        reply_example=ex.REVISION,
        problems=(errors.NotFound,),
        parameters=(_NOTE_ID, _VERSION),
    ),
    Operation(
        "POST",
        "/v1/notes/{id}/revisions/{version}/restore",
        "restoreRevision",
        "notes",
        "Set title and content back to a revision's, as a new change",
        200,
        reply=notes_models.NoteReply,
        reply_example=ex.NOTE,
        problems=(errors.MalformedRequest, errors.NotFound, errors.WriteContention, errors.PreconditionFailed),
        parameters=(_NOTE_ID, _VERSION, _IF_MATCH_RESTORE),
        reply_headers=("ETag",),
        description=_RETRY_SAFE + "the text is the revision's already, and the same note is answered.",
    ),
    Operation(
        "DELETE",
        "/v1/trash",
        "emptyTrash",
        "notes",
        "Empty the trash: every note in it now is deleted for good (asynchronously)",
        202,
        reply=notes_models.EmptyTrashReply,
        reply_example=ex.TRASH_EMPTIED,
        description=_RETRY_SAFE + "asked again before anything else is written, the same emptying is answered.",
    ),
    Operation(
        "POST",
        "/v1/account/photo",
        "uploadProfilePhoto",
        "account",
        "Get a presigned POST for the profile photo",
        201,
        media_models.UploadRequest,
        media_models.PhotoUploadReply,
        ex.REQUEST_PHOTO,
        ex.PHOTO_SLOT,
        description="Each request answers a fresh form for the one profile photo: retries are safe.",
    ),
    Operation(
        "PATCH",
        "/v1/account",
        "updateAccount",
        "account",
        "Change the full name",
        200,
        account_models.UpdateAccountRequest,
        account_models.AccountReply,
        ex.UPDATE_ACCOUNT,
        ex.ACCOUNT,
        problems=(errors.RateLimited,),
    ),
    Operation(
        "PUT",
        "/v1/account/password",
        "changePassword",
        "account",
        "Change the password (the current one is required)",
        204,
        account_models.ChangePasswordRequest,
        request_example=ex.CHANGE_PASSWORD,
        problems=(errors.WrongPassword, errors.RateLimited),
        description="A retry after a lost answer gets 403 wrong-password (the old password is no longer the "
        "current one): sign in with the new one to check.",
    ),
    Operation(
        "PUT",
        "/v1/account/email",
        "changeEmail",
        "account",
        "Change the email; a code is sent to the new address",
        202,
        account_models.ChangeEmailRequest,
        request_example=ex.CHANGE_EMAIL,
        problems=(errors.AlreadyExists, errors.RateLimited),
    ),
    Operation(
        "POST",
        "/v1/account/email/verify",
        "verifyEmail",
        "account",
        "Confirm the new email with its code",
        204,
        account_models.VerifyEmailRequest,
        request_example=ex.VERIFY_EMAIL,
        problems=(errors.InvalidCode, errors.RateLimited),
    ),
    Operation(
        "DELETE",
        "/v1/account",
        "deleteAccount",
        "account",
        "Delete the account, its notes and media (asynchronously)",
        202,
        reply=account_models.DeletionReply,
        reply_example=ex.DELETION,
        description="Every token of the account is refused from then on. Asked again (by a token issued before "
        "the first request), the same deletion is answered.",
    ),
    Operation(
        "PUT",
        "/v1/devices/{device_id}",
        "registerDevice",
        "devices",
        "Register the device's push token: silent pushes wake it when another device changes the notes",
        204,
        devices_models.RegisterDeviceRequest,
        request_example=ex.REGISTER_DEVICE,
        problems=(errors.PushNotConfigured,),
        parameters=(_PATH_DEVICE_ID,),
        description="While the device has no WebSocket open, a change made by another device sends it a silent push "
        "(an FCM data message, an APNs background notification) at most once a minute; it carries no note data: "
        "sync when it arrives. Register again whenever the platform gives the app a new token. 422 "
        "push-not-configured when this server sends no pushes to that platform. "
        + _RETRY_SAFE
        + "registering the same token again changes nothing.",
    ),
    Operation(
        "DELETE",
        "/v1/devices/{device_id}",
        "removeDevice",
        "devices",
        "Stop silent pushes to the device",
        204,
        problems=(errors.InvalidInput,),
        parameters=(_PATH_DEVICE_ID,),
        description="Its push token is forgotten. " + _RETRY_SAFE + "removing a device never registered is a 204 too.",
    ),
)

# Models that requests refer to without naming them as a body (items checked one by one).
_ITEM_MODELS: tuple[type[msgspec.Struct], ...] = (
    notes_models.BatchCreateItem,
    notes_models.BatchUpdateItem,
    notes_models.BatchDeleteItem,
    notes_models.PushCreate,
    notes_models.PushUpdate,
    notes_models.PushDelete,
    notes_models.PushUpsert,
)

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}

_TAGS = (
    ("auth", "Sign-up, sign-in, tokens and passwords (public, but sign-out)."),
    ("account", "The signed-in user's profile, password, email, photo and deletion."),
    ("notes", "One note at a time, pages of notes, and batches of up to 25 changes."),
    ("sync", "The offline-first loop: push the outbox, then pull the changes after a cursor (docs/sync-protocol.md)."),
    ("media", "Images on notes: reserve a slot, upload straight to S3 with a presigned POST, download."),
    ("devices", "Push tokens, for silent pushes to devices in the background (docs/sync-protocol.md, Realtime)."),
    ("meta", "This document."),
)

_REPLY_HEADERS = {
    "ETag": {
        "description": 'The note\'s version as an entity tag, e.g. "3": send it back in If-Match.',
        "example": '"3"',
    },
    "Location": {"description": "The note's path.", "example": f"/v1/notes/{ex.NOTE_ID}"},
}


def _problem_schema() -> dict[str, Any]:
    note = {"$ref": "#/components/schemas/NoteReply"}
    return {
        "type": "object",
        "description": "RFC 9457 problem details. The problem types (`type`):\n\n" + catalogue.problem_table(),
        "properties": {
            # An open set, the known types or any URI: a type added later must not break a client
            # generated today (a generated enum raises on a value it does not know).
            "type": {
                "anyOf": [
                    {"type": "string", "enum": [catalogue.problem_type(kind) for kind in catalogue.problem_kinds()]},
                    {"type": "string", "format": "uri"},
                ]
            },
            "title": {"type": "string", "description": "Fixed per type."},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What happened this time, for people, not programs."},
            "errors": {
                "type": "array",
                "description": "422 only: each member at fault, as a JSON pointer into the body (`pointer`), or the "
                "header at fault (`header`: Device-Id), or the path parameter at fault (`parameter`: device_id).",
                "items": {
                    "type": "object",
                    "properties": {
                        "pointer": {"type": "string"},
                        "header": {"type": "string"},
                        "parameter": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                    "required": ["detail"],
                    "oneOf": [{"required": ["pointer"]}, {"required": ["header"]}, {"required": ["parameter"]}],
                },
            },
            "note": {**note, "description": "412, and 409 already-exists on a note create: the server's copy."},
            "conflicting_fields": {
                "type": "array",
                "items": {"enum": list(NOTE_FIELDS)},
                "description": "412 only: the fields changed since the base version.",
            },
            "conflict_reason": {
                "enum": ["merge-budget"],
                "description": "412 only, when the conflict is not about the texts: `merge-budget`, the request had "
                "no time left to merge the edit with the changes made since its base. Send it again.",
            },
            "limit": {
                "type": "object",
                "description": "429 request-limit only: the limit used up.",
                "properties": {
                    "name": {"type": "string", "description": "Which limit, e.g. sign-in-per-source-ip."},
                    "requests": {"type": "integer", "description": "The requests it allows per window."},
                    "window_seconds": {"type": "integer", "description": "Its window."},
                },
                "required": ["name", "requests", "window_seconds"],
            },
            "retry_after": {
                "type": "integer",
                "minimum": 1,
                "description": "429 request-limit only: the Retry-After header's seconds.",
            },
        },
        "required": ["type", "title", "status", "detail"],
    }


# What API Gateway answers itself, before any function runs (catalogue.GATEWAY_ANSWERS).
_GATEWAY_ERROR_SCHEMA = {
    "type": "object",
    "description": "An answer of API Gateway itself (application/json), not of the API's functions:\n\n"
    + catalogue.gateway_table(),
    # An open set, as Problem.type: a message not listed here must not break a generated client.
    "properties": {
        "message": {
            "anyOf": [
                {"type": "string", "enum": [answer.message for answer in catalogue.GATEWAY_ANSWERS]},
                {"type": "string"},
            ]
        }
    },
    "required": ["message"],
}
_ERROR_ANSWER_SCHEMA = {
    "description": "A status both API Gateway and the API's functions answer: a GatewayError (application/json) or "
    "a Problem (application/problem+json); tell them apart by the content type.",
    "oneOf": [{"$ref": "#/components/schemas/Problem"}, {"$ref": "#/components/schemas/GatewayError"}],
}
_RETRY_AFTER = {
    "description": "Sent with the request-limit problem: the seconds until the limit's window ends; retry no "
    "sooner. (The gateway's 429 and the too-many-requests problem come without it: back off.)",
    "required": False,
    "schema": {"type": "integer", "minimum": 1},
    "example": 42,
}
_WWW_AUTHENTICATE = {
    "description": "Sent with the gateway's 401: why the JWT authorizer refused the token.",
    "schema": {"type": "string"},
    "example": 'Bearer scope="" error="invalid_token" error_description="the token has expired"',
}
_DESCRIPTION = (
    "Sync backend for offline-first notes apps. The API's functions answer errors as RFC 9457 "
    "application/problem+json (the `Problem` schema lists every problem type, when it happens and what a "
    "client does). API Gateway answers some requests itself, before any function runs, as application/json "
    '{"message": "..."} (the `GatewayError` schema): 401 when its JWT authorizer refuses the token (with a '
    "www-authenticate header), 429 when a route is throttled, 404 for a path no route matches, 413 for a body "
    "over 10 MB, 431 for headers over 10,240 bytes, 500 when the function cannot be invoked. Tell the two apart "
    "by the content type. Every answer carries an apigw-requestid header; quote it when reporting a problem.\n\n"
    "Retry a network failure, a 409 write-contention, a 429 or a 500 with exponential backoff and jitter (a 429 "
    "with Retry-After no sooner than its seconds): every write is safe to replay (each operation says what a replay "
    "is answered). Refresh the tokens once on a 401. Each route takes 100 requests a second in bursts of 200 by "
    "default; the public auth routes also limit each source IP address and each email address (429 "
    "request-limit)."
)


def problems_of(operation: Operation) -> list[ProblemKind]:
    """The problem types the operation's function answers with, by status."""
    domain = set(operation.problems)
    if operation.request is not None:
        domain.update(_BODY_ERRORS)
    if not operation.public:
        domain.add(errors.NotAuthenticated)  # notes_core.edge.http.caller, and writes refused after a sign-out
    kinds = {PROBLEMS[error] for error in domain} | {INTERNAL_ERROR}
    return sorted(kinds, key=lambda kind: (kind.status, kind.slug))


def gateway_answers_of(operation: Operation) -> list[catalogue.GatewayAnswer]:
    """What API Gateway may answer for the operation instead of its function."""
    answers = [catalogue.GATEWAY_THROTTLED, catalogue.GATEWAY_HEAD_TOO_LARGE, catalogue.GATEWAY_INTERNAL_ERROR]
    if not operation.public:
        answers.append(catalogue.GATEWAY_UNAUTHORIZED)
    if operation.request is not None:
        answers.append(catalogue.GATEWAY_TOO_LARGE)
    return answers


def _problem_example(kind: ProblemKind) -> dict[str, Any]:
    detail, extensions = ex.PROBLEM_DETAILS[kind.slug]
    value = {"type": catalogue.problem_type(kind), "title": kind.title, "status": kind.status, "detail": detail}
    return {"summary": kind.title, "value": msgspec.to_builtins({**value, **extensions})}


def _error_response(status: int, kinds: list[ProblemKind], answers: list[catalogue.GatewayAnswer]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    lines = [f"`{kind.slug}`: {kind.when}" for kind in kinds]
    # Where both API Gateway and a function answer a status, both media types name the union of the
    # two shapes: openapi-python-client parses a response with the schema of its first JSON media
    # type whatever the content type, and a problem read as a GatewayError raised KeyError.
    either = {"$ref": "#/components/schemas/ErrorAnswer"} if answers and kinds else None
    if answers:
        content["application/json"] = {
            "schema": either or {"$ref": "#/components/schemas/GatewayError"},
            "examples": {"gateway": {"summary": "API Gateway", "value": {"message": answers[0].message}}},
        }
        lines.append(f"API Gateway (application/json): {answers[0].when}")
    if kinds:
        content["application/problem+json"] = {
            "schema": either or {"$ref": "#/components/schemas/Problem"},
            "examples": {kind.slug: _problem_example(kind) for kind in kinds},
        }
    description = _STATUS_TEXT[status] + "\n\n" + "\n\n".join(lines)
    return {"description": description, "content": content}


def _example(value: msgspec.Struct) -> dict[str, Any]:
    return {"default": {"value": msgspec.to_builtins(value)}}


def _success(operation: Operation, ref: dict[str, Any], description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if operation.reply is not None:
        assert operation.reply_example is not None, operation.operation_id
        examples = _example(operation.reply_example)
        response["content"] = {"application/json": {"schema": ref, "examples": examples}}
    elif operation.operation_id == "getOpenApiDocument":
        document_example = {"openapi": "3.1.0", "info": {"title": "notes-sync", "version": "1"}, "paths": {}}
        response["content"] = {
            "application/json": {"schema": {"type": "object"}, "examples": {"default": {"value": document_example}}}
        }
    if operation.reply_headers:
        response["headers"] = {
            name: {"schema": {"type": "string"}, **_REPLY_HEADERS[name]} for name in operation.reply_headers
        }
    return response


def _responses(operation: Operation, reply_ref: dict[str, Any]) -> dict[str, Any]:
    responses = {str(operation.status): _success(operation, reply_ref, _STATUS_TEXT[operation.status])}
    if operation.replayed:
        responses["200"] = _success(operation, reply_ref, f"OK\n\n{operation.replayed}")
    kinds, answers = problems_of(operation), gateway_answers_of(operation)
    for status in sorted({kind.status for kind in kinds} | {answer.status for answer in answers}):
        responses[str(status)] = _error_response(
            status,
            [kind for kind in kinds if kind.status == status],
            [answer for answer in answers if answer.status == status],
        )
    if not operation.public:
        responses["401"]["headers"] = {"www-authenticate": _WWW_AUTHENTICATE}
    if errors.RequestLimitReached in operation.problems:
        responses["429"]["headers"] = {"Retry-After": _RETRY_AFTER}
    return responses


def _always_present(model: type[msgspec.Struct]) -> list[str]:
    """The members every reply of this model has: all of them, but those left out when they hold
    their default (models that omit defaults)."""
    omitted = model.__struct_config__.omit_defaults
    return [field.encode_name for field in msgspec.structs.fields(model) if field.required or not omitted]


def _for_code_generators(model: type[msgspec.Struct], schema: dict[str, Any]) -> None:
    """What msgspec writes, in the shapes openapi-python-client 0.29 and openapi-typescript 7 read
    as what they mean:

    - a tag ({"enum": ["create"]}) as {"type": "string", "const": "create"}: a literal type, not a
      one-member enum class;
    - no `default` on members: openapi-typescript makes a member with a default required, in
      request bodies named by $ref too (openapi-typescript issues 1741, 1944), and replies leave out
      members holding their default; descriptions say what a left-out member means;
    - an item given by $ref is that schema alone (msgspec adds the dict's "type": "object");
    - the members a model keeps `undocumented` (accepted for old clients) are left out, and a
      `deprecated` model is marked so.
    """
    config = model.__struct_config__
    properties: dict[str, Any] = schema.get("properties", {})
    if config.tag_field is not None:
        properties[config.tag_field] = {"type": "string", "const": config.tag}
    for name in getattr(model, "undocumented", ()):
        del properties[name]
    for member in properties.values():
        member.pop("default", None)
        if "$ref" in member.get("items", {}):
            member["items"] = {"$ref": member["items"]["$ref"]}
    if getattr(model, "deprecated", False):
        schema["deprecated"] = True


def build_document() -> dict[str, Any]:
    models = {model for operation in OPERATIONS for model in (operation.request, operation.reply) if model}
    models.update(_ITEM_MODELS)
    ordered = sorted(models, key=lambda model: model.__name__)
    every_ref, schemas = msgspec.json.schema_components(
        [*ordered, notes_models.PushChange], ref_template="#/components/schemas/{name}"
    )
    *refs, push_change = every_ref
    # msgspec writes the tagged union inline (anyOf + a discriminator on op); the push's items name
    # it, and oneOf says that a change is of exactly one kind.
    schemas["PushChange"] = {
        "title": "PushChange",
        "description": "A change of the push, of the kind its `op` names. `upsert` is deprecated: send `create` or "
        "`update` instead.",
        "oneOf": push_change["anyOf"],
        "discriminator": push_change["discriminator"],
    }
    for model in _nested_structs(ordered):
        schema = schemas[model.__name__]
        # A reply's members are there whether or not they have a default (msgspec's schema describes
        # what a decoder requires, so it lists only the members without one).
        if issubclass(model, Reply):
            schema["required"] = _always_present(model)
        # What a request model's __post_init__ checks, stated by the model for the document.
        schema.update(getattr(model, "schema_rules", {}))
        _for_code_generators(model, schema)
    schemas["Problem"] = _problem_schema()
    schemas["GatewayError"] = _GATEWAY_ERROR_SCHEMA
    schemas["ErrorAnswer"] = _ERROR_ANSWER_SCHEMA
    ref_of = dict(zip(ordered, refs, strict=True))

    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        reply_ref = ref_of[operation.reply] if operation.reply else {}
        entry: dict[str, Any] = {
            "operationId": operation.operation_id,
            "tags": [operation.tag],
            "summary": operation.summary,
            "responses": _responses(operation, reply_ref),
        }
        if operation.description:
            entry["description"] = operation.description
        # Each operation states its own: openapi-python-client reads only an operation's security
        # (and then types an authorized call as taking an AuthenticatedClient), not the document's.
        entry["security"] = [] if operation.public else [{"cognito": []}]
        if operation.request:
            assert operation.request_example is not None, operation.operation_id
            entry["requestBody"] = {
                "required": True,
                "description": f"Sent with content-type: application/json (else 415), at most {MAX_BODY_BYTES} bytes "
                f"(5 MiB; else 413), nested at most {MAX_DEPTH} levels deep, no member name repeated in an object "
                "(else 400).",
                "content": {
                    "application/json": {
                        "schema": ref_of[operation.request],
                        "examples": _example(operation.request_example),
                    }
                },
            }
        if operation.parameters:
            entry["parameters"] = [
                {
                    "name": p.name,
                    "in": p.location,
                    "description": p.description,
                    "required": p.required,
                    "schema": p.schema,
                    "example": p.example,
                }
                for p in operation.parameters
            ]
        paths.setdefault(operation.path, {})[operation.method.lower()] = entry

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "notes-sync",
            "version": "1",
            "description": _DESCRIPTION,
        },
        "servers": [{"url": "/"}],
        "security": [{"cognito": []}],
        "tags": [{"name": name, "description": description} for name, description in _TAGS],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "cognito": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The access token from POST /v1/auth/sign-in (not the id token).",
                }
            },
        },
    }


def _nested_structs(models: list[type[msgspec.Struct]]) -> set[type[msgspec.Struct]]:
    """The models and every Struct their fields refer to, however deep."""
    found: set[type[msgspec.Struct]] = set()

    def visit(info: msgspec.inspect.Type) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                return
            found.add(info.cls)
            for field_info in info.fields:
                visit(field_info.type)
        for attribute in ("item_type", "value_type"):
            if hasattr(info, attribute):
                visit(getattr(info, attribute))
        for member in getattr(info, "types", ()):
            visit(member)

    for model in models:
        visit(msgspec.inspect.type_info(model))
    return found


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


def published_document() -> str:
    """The document as committed: what the OpenApi function serves."""
    return PUBLISHED.read_text(encoding="utf-8")


def main(arguments: list[str]) -> int:
    outputs = {PUBLISHED: render()}
    if "--errors" in arguments:
        outputs[Path(arguments[arguments.index("--errors") + 1])] = catalogue.render_errors_page()
    if "--check" in arguments:
        stale = [path for path, text in outputs.items() if not path.is_file() or path.read_text("utf-8") != text]
        for path in stale:
            print(f"{path} is stale: run make openapi", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
