"""HTTP edge shared by every API function: read requests, shape responses, map errors.

This is the one place where domain exceptions become HTTP statuses and RFC 9457 problem documents.
"""

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal
from uuid import UUID

import msgspec
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import deadline, errors, json_text
from notes_core.caller import Caller
from notes_core.models import MAX_ECHOED_CHARS
from notes_core.note import DEVICE_ID_PATTERN
from notes_core.observability import logger, metrics, tracer

MAX_BODY_BYTES = 5 * 1024 * 1024  # Lambda payloads stop at 6 MB; refuse bodies before that.
PROBLEM_TYPE_BASE = "https://notes-sync.dev/problems/"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

Response = dict[str, Any]
Handler = Callable[["HttpRequest", LambdaContext], Response]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], Response]


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


class HttpRequest:
    """An HTTP API request, read from its payload format 2.0 event (events/*.json have the shape).

    Powertools' APIGatewayProxyEventV2 reads the same event, but importing it imports every one of
    the forty-odd event classes of its package: about 25 ms of each cold start
    (bench/cold_start.py), for the five members read here."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.headers: dict[str, str] = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        self.query: dict[str, str] = dict(event.get("queryStringParameters") or {})
        self.path_parameters: dict[str, str] = dict(event.get("pathParameters") or {})
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        self.claims: dict[str, str] = dict((authorizer.get("jwt") or {}).get("claims") or {})
        # The TCP peer of the request as API Gateway saw it (a client cannot set it with a header).
        self.source_ip: str = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or ""
        # Bytes, not text: a body that is not UTF-8 is malformed JSON (400), not a decoding crash.
        raw = event.get("body") or ""
        self.body: bytes = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()


def _raw_json(event: HttpRequest) -> bytes:
    """The body's bytes, once it is known to be JSON of an acceptable size."""
    body = event.body
    declared = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not declared and body:
        raise errors.UnsupportedMediaType(f"Send the body with content-type: {JSON}.")
    if declared and declared != JSON and not declared.endswith("+json"):
        raise errors.UnsupportedMediaType(f"Send the body as {JSON}, not as another media type.")
    if len(body) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    if not body.strip():
        raise errors.MalformedRequest("A JSON body is required.")
    return body


def _whole_number(literal: str) -> int | float:
    """A JSON number written with a fraction or exponent, as the integer it is when it is one: JSON
    Schema's `integer` (the document's) admits 2.0 and 1e2, so the API reads them as 2 and 100."""
    value = float(literal)
    return int(value) if value.is_integer() else value


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder[Body](model: type[Body]) -> msgspec.json.Decoder[Body]:
    # float_hook reaches the members typed Any (batch and push items, checked one by one later).
    if model not in _DECODERS:
        _DECODERS[model] = msgspec.json.Decoder(model, float_hook=_whole_number)
    decoder: msgspec.json.Decoder[Body] = _DECODERS[model]
    return decoder


_UNTYPED = msgspec.json.Decoder(float_hook=_whole_number)
_SYNTAX = msgspec.json.Decoder(msgspec.Raw)  # reads a text through, building nothing


def json_body[Body](event: HttpRequest, model: type[Body]) -> Body:
    """Parse and validate the JSON body; unknown or server-owned fields are refused by the model.

    A text nested too deep is refused before any decoder recurses into it (notes_core.json_text),
    one that repeats a member name once it is otherwise accepted."""
    body = _raw_json(event)
    outline = json_text.Outline(body)
    if outline.too_deep():
        raise errors.MalformedRequest(f"The body nests arrays and objects more than {json_text.MAX_DEPTH} levels deep.")
    parsed, value = _read(body, model)
    if outline.repeats_a_name(value):
        raise errors.MalformedRequest("An object in the body has two members of the same name.")
    return parsed


def _read[Body](body: bytes, model: type[Body]) -> tuple[Body, Any]:
    """The body read as `model`, and as plain JSON values (for the names check)."""
    try:
        return _decoder(model).decode(body), _UNTYPED.decode(body)
    except msgspec.ValidationError as invalid:
        # msgspec stops at the first value of the wrong type, maybe before malformed JSON further
        # on, which is a 400 whatever its types: the text is read through to tell (without building
        # what it holds, which would cost a second for 5 MiB of nested arrays).
        try:
            _SYNTAX.decode(body)
        except msgspec.DecodeError:
            raise errors.MalformedRequest("The body is not valid JSON.") from None
        if "got `float`" not in str(invalid):
            raise validation_error(invalid) from None
    except msgspec.DecodeError:
        raise errors.MalformedRequest("The body is not valid JSON.") from None
    # A typed integer written as 2.0 is refused by the typed read, so the value read without types
    # is checked again (msgspec.convert is as strict otherwise: true and "2" are still not integers).
    try:
        value = _UNTYPED.decode(body)
        return msgspec.convert(value, type=model), value
    except msgspec.ValidationError as invalid:
        raise validation_error(invalid) from None


