"""The problem catalogue: every domain error a client can meet, with the HTTP status and RFC 9457
problem type it is answered with: the one status mapping of the API. notes_core.edge.http answers
with it, use cases embed its documents in batch and push results, and the OpenAPI document and
docs/errors.md are made from it (tools/openapi).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from notes_core.contract import json_text
from notes_core.domain import errors

PROBLEM_TYPE_BASE = "https://notes-sync.dev/problems/"


@dataclass(frozen=True)
class ProblemKind:
    """A problem type: its status, its name (the end of its `type` URI), its title, when a client
    meets it and what the client does then (the catalogue in the OpenAPI document and
    docs/errors.md is made from these)."""

    status: int
    slug: str
    title: str
    when: str
    what_to_do: str


# Every domain error a client can meet, with the status and problem type it is answered with.
PROBLEMS: Mapping[type[errors.DomainError], ProblemKind] = {
    errors.MalformedRequest: ProblemKind(
        400,
        "malformed-request",
        "The request could not be read",
        f"The body is not JSON (or is missing), nests arrays and objects more than {json_text.MAX_DEPTH} levels deep, "
        "or repeats a member name within an object; a query parameter is out of its range; the cursor is not one "
        f"this API issued (nested more than {json_text.MAX_DEPTH} levels deep, it never is); If-Match is not one of "
        "this API's ETags, or If-Match and base_version name different versions.",
        "Fix the request: sent again unchanged, it gets the same answer. For a cursor, pull from the beginning.",
    ),
    errors.InvalidCode: ProblemKind(
        400,
        "invalid-code",
        "The code is wrong or has expired",
        "A sign-up confirmation, password reset or email verification code is wrong or has expired (or nothing "
        "awaits a code for that address).",
        "Ask the user to check the code, or have a new one sent (resend-code, forgot-password, PUT /v1/account/email).",
    ),
    errors.NotAuthenticated: ProblemKind(
        401,
        "unauthorized",
        "Not authenticated",
        "Sign-in with a wrong password or an unknown email (the same answer for both); a refresh token that is not "
        "valid or was revoked; or a token the gateway let through that the API refuses: an ID token instead of the "
        "access token, a token issued before the user's last sign-out (for writes), an account being deleted.",
        "Refresh the tokens once with POST /v1/auth/refresh and retry; if the refresh is refused too, sign in again.",
    ),
    errors.UserNotConfirmed: ProblemKind(
        403,
        "user-not-confirmed",
        "The email address is not confirmed",
        "Sign-in to an account whose email address was never confirmed.",
        "Confirm it with POST /v1/auth/confirm (POST /v1/auth/resend-code sends the code again).",
    ),
    errors.WrongPassword: ProblemKind(
        403,
        "wrong-password",
        "The current password is wrong",
        "PUT /v1/account/password with a wrong current password.",
        "Ask the user for the current password again; the session stays signed in.",
    ),
    errors.NotFound: ProblemKind(
        404,
        "not-found",
        "Not found",
        "No such note, image or revision for this caller: unknown, deleted, another user's, a revision expired or "
        "overwritten, or a path id that is not a UUID (a version that is not a positive integer).",
        "Drop the local reference (for a note, the next pull tells what became of it).",
    ),
    errors.AlreadyExists: ProblemKind(
        409,
        "already-exists",
        "It exists already",
        "Sign-up or an email change to an address an account uses; a create with the id of a note that has other "
        "content (the problem carries the server's `note`); an image media_id asked again with another type or size.",
        "Do not retry as is: sign in instead, choose another address, or generate a new id.",
    ),
    errors.WriteContention: ProblemKind(
        409,
        "write-contention",
        "Concurrent writes; retry",
        "Other writes to the same notes kept winning; nothing of this request was applied.",
        "Retry the same request after a short, jittered backoff: retries are safe.",
    ),
    errors.MediaLimitReached: ProblemKind(
        409,
        "media-limit",
        "The note has its five images",
        "An image slot asked for on a note that holds five images (pending uploads count until they expire).",
        "Delete an image first, or wait until abandoned uploads expire (about 17 minutes).",
    ),
    errors.ResyncRequired: ProblemKind(
        410,
        "resync-required",
        "Sync again from the beginning",
        "A pull whose cursor is older than the tombstone retention (90 days by default): deletions may be forgotten.",
        "Push the outbox if you like, then discard the cursor and local copies and pull from the beginning.",
    ),
    errors.PreconditionFailed: ProblemKind(
        412,
        "version-conflict",
        "The note changed since that version",
        "A change, delete or restore based on a version whose fields changed since; the problem carries the "
        "server's `note` and the `conflicting_fields`.",
        "Merge with `note` (or show the user), then send the change again based on `note.version`.",
    ),
    errors.PayloadTooLarge: ProblemKind(
        413,
        "payload-too-large",
        "Too large",
        "A body over 5 MiB, or an image declared larger than 10 MiB.",
        "Send large outboxes in several pushes; scale images down to 10 MiB.",
    ),
    errors.UnsupportedMediaType: ProblemKind(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        "A body sent without content-type: application/json (or a +json type), or as another media type; or an "
        "image type other than image/jpeg, image/png, image/webp, image/gif and image/heic.",
        "Send content-type: application/json; convert the image to one of those types.",
    ),
    errors.InvalidInput: ProblemKind(
        422,
        "validation-error",
        "The request is not valid",
        "The body was read but breaks a rule: a missing, unknown or server-owned member, a wrong type, a value out "
        "of bounds, a password the user pool's policy refuses. `errors` names each member as a JSON pointer.",
        "Fix the members `errors` names; sent again unchanged, it gets the same answer.",
    ),
    errors.PushNotConfigured: ProblemKind(
        422,
        "push-not-configured",
        "This server sends no pushes to that platform",
        "PUT /v1/devices/{device_id} with a platform whose SNS platform application this deployment was not given "
        "(the FcmPlatformApplicationArn, ApnsPlatformApplicationArn or ApnsSandboxPlatformApplicationArn parameter).",
        "Do not retry: the device will not get silent pushes on that platform. Keep the WebSocket open while the app "
        "is in the foreground, and sync when it starts.",
    ),
    errors.PreconditionRequired: ProblemKind(
        428,
        "precondition-required",
        "Say which version the change is based on",
        "PATCH /v1/notes/{id} with neither If-Match nor base_version (If-Match: * names no version).",
        'Send If-Match with the note\'s ETag ("3") or base_version in the body.',
    ),
    errors.RateLimited: ProblemKind(
        429,
        "too-many-requests",
        "Too many attempts",
        "Cognito refused the attempt: five failed sign-ins in a row lock the email out (for 1 s, doubling to 15 "
        "minutes), and codes and emails have their own limits.",
        "Wait, then retry with exponential backoff; tell the user why.",
    ),
    errors.RequestLimitReached: ProblemKind(
        429,
        "request-limit",
        "Too many requests from this address or for this email",
        "A public auth route's per-client limit is used up for now: too many requests from one source IP address, "
        'or for one email address, in the limit\'s window (README, "Limits of the public auth routes"). `limit` '
        "names it (`name`, `requests`, `window_seconds`); nothing was done.",
        "Wait the Retry-After header's seconds (also `retry_after`) before trying again, and tell the user when; "
        "sooner, the answer is the same.",
    ),
}
INTERNAL_ERROR = ProblemKind(
    500,
    "internal-error",
    "Internal error",
    "Something failed on the server's side while handling the request.",
    "Retry with exponential backoff (retries are safe); if it lasts, report the apigw-requestid.",
)


def document(kind: ProblemKind, detail: str, extensions: Mapping[str, Any] | None) -> dict[str, Any]:
    """An RFC 9457 problem document of `kind`, with the error's extension members."""
    body = {"type": PROBLEM_TYPE_BASE + kind.slug, "title": kind.title, "status": kind.status, "detail": detail}
    body.update(extensions or {})
    return body


def kind_of(exc: errors.DomainError) -> ProblemKind:
    return next(PROBLEMS[cls] for cls in type(exc).__mro__ if cls in PROBLEMS)


def problem_document(exc: errors.DomainError) -> dict[str, Any]:
    """The problem document of a domain error, for embedding in a batch or push result."""
    plain: dict[str, Any] = msgspec.to_builtins(document(kind_of(exc), exc.detail, exc.extensions))
    return plain
