"""One client's flood of sign-ins, over HTTP, leaves everyone else signing in (issue 17, part 3).

A stack of its own with the template's default limits (the session's stack raises them: every test
user there signs up from 127.0.0.1). On Linux all of 127.0.0.0/8 is loopback, so a client can bind
127.0.0.2 or 127.0.0.3 as its source address; the local front hands the TCP peer address to the
function as requestContext.http.sourceIp, as API Gateway does.
"""

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local import template as tpl
from tests.e2e.conftest import PASSWORD
from tests.support.local_process import LocalProcess

ATTEMPTS_PER_MINUTE = int(tpl.load()["Parameters"]["AuthAttemptsPerSourceIpPerMinute"]["Default"])
FLOODER, USER = "127.0.0.2", "127.0.0.3"
CONNECTIONS = 4  # the flooder's, each kept open


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalProcess]:
    started = LocalProcess()
    yield started
    started.stop()


class From:
    """HTTP requests to the stack from one source address, over a connection per thread."""

    def __init__(self, stack: LocalProcess, source: str) -> None:
        self._port, self._source = stack.port, source
        self._connections = threading.local()

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        connection = getattr(self._connections, "open", None)
        if connection is None:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self._port, timeout=30, source_address=(self._source, 0)
            )
            self._connections.open = connection
        connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        answer = connection.getresponse()
        content = answer.read()
        headers = {name.lower(): value for name, value in answer.getheaders()}
        return answer.status, headers, json.loads(content) if content else {}


def _within_one_minute() -> None:
    """Windows are the epoch's minutes: start the flood with a few seconds of its minute to go."""
    if time.time() % 60 > 50:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_a_sign_in_flood_from_one_address_leaves_another_signing_in(stack: LocalProcess) -> None:
    # Given a user who signed up and confirmed from 127.0.0.3
    user, flooder = From(stack, USER), From(stack, FLOODER)
    email = f"real-{uuid.uuid4().hex[:10]}@example.com"
    assert user.post("/v1/auth/sign-up", {"email": email, "password": PASSWORD, "full_name": "Real"})[0] == 201
    assert user.post("/v1/auth/confirm", {"email": email, "code": "123456"})[0] == 204

    # When 127.0.0.2 sends twice its minute's sign-ins at once, wrong passwords for other emails
    # (fewer than the route's burst: the gateway's throttle is the ceiling for everyone, and not
    # what this shows)
    _within_one_minute()

    def wrong(n: int) -> tuple[int, dict[str, str], dict[str, Any]]:
        return flooder.post("/v1/auth/sign-in", {"email": f"x{n}-{email}", "password": "Not-The-Password-1"})

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        flood = list(pool.map(wrong, range(2 * ATTEMPTS_PER_MINUTE)))
    signed_in = user.post("/v1/auth/sign-in", {"email": email, "password": PASSWORD})

    # Then the flooder had its minute's attempts, and then 429 request-limit with Retry-After
    statuses = Counter(status for status, _, _ in flood)
    assert statuses == {401: ATTEMPTS_PER_MINUTE, 429: ATTEMPTS_PER_MINUTE}
    refusals = [(headers, body) for status, headers, body in flood if status == 429]
    assert {headers["content-type"] for headers, _ in refusals} == {"application/problem+json"}
    assert {body["type"] for _, body in refusals} == {"https://notes-sync.dev/problems/request-limit"}
    assert {body["limit"]["name"] for _, body in refusals} == {"sign-in-per-source-ip"}
    assert all(1 <= int(headers["retry-after"]) == body["retry_after"] <= 60 for headers, body in refusals)
    # and the user's sign-in from another address, right after, answers 200 with the tokens
    assert signed_in[0] == 200, signed_in
    assert signed_in[2]["token_type"] == "Bearer"
