"""local.front: the parts of the local HTTP API that need no server."""

from local.front import TokenBucket, gateway_answer


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
