"""local.front: the parts of the local HTTP API that need no server."""

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from local.front import (
    AccessLogFormat,
    Handled,
    LocalApi,
    Request,
    TokenBucket,
    context_variables,
    gateway_answer,
    make_front,
)
from local.functions import LAMBDA_RESPONSE_BYTES, Functions
from local.provision import Provisioned
from local.template import Resolver


def test_a_route_takes_its_burst_then_one_request_per_token_the_rate_refills() -> None:
    # Given a route's bucket: 2 requests a second, bursts of 3, on a clock the test moves
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])

    # Then a burst of 3 goes through, the 4th is throttled
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    # And half a second refills one token
    now[0] = 0.5
    assert [bucket.take(), bucket.take()] == [True, False]
    # And an idle route never holds more than its burst
    now[0] = 100.0
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_the_gateways_own_answers_are_compact_json_messages() -> None:
    answer = gateway_answer(429, "Too Many Requests")

    assert answer.status == 429
    assert answer.headers == {"content-type": "application/json"}
    assert answer.body == b'{"message":"Too Many Requests"}'


def test_an_access_log_line_fills_in_each_context_variable_as_api_gateway_does() -> None:
    # Given a format with a number written unquoted and strings quoted
    log_format = AccessLogFormat(
        '{"requestId":"$context.requestId", "status":$context.status, '
        '"integrationLatency":"$context.integrationLatency", "userAgent":"$context.identity.userAgent"}'
    )

    # When a request the gateway answered itself is logged (no integration), its agent quoting
    line = log_format.line({"requestId": "Mc7UVioPPHcEKPA=", "status": 401, "identity.userAgent": 'say "hi"'})

    # Then a value it does not have is "-", and the line stays JSON
    assert json.loads(line) == {
        "requestId": "Mc7UVioPPHcEKPA=",
        "status": 401,
        "integrationLatency": "-",
        "userAgent": 'say "hi"',
    }


def test_a_format_naming_a_variable_the_local_front_cannot_fill_in_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\$context\.authorizer\.claims\.sub"):
        AccessLogFormat('{"requestId":"$context.requestId", "user":"$context.authorizer.claims.sub"}')


def test_the_front_has_a_value_for_every_variable_a_format_may_name() -> None:
    handled = Handled(gateway_answer(404, "Not Found"))
    variables = context_variables("id", datetime.now(UTC), "GET", "/v1/x", "127.0.0.1", "curl", handled, 1)

    assert set(variables) == set(AccessLogFormat.VARIABLES)


# ---------------------------------------------------------------- Lambda's response payload limit
# A template of one public route, whose function is `answer_of_size` below: it answers a body of
# `count` times the query's `char`.
_ONE_ROUTE = {
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Auth": {
                    "DefaultAuthorizer": "Jwt",
                    "Authorizers": {"Jwt": {"JwtConfiguration": {"issuer": "https://issuer/pool", "audience": ["c"]}}},
                }
            },
        },
        "SizedFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "tests/unit/",
                "Handler": "test_local_front.answer_of_size",
                "Events": {
                    "Get": {
                        "Type": "HttpApi",
                        "Properties": {"Method": "GET", "Path": "/sized", "Auth": {"Authorizer": "NONE"}},
                    }
                },
            },
        },
    }
}
# What the answer adds to its body in Lambda's payload: {"statusCode": 200, "body": "..."}
_ENVELOPE_BYTES = len('{"statusCode": 200, "body": ""}')


def answer_of_size(event: dict[str, Any], context: object) -> dict[str, Any]:
    query = event["queryStringParameters"]
    return {"statusCode": 200, "body": query["char"] * int(query["count"])}


def _front() -> LocalApi:
    provisioned = Provisioned(_ONE_ROUTE, Resolver(_ONE_ROUTE, "us-east-1", "unit"))
    return LocalApi(provisioned, Functions(provisioned, "http://127.0.0.1:1"), "http://127.0.0.1:1")


def _get(front: LocalApi, char: str, count: int) -> Handled:
    target = f"/sized?char={quote(char)}&count={count}"
    return front.handle(Request("GET", target, {}, b"", "127.0.0.1", "id", datetime.now(UTC), "127.0.0.1"))


@pytest.mark.parametrize(
    ("char", "count", "status"),
    [
        ("a", LAMBDA_RESPONSE_BYTES - _ENVELOPE_BYTES, 200),  # at the limit
        ("a", LAMBDA_RESPONSE_BYTES - _ENVELOPE_BYTES + 1, 500),  # a byte past it
        ('"', (LAMBDA_RESPONSE_BYTES - _ENVELOPE_BYTES) // 2 + 1, 500),  # 3 MB of quotes, escaped: past it
        ("\u00e9", (LAMBDA_RESPONSE_BYTES - _ENVELOPE_BYTES) // 2, 200),  # 6 MB of UTF-8, not \u00e9 (36 MB)
    ],
    ids=["at-the-limit", "a-byte-past-it", "quotes-count-twice", "non-ascii-counts-as-utf8"],
)
def test_an_answer_over_lambdas_response_payload_limit_is_the_gateways_500(char: str, count: int, status: int) -> None:
    # Given a function whose answer is `count` characters, as Lambda's python3.12 runtime sends it
    front = _front()

    # When the front calls it
    handled = _get(front, char, count)

    # Then past Lambda's 6 MB the answer is dropped: API Gateway's 500, in its shape, the function
    # error's message in the access log
    assert handled.response.status == status
    if status == 500:
        assert handled.response.headers["content-type"] == "application/json"
        assert json.loads(handled.response.body) == {"message": "Internal Server Error"}
        assert handled.integration_error == (
            f"Response payload size exceeded maximum allowed payload size ({LAMBDA_RESPONSE_BYTES} bytes)."
        )
    else:
        assert len(handled.response.body) == count * len(char.encode())


def test_connections_arriving_together_all_wait_their_turn() -> None:
    # Given the front listening but not yet accepting, and 64 clients connecting at once (a burst
    # API Gateway takes whole): each waits a second at most
    server = make_front(_front(), 0)
    try:
        with ThreadPoolExecutor(max_workers=64) as pool:
            connections = list(pool.map(_connect, [server.server_address[:2]] * 64))

        # When the front starts accepting and each asks for a small answer
        threading.Thread(target=server.serve_forever, daemon=True).start()
        statuses = [_status_of_a_get(connection) for connection in connections]

        # Then every one got through its listen queue and has its answer
        assert statuses == ["200"] * 64
    finally:
        server.shutdown()
        server.server_close()


def _connect(address: tuple[str, int]) -> socket.socket | OSError:
    try:
        return socket.create_connection(address, timeout=1)
    except OSError as refused:
        return refused


def _status_of_a_get(connection: socket.socket | OSError) -> str:
    if isinstance(connection, OSError):
        return f"not connected: {connection!r}"
    with connection:
        connection.sendall(b"GET /sized?char=a&count=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.split(b" ", 2)[1].decode()
