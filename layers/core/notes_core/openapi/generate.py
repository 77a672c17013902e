"""Generate the OpenAPI 3.1 document from the operations below and notes_core's msgspec models.

`python -m notes_core.openapi.generate` rewrites openapi.json; a unit test fails when the committed
file differs from what this produces, and another when these operations and template.yaml's routes
differ, so the document cannot drift from the code or the deployed API.
"""

import json
import sys
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import msgspec

from notes_core.http import PROBLEM_TYPE_BASE
from notes_core.models import Reply
from notes_core.models import account as account_models
from notes_core.models import auth as auth_models
from notes_core.models import media as media_models
from notes_core.models import notes as notes_models


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    status: int
    request: type[msgspec.Struct] | None = None
    reply: type[msgspec.Struct] | None = None
    public: bool = False
    problems: tuple[int, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reply_headers: tuple[str, ...] = ()


_BODY_PROBLEMS = (400, 413, 415, 422)
_NOTE_ID = Parameter("id", "path", "The note's id (a UUID).", {"type": "string", "format": "uuid"}, required=True)
_IF_MATCH = Parameter("If-Match", "header", 'The ETag of the version the change is based on, e.g. "3".')
_CURSOR = Parameter("cursor", "query", "The cursor from the previous page (omit for the first).")
_TRASHED = Parameter(
    "trashed",
    "query",
    "true: list the trash instead.",
    {"type": "string", "enum": ["true", "false"], "default": "false"},
)
_VERSION = Parameter("version", "path", "A version of the note.", {"type": "integer", "minimum": 1}, required=True)
_MEDIA_ID = Parameter("media_id", "path", "The image's id.", {"type": "string", "format": "uuid"}, required=True)


def _limit(default: int, maximum: int) -> Parameter:
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return Parameter("limit", "query", f"Page size, 1 to {maximum}.", schema)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/v1/auth/sign-up",
        "Register a user; a confirmation code is emailed",
        201,
        auth_models.SignUpRequest,
        auth_models.SignUpReply,
        public=True,
        problems=(*_BODY_PROBLEMS, 409, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/confirm",
        "Confirm a sign-up with the emailed code",
        204,
        auth_models.ConfirmSignUpRequest,
        public=True,
        problems=(*_BODY_PROBLEMS, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/resend-code",
        "Send the confirmation code again",
        202,
        auth_models.EmailRequest,
        public=True,
        problems=(*_BODY_PROBLEMS, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/sign-in",
        "Sign in with email and password",
        200,
        auth_models.SignInRequest,
        auth_models.SignInReply,
        public=True,
        problems=(*_BODY_PROBLEMS, 401, 403, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/refresh",
        "Get new access and id tokens with a refresh token",
        200,
        auth_models.RefreshRequest,
        auth_models.TokensReply,
        public=True,
        problems=(*_BODY_PROBLEMS, 401, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/forgot-password",
        "Email a password reset code (same answer for any email)",
        202,
        auth_models.EmailRequest,
        public=True,
        problems=(*_BODY_PROBLEMS, 429),
    ),
    Operation(
        "POST",
        "/v1/auth/reset-password",
        "Set a new password with the emailed reset code",
        204,
        auth_models.ResetPasswordRequest,
        public=True,
        problems=(*_BODY_PROBLEMS, 429),
    ),
    Operation("POST", "/v1/auth/sign-out", "Sign out everywhere: refresh tokens are revoked", 204, problems=(401,)),
    Operation("GET", "/v1/account", "The caller's profile", 200, reply=account_models.AccountReply, problems=(401,)),
    Operation("GET", "/v1/openapi.json", "This document", 200, public=True),
    Operation(
        "POST",
        "/v1/notes",
        "Create a note (same id and content again: a replay, 200)",
        201,
        notes_models.CreateNoteRequest,
        notes_models.NoteReply,
        problems=(*_BODY_PROBLEMS, 401, 409),
        reply_headers=("ETag", "Location"),
    ),
    Operation(
        "GET",
        "/v1/notes",
        "Live notes, most recently changed first; with trashed=true, the trash, most recently trashed first",
        200,
        reply=notes_models.NotesPageReply,
        problems=(400, 401),
        parameters=(_limit(50, 100), _CURSOR, _TRASHED),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}",
        "One note",
        200,
        reply=notes_models.NoteReply,
        problems=(401, 404),
        parameters=(_NOTE_ID,),
        reply_headers=("ETag",),
    ),
    Operation(
        "PATCH",
        "/v1/notes/{id}",
        "Change a note, based on a version; disjoint edits merge",
        200,
        notes_models.UpdateNoteRequest,
        notes_models.UpdatedNoteReply,
        problems=(*_BODY_PROBLEMS, 401, 404, 412, 428),
        parameters=(_NOTE_ID, _IF_MATCH),
        reply_headers=("ETag",),
    ),
    Operation(
        "DELETE",
        "/v1/notes/{id}",
        "Delete a note: it becomes a tombstone",
        202,
        reply=notes_models.NoteReply,
        problems=(400, 401, 404, 412),
        parameters=(_NOTE_ID, _IF_MATCH),
        reply_headers=("ETag",),
    ),
    Operation(
        "POST",
        "/v1/notes/batch",
        "Up to 25 creates, updates and deletes, a result per item",
        200,
        notes_models.BatchRequest,
        notes_models.BatchReply,
        problems=(*_BODY_PROBLEMS, 401),
    ),
    Operation(
        "GET",
        "/v1/sync",
        "Pull the changes after a cursor, in commit order",
        200,
        reply=notes_models.PullReply,
        problems=(400, 401, 410),
        parameters=(_limit(200, 500), _CURSOR),
    ),
    Operation(
        "POST",
        "/v1/sync",
        "Push up to 100 changes, a result per change",
        200,
        notes_models.PushRequest,
        notes_models.PushReply,
        problems=(*_BODY_PROBLEMS, 401),
    ),
    Operation(
        "POST",
        "/v1/notes/{id}/media",
        "Reserve an image slot (5 per note) and get a presigned POST",
        201,
        media_models.UploadRequest,
        media_models.UploadReply,
        problems=(*_BODY_PROBLEMS, 401, 404, 409),
        parameters=(_NOTE_ID,),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/media/{media_id}",
        "An image: its status, and a download link once ready",
        200,
        reply=media_models.MediaReply,
        problems=(401, 404),
        parameters=(_NOTE_ID, _MEDIA_ID),
    ),
    Operation(
        "DELETE",
        "/v1/notes/{id}/media/{media_id}",
        "Remove an image; its object is deleted soon after",
        202,
        problems=(401, 404),
        parameters=(_NOTE_ID, _MEDIA_ID),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/revisions",
        "The note's revisions (its text at each version that changed it), newest first",
        200,
        reply=notes_models.RevisionsPageReply,
        problems=(400, 401, 404),
        parameters=(_NOTE_ID, _limit(50, 100), _CURSOR),
    ),
    Operation(
        "GET",
        "/v1/notes/{id}/revisions/{version}",
        "The note's text at a version (404 when unknown, expired or overwritten)",
        200,
        reply=notes_models.RevisionReply,
        problems=(401, 404),
        parameters=(_NOTE_ID, _VERSION),
    ),
    Operation(
        "POST",
        "/v1/notes/{id}/revisions/{version}/restore",
        "Set title and content back to a revision's, as a new change (a retry answers the same)",
        200,
        reply=notes_models.NoteReply,
        problems=(400, 401, 404, 412),
        parameters=(_NOTE_ID, _VERSION, _IF_MATCH),
        reply_headers=("ETag",),
    ),
    Operation(
        "DELETE",
        "/v1/trash",
        "Empty the trash: every note in it now is deleted for good (asynchronously)",
        202,
        reply=notes_models.EmptyTrashReply,
        problems=(401,),
    ),
    Operation(
        "POST",
        "/v1/account/photo",
        "Get a presigned POST for the profile photo",
        201,
        media_models.UploadRequest,
        media_models.PhotoUploadReply,
        problems=(*_BODY_PROBLEMS, 401),
    ),
    Operation(
        "PATCH",
        "/v1/account",
        "Change the full name",
        200,
        account_models.UpdateAccountRequest,
        account_models.AccountReply,
        problems=(*_BODY_PROBLEMS, 401),
    ),
    Operation(
        "PUT",
        "/v1/account/password",
        "Change the password (the current one is required)",
        204,
        account_models.ChangePasswordRequest,
        problems=(*_BODY_PROBLEMS, 401, 403, 429),
    ),
    Operation(
        "PUT",
        "/v1/account/email",
        "Change the email; a code is sent to the new address",
        202,
        account_models.ChangeEmailRequest,
        problems=(*_BODY_PROBLEMS, 401, 409, 429),
    ),
    Operation(
        "POST",
        "/v1/account/email/verify",
        "Confirm the new email with its code",
        204,
        account_models.VerifyEmailRequest,
        problems=(*_BODY_PROBLEMS, 401, 429),
    ),
    Operation(
        "DELETE",
        "/v1/account",
        "Delete the account, its notes and media (asynchronously)",
        202,
        reply=account_models.DeletionReply,
        problems=(401,),
    ),
)

# Models that requests refer to without naming them as a body (items checked one by one).
_ITEM_MODELS: tuple[type[msgspec.Struct], ...] = (
    notes_models.BatchCreateItem,
    notes_models.BatchUpdateItem,
    notes_models.BatchDeleteItem,
    notes_models.PushChange,
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
}

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": f"RFC 9457 problem details; `type` starts with {PROBLEM_TYPE_BASE}.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}


# What API Gateway answers itself, before any function runs (README: "Answers from the gateway").
_GATEWAY_ERROR_SCHEMA = {
    "type": "object",
    "description": "An answer of API Gateway itself (application/json), not of the API's functions.",
    "properties": {"message": {"type": "string", "examples": ["Unauthorized", "Too Many Requests"]}},
    "required": ["message"],
}
_WWW_AUTHENTICATE = {
    "description": "Sent with the gateway's 401: why the JWT authorizer refused the token.",
    "schema": {"type": "string", "examples": ['Bearer scope="" error="invalid_token" error_description="..."']},
}
_DESCRIPTION = (
    "Sync backend for offline-first notes apps. The API's functions answer errors as RFC 9457 "
    "application/problem+json. API Gateway answers some requests itself, before any function runs, "
    'as application/json {"message": "..."}: 401 when its JWT authorizer refuses the token (with a '
    "www-authenticate header), 429 when a route is throttled, 404 for a path no route matches, 413 "
    "for a body over 10 MB, 500 when the function cannot be invoked. Tell the two apart by the "
    "content type. Every answer carries an apigw-requestid header; quote it when reporting a problem."
)


def _error_response(status: int, problem: bool, gateway: bool) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if gateway:
        content["application/json"] = {"schema": {"$ref": "#/components/schemas/GatewayError"}}
    if problem:
        content["application/problem+json"] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {"description": _STATUS_TEXT[status], "content": content}


def _operation_id(operation: Operation) -> str:
    words = operation.path.removeprefix("/v1/").replace("{", "").replace("}", "").replace(".", "_")
    return operation.method.lower() + "_" + words.replace("/", "_").replace("-", "_")


def _always_present(model: type[msgspec.Struct]) -> list[str]:
    """The members every reply of this model has: all of them, but those left out when they hold
    their default (models that omit defaults)."""
    omitted = model.__struct_config__.omit_defaults
    return [field.encode_name for field in msgspec.structs.fields(model) if field.required or not omitted]


def build_document() -> dict[str, Any]:
    models = {model for operation in OPERATIONS for model in (operation.request, operation.reply) if model}
    models.update(_ITEM_MODELS)
    ordered = sorted(models, key=lambda model: model.__name__)
    refs, schemas = msgspec.json.schema_components(ordered, ref_template="#/components/schemas/{name}")
    # A reply's members are there whether or not they have a default (msgspec's schema describes
    # what a decoder requires, so it lists only the members without one).
    replies = {m.__name__: m for m in _nested_structs(ordered) if issubclass(m, Reply)}
    for name, model in replies.items():
        schemas[name]["required"] = _always_present(model)
    schemas["Problem"] = _PROBLEM_SCHEMA
    schemas["GatewayError"] = _GATEWAY_ERROR_SCHEMA
    ref_of = dict(zip(ordered, refs, strict=True))

    def ref(model: type[msgspec.Struct]) -> dict[str, Any]:
        return ref_of[model]

    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        responses: dict[str, Any] = {str(operation.status): {"description": _STATUS_TEXT[operation.status]}}
        if operation.reply:
            responses[str(operation.status)]["content"] = {"application/json": {"schema": ref(operation.reply)}}
        if operation.reply_headers:
            responses[str(operation.status)]["headers"] = {
                name: {"schema": {"type": "string"}} for name in operation.reply_headers
            }
        from_gateway = {429} if operation.public else {401, 429}
        for status in sorted(set(operation.problems) | from_gateway):
            responses[str(status)] = _error_response(status, status in operation.problems, status in from_gateway)
        if not operation.public:
            responses["401"]["headers"] = {"www-authenticate": _WWW_AUTHENTICATE}
        entry: dict[str, Any] = {
            "operationId": _operation_id(operation),
            "summary": operation.summary,
            "responses": responses,
        }
        if operation.public:
            entry["security"] = []
        if operation.request:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(operation.request)}},
            }
        if operation.parameters:
            entry["parameters"] = [
                {
                    "name": p.name,
                    "in": p.location,
                    "description": p.description,
                    "required": p.required,
                    "schema": p.schema,
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
            for field in info.fields:
                visit(field.type)
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


if __name__ == "__main__":
    target = files("notes_core.openapi") / "openapi.json"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text(encoding="utf-8") == render() else 1)
    with open(str(target), "w", encoding="utf-8") as output:
        output.write(render())
