"""HTTP edge shared by every API function: read requests, shape responses, answer errors.

Domain exceptions become HTTP statuses and RFC 9457 problem documents here, by the one mapping of
notes_core.contract.problems.
"""

import base64
import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Literal
from uuid import UUID

import msgspec
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract import json_text
from notes_core.contract.bodies.base import validation_error
from notes_core.contract.problems import INTERNAL_ERROR, ProblemKind, document, kind_of
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.domain.note import DEVICE_ID_PATTERN
from notes_core.runtime import deadline
from notes_core.runtime.observability import logger, metrics, tracer

MAX_BODY_BYTES = 5 * 1024 * 1024  # Lambda payloads stop at 6 MB; refuse bodies before that.
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

Response = dict[str, Any]
Handler = Callable[["HttpRequest", LambdaContext], Response]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], Response]


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

    A text nested too deep is refused before any decoder recurses into it
    (notes_core.contract.json_text), one that repeats a member name once it is otherwise
    accepted."""
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


def path_device_id(event: HttpRequest) -> str:
    """The device id of a /v1/devices/{device_id} path: 1 to 64 of A-Z a-z 0-9 _ -, else 422 naming
    the path parameter (`parameter`, where a body member has `pointer`)."""
    raw = event.path_parameters.get("device_id", "")
    if not _DEVICE_ID.search(raw):
        raise errors.InvalidInput(
            "The device id is not valid.", errors=[{"parameter": "device_id", "detail": DEVICE_ID_RULE}]
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
        "body": msgspec.json.encode(document(kind, detail, extensions)).decode(),
    }


def problem_for(exc: errors.DomainError) -> Response:
    """The problem response for a domain error: the single status mapping of the API."""
    response = problem(kind_of(exc), exc.detail, exc.extensions)
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
