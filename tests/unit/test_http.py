"""notes_core.edge.http: reading requests, shaping responses, the one status mapping."""

import base64
import json
from operator import attrgetter
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

from local.lambda_context import LambdaContext
from notes_core.contract.bodies.auth import SignInRequest
from notes_core.contract.bodies.notes import parse_push_change
from notes_core.contract.problems import PROBLEMS
from notes_core.domain import errors
from notes_core.edge.http import HttpRequest, caller, json_body, problem_for, problem_responses, respond
from tests.support.events import fixture


def _event(body: str | bytes | None = None, headers: dict[str, str] | None = None, base64_body: bool = False) -> Any:
    event = fixture("auth_sign_in")
    event["headers"].update(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else body.encode()
        event["body"] = base64.b64encode(data).decode() if base64_body else data.decode()
        event["isBase64Encoded"] = base64_body
    return HttpRequest(event)


def _all_domain_errors(cls: type[errors.DomainError] = errors.DomainError) -> set[type[errors.DomainError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_domain_errors(sub)
    return found


def _instance(error: type[errors.DomainError]) -> errors.DomainError:
    if error is errors.TokenRefused:
        return error()
    if error is errors.RequestLimitReached:
        return errors.RequestLimitReached("detail", 7, {"name": "n", "requests": 1, "window_seconds": 60})
    return error("detail")


@pytest.mark.parametrize("error", sorted(_all_domain_errors(), key=attrgetter("__name__")))
def test_every_domain_error_has_a_problem_status(error: type[errors.DomainError]) -> None:
    response = problem_for(_instance(error))

    document = json.loads(response["body"])
    assert response["headers"]["content-type"] == "application/problem+json"
    assert 400 <= response["statusCode"] < 500
    assert document["status"] == response["statusCode"]
    assert document["type"].startswith("https://")
    assert {"type", "title", "status", "detail"} <= set(document)


def test_statuses_are_the_contracts() -> None:
    statuses = {cls.__name__: kind.status for cls, kind in PROBLEMS.items()}
    assert statuses == {
        "MalformedRequest": 400,
        "InvalidCode": 400,
        "NotAuthenticated": 401,
        "UserNotConfirmed": 403,
        "WrongPassword": 403,
        "NotFound": 404,
        "AlreadyExists": 409,
        "WriteContention": 409,
        "MediaLimitReached": 409,
        "ResyncRequired": 410,
        "PreconditionFailed": 412,
        "PreconditionRequired": 428,
        "PayloadTooLarge": 413,
        "UnsupportedMediaType": 415,
        "InvalidInput": 422,
        "PushNotConfigured": 422,
        "RateLimited": 429,
        "RequestLimitReached": 429,
    }


def test_a_request_limit_answer_carries_retry_after_as_a_header_and_says_which_limit() -> None:
    # Given a limit used up for 42 more seconds
    limit = {"name": "sign-in-per-source-ip", "requests": 30, "window_seconds": 60}
    refused = errors.RequestLimitReached("At most 30 sign-in requests from one IP address a minute.", 42, limit)

    # When it is answered
    response = problem_for(refused)

    # Then the answer is a 429 whose Retry-After header and body agree, and the body names the limit
    document = json.loads(response["body"])
    assert response["statusCode"] == 429
    assert response["headers"] == {"content-type": "application/problem+json", "retry-after": "42"}
    assert document["type"] == "https://notes-sync.dev/problems/request-limit"
    assert (document["limit"], document["retry_after"]) == (limit, 42)


def test_other_429s_carry_no_retry_after() -> None:
    response = problem_for(errors.RateLimited("Too many failed attempts."))

    assert response["statusCode"] == 429
    assert "retry-after" not in response["headers"]


def test_the_source_ip_is_the_one_api_gateway_gives_not_a_header() -> None:
    # Given an event from 198.51.100.7 whose headers claim another address
    event = fixture("auth_sign_in")
    event["requestContext"]["http"]["sourceIp"] = "198.51.100.7"
    event["headers"]["x-forwarded-for"] = "203.0.113.99"

    # Then the request's source is API Gateway's
    assert HttpRequest(event).source_ip == "198.51.100.7"


def test_json_body_reads_a_valid_body_and_normalises_the_email() -> None:
    request = json_body(_event('{"email": " Ann@Example.COM ", "password": "pw"}'), SignInRequest)

    assert request.email == "ann@example.com"


def test_json_body_reads_a_base64_body() -> None:
    request = json_body(_event('{"email": "a@b.co", "password": "pw"}', base64_body=True), SignInRequest)

    assert request.password == "pw"


@pytest.mark.parametrize(
    ("body", "headers", "error"),
    [
        ("{oops", {}, errors.MalformedRequest),
        ("", {}, errors.MalformedRequest),
        ('{"email": "a@b.co"}', {}, errors.InvalidInput),
        ('{"email": "a@b.co", "password": "pw", "admin": true}', {}, errors.InvalidInput),
        ("[]", {}, errors.InvalidInput),
        ('{"email": "a@b.co", "password": "pw"}', {"content-type": "text/plain"}, errors.UnsupportedMediaType),
        ('{"email": "' + "a" * (5 << 20) + '"}', {}, errors.PayloadTooLarge),
    ],
    ids=["malformed", "empty", "missing-field", "unknown-field", "not-an-object", "not-json-type", "too-large"],
)
def test_json_body_refuses_bad_bodies(body: str, headers: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        json_body(_event(body, headers), SignInRequest)


def test_json_body_refuses_a_body_that_is_not_utf8_as_malformed() -> None:
    # Given a body API Gateway passed on base64-encoded because its bytes are not text
    event = _event(b'\xff\xfe{"email": "a@b.co"}', base64_body=True)

    # When it is read, then it is malformed JSON (400), not a decoding crash (500)
    with pytest.raises(errors.MalformedRequest):
        json_body(event, SignInRequest)


def test_json_body_accepts_json_with_a_charset() -> None:
    event = _event('{"email": "a@b.co", "password": "pw"}', {"content-type": "application/json; charset=utf-8"})

    assert json_body(event, SignInRequest).email == "a@b.co"


def test_caller_comes_from_the_access_token_claims() -> None:
    found = caller(HttpRequest(fixture("account_get")))

    assert found.user_id == "5f3c2a8e-1d2b-4c6e-9a7f-0b1c2d3e4f50"
    assert found.issued_at == 1764067200
    assert found.access_token == "eyJraWQiOiJleGFtcGxlIn0.example.signature"


@pytest.mark.parametrize("claims", [{}, {"sub": "x", "token_use": "id"}, {"token_use": "access"}])
def test_caller_refuses_anything_but_an_access_token(claims: dict[str, str]) -> None:
    event = fixture("account_get")
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims

    with pytest.raises(errors.NotAuthenticated):
        caller(HttpRequest(event))


def test_respond_without_body_has_no_content_type() -> None:
    assert respond(204) == {"statusCode": 204, "headers": {}}


def test_problem_responses_turn_unexpected_errors_into_a_bare_500() -> None:
    def broken(event: HttpRequest, context: PowertoolsLambdaContext) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    response = problem_responses(broken)(HttpRequest(fixture("account_get")), LambdaContext())

    assert response["statusCode"] == 500
    assert "secret internals" not in response["body"]


def test_a_body_without_content_type_is_415() -> None:
    # Given a JSON body sent with no content-type header (docs/errors.md: 415)
    event = fixture("auth_sign_in")
    del event["headers"]["content-type"]

    # When it is read, then it is refused as an unsupported media type
    with pytest.raises(errors.UnsupportedMediaType):
        json_body(HttpRequest(event), SignInRequest)


def test_no_body_and_no_content_type_is_a_missing_body() -> None:
    event = fixture("auth_sign_in")
    del event["headers"]["content-type"]
    del event["body"]

    with pytest.raises(errors.MalformedRequest, match="A JSON body is required"):
        json_body(HttpRequest(event), SignInRequest)


@pytest.mark.parametrize("levels", [65, 1493, 100_000])
def test_a_body_nested_deeper_than_64_levels_is_malformed(levels: int) -> None:
    # Given the sign-in body: an email nested in arrays, closed or not
    for body in ('{"email":' + "[" * levels + "]" * levels + "}", '{"email":' + "[" * levels):
        # When it is read, then it is a 400 that says why, not a RecursionError
        with pytest.raises(errors.MalformedRequest, match="more than 64 levels deep"):
            json_body(_event(body), SignInRequest)


def test_a_body_nested_64_levels_is_read_and_its_member_named() -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        json_body(_event('{"email":' + "[" * 63 + "]" * 63 + ', "password": "pw"}'), SignInRequest)

    assert refused.value.extensions["errors"][0]["pointer"] == "/email"


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a@b.co", "email": "c@d.co", "password": "pw"}',
        '{"email": "a@b.co", "password": "pw", "password": "x"}',
    ],
)
def test_a_body_repeating_a_member_name_is_malformed(body: str) -> None:
    with pytest.raises(errors.MalformedRequest, match="two members of the same name"):
        json_body(_event(body), SignInRequest)


def test_an_integer_longer_than_python_reads_is_422_naming_the_member() -> None:
    # Python reads integers of at most 4300 digits (sys.get_int_max_str_digits): msgspec says so
    with pytest.raises(errors.InvalidInput) as refused:
        json_body(_event('{"email": ' + "9" * 5000 + ', "password": "pw"}'), SignInRequest)

    assert refused.value.extensions["errors"][0]["pointer"] == "/email"


def test_a_wrong_type_before_malformed_json_is_still_malformed() -> None:
    # Given a body whose first member has the wrong type and whose end is not JSON
    body = '{"email": 1, "password": "pw", ' + "[" * 50

    # When it is read, then it is malformed (400), not a 422 about the email
    with pytest.raises(errors.MalformedRequest, match="not valid JSON"):
        json_body(_event(body), SignInRequest)


def test_an_unknown_member_with_a_long_name_is_not_echoed() -> None:
    # Given an unknown member whose name is 5 MiB of slashes (each escaped to ~1 in a pointer)
    body = '{"email": "a@b.co", "password": "pw", "' + "/" * (5 * 1024 * 1024 - 100) + '": 1}'

    # When it is refused
    with pytest.raises(errors.InvalidInput) as refused:
        json_body(_event(body), SignInRequest)

    # Then the problem points at its object and stays small (Lambda answers at most 6 MB)
    assert refused.value.extensions["errors"][0]["pointer"] == "/"
    assert len(problem_for(refused.value)["body"]) < 1000


def test_a_long_value_msgspec_quotes_is_cut_short() -> None:
    # Given a push change whose op is 2 MiB of backslashes, which msgspec's message quotes doubled
    change = {"op": "\\" * (2 * 1024 * 1024), "id": "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b", "base_version": None}

    # When it is checked
    problem = parse_push_change(change, "")

    # Then the problem names the member and quotes a little of it
    assert isinstance(problem, errors.InvalidInput)
    assert problem.extensions["errors"][0]["pointer"] == "/op"
    assert len(problem.extensions["errors"][0]["detail"]) < 300