def json_body_keys(event: HttpRequest) -> list[str]:
    """The names of the body object's members, in the order the client wrote them (for a body
    `json_body` has accepted)."""
    return list(msgspec.json.decode(_raw_json(event), type=dict[str, msgspec.Raw]))


def parse_item[Item](model: type[Item], value: Any, at: str = "") -> Item | errors.DomainError:
    """One item of a batch or push, checked on its own: the item, or the problem with it, whose
    pointers start with `at`, the item's own pointer into the request body (`/changes/3`), so
    that they point into the body as RFC 6901 reads them."""
    try:
        return msgspec.convert(value, type=model)
    except msgspec.ValidationError as exc:
        return validation_error(exc, at)


_LOCATED = re.compile(r"^(?P<detail>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")


def echoed_id(item: Any) -> str | None:
    """The `id` a refused batch or push item was sent with, for its result: a string of at most
    MAX_ECHOED_CHARS characters (a note id is 36), else None, so that what a client wrote cannot
    grow an answer past Lambda's limit."""
    raw = item.get("id") if isinstance(item, dict) else None
    return raw if isinstance(raw, str) and len(raw) <= MAX_ECHOED_CHARS else None


def validation_error(exc: msgspec.ValidationError, at: str = "") -> errors.InvalidInput:
    """Turn msgspec's report into a 422 problem naming the member at fault as a JSON pointer
    ("Expected `int`, got `str` - at `$.changes[0].base_version`" is /changes/0/base_version),
    below `at` when the value checked is a part of the body."""
    located = _LOCATED.match(str(exc))
    assert located is not None  # the pattern matches any text
    detail, path = located.group("detail"), located.group("path") or ""
    parts = [name or index for name, index in _PATH_PART.findall(path)]
    unknown, missing = _UNKNOWN_FIELD.match(detail), _MISSING_FIELD.match(detail)
    if unknown and len(unknown.group("name")) > MAX_ECHOED_CHARS:
        detail = f"unknown field (its name, over {MAX_ECHOED_CHARS} characters, is left out of the pointer)"
    elif unknown:
        parts.append(unknown.group("name"))
        detail = "unknown or server-owned field"
    elif missing:
        parts.append(missing.group("name"))
        detail = "required"
    elif len(detail) > MAX_ECHOED_CHARS:
        detail = detail[:MAX_ECHOED_CHARS] + "..."
    pointer = at + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts) or "/"
    return errors.InvalidInput("The request body is not valid.", errors=[{"pointer": pointer, "detail": detail}])


def caller(event: HttpRequest) -> Caller:
    """The user behind an authorized route. Only access tokens are accepted, as in the authorizer."""
    claims = event.claims
    if claims.get("token_use") != "access" or not claims.get("sub"):
        raise errors.NotAuthenticated("An access token is required.")
    authorization = event.headers.get("authorization") or ""
    token = authorization.removeprefix("Bearer ").strip()
    return Caller(
        user_id=claims["sub"],
        username=claims.get("username") or claims["sub"],
        issued_at=int(claims.get("iat", 0)),
        access_token=token,
    )


_DECIMAL = re.compile(r"[0-9]{1,9}")


