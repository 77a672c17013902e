"""local.front: the parts of the local HTTP API that need no server."""

import json
from datetime import UTC, datetime

import pytest

from local.front import AccessLogFormat, Handled, TokenBucket, context_variables, gateway_answer


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