def query_int(event: HttpRequest, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds; anything else is a malformed request (400)."""
    raw = event.query.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() also reads other scripts' digits, and str.isdigit() admits "²".
    if not _DECIMAL.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise errors.MalformedRequest(f"`{name}` must be an integer from {minimum} to {maximum}.")
    return int(raw)


def query_flag(event: HttpRequest, name: str) -> bool:
    """A true/false query parameter (absent: false); anything else is a malformed request (400)."""
    raw = event.query.get(name, "false")
    if raw not in ("true", "false"):
        raise errors.MalformedRequest(f"`{name}` must be true or false.")
    return raw == "true"


def query_text(event: HttpRequest, name: str) -> str | None:
    value = event.query.get(name)
    return value or None


def path_id(event: HttpRequest, name: str = "id") -> str:
    """A UUID path parameter in canonical form; anything else names nothing that exists (404)."""
    try:
        return str(UUID(event.path_parameters[name]))
    except (KeyError, ValueError):
        raise errors.NotFound("No such note.") from None


def path_version(event: HttpRequest, name: str = "version") -> int:
    """A note version in the path (ASCII digits); anything else names no version there is (404)."""
    raw = event.path_parameters.get(name, "")
    if not _DECIMAL.fullmatch(raw) or int(raw) < 1:
        raise errors.NotFound("No such revision.")
    return int(raw)


# Blanks are spaces and tabs only, as the document's pattern for If-Match says (regex engines
# disagree about what else \s matches).
_ENTITY_TAG = re.compile(r'^[ \t]*(?:W/)?"?([0-9]{1,16})"?[ \t]*$')


def if_match(event: HttpRequest) -> int | Literal["*"] | None:
    """The version named by If-Match ("3" as this API's ETags say it), "*", or None when absent."""
    raw = event.headers.get("if-match")
    if raw is None:
        return None
    if raw.strip(" \t") == "*":
        return "*"
    found = _ENTITY_TAG.fullmatch(raw)
    if not found:
        raise errors.MalformedRequest('If-Match must be one of this API\'s ETags, such as "3".')
    return int(found.group(1))


_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
DEVICE_ID_RULE = "1 to 64 characters of A-Z a-z 0-9 _ -"


def device_id(event: HttpRequest) -> str | None:
    """The Device-Id header (None when absent); anything but 1 to 64 of A-Z a-z 0-9 _ - is 422,
    whose `errors` name the header (`header`, where a body member has `pointer`)."""
    raw = event.headers.get("device-id")
    if raw is None:
        return None
    if not _DEVICE_ID.search(raw):
        raise errors.InvalidInput(
            "The Device-Id header is not valid.", errors=[{"header": "Device-Id", "detail": DEVICE_ID_RULE}]
        )
    return raw


def etag(version: int) -> dict[str, str]:
    return {"etag": f'"{version}"'}


def respond(status: int, body: msgspec.Struct | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """A Lambda proxy response with a JSON body (or none)."""
    response: Response = {"statusCode": status, "headers": dict(headers or {})}
    if body is not None:
        response["headers"]["content-type"] = JSON
        response["body"] = msgspec.json.encode(body).decode()
    return response


def problem(kind: ProblemKind, detail: str, extensions: Mapping[str, Any] | None = None) -> Response:
    """An RFC 9457 problem response."""
    return {
        "statusCode": kind.status,
        "headers": {"content-type": PROBLEM_JSON},
        "body": msgspec.json.encode(_document(kind, detail, extensions)).decode(),
    }


def _document(kind: ProblemKind, detail: str, extensions: Mapping[str, Any] | None) -> dict[str, Any]:
    document = {"type": PROBLEM_TYPE_BASE + kind.slug, "title": kind.title, "status": kind.status, "detail": detail}
    document.update(extensions or {})
    return document


def _kind(exc: errors.DomainError) -> ProblemKind:
    return next(PROBLEMS[cls] for cls in type(exc).__mro__ if cls in PROBLEMS)


def problem_document(exc: errors.DomainError) -> dict[str, Any]:
    """The problem document of a domain error, for embedding in a batch or push result."""
    document: dict[str, Any] = msgspec.to_builtins(_document(_kind(exc), exc.detail, exc.extensions))
    return document


def problem_for(exc: errors.DomainError) -> Response:
    """The problem response for a domain error: the single status mapping of the API."""
    response = problem(_kind(exc), exc.detail, exc.extensions)
    if isinstance(exc, errors.RequestLimitReached):
        # Delay-seconds, RFC 9110 section 10.2.3.
        response["headers"]["retry-after"] = str(exc.retry_after)
    return response


def problem_responses(handler: Handler) -> Handler:
    """Answer domain errors with their problem document and anything unexpected with a bare 500."""

    @wraps(handler)
    def wrapper(event: HttpRequest, context: LambdaContext) -> Response:
        try:
            return handler(event, context)
        except errors.DomainError as exc:
            logger.info("request refused", extra={"problem": type(exc).__name__, "detail": exc.detail})
            return problem_for(exc)
        except Exception:
            logger.exception("unhandled error")
            return problem(INTERNAL_ERROR, "Something went wrong on our side; the request can be retried.")

    return wrapper


def api_handler(handler: Handler) -> LambdaHandler:
    """Make an API function's handler: it receives the typed HTTP API event and returns a response.

    Wraps it, outermost first as Powertools documents: the logger (correlation id from the HTTP
    request id), metrics (with the cold-start metric), the tracer, the typed event, and the
    mapping of errors to problem responses.
    """
    answering = problem_responses(handler)

    def typed(event: dict[str, Any], context: LambdaContext) -> Response:
        with deadline.of_invocation(context):
            return answering(HttpRequest(event), context)

    traced = tracer.capture_lambda_handler(typed, capture_response=False)
    measured = metrics.log_metrics(traced, capture_cold_start_metric=True)
    return logger.inject_lambda_context(measured, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
