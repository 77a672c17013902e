"""Retries exactly as the sync guide says ("Retries, backoff and rate limits"), against a scripted
server (httpx.MockTransport): what is retried, how long the waits are, and that a retry is the
very same request."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notes_sync_client import ApiError, Backoff, Client, SignInRequired, Unavailable
from notes_sync_client.transport import Http

PROBLEM = "application/problem+json"


def _problem(status: int, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": f"https://notes-sync.dev/problems/{name}", "title": name, "status": status}
    return httpx.Response(status, json=body, headers={"content-type": PROBLEM, **(headers or {})})


class Script:
    """Answers in turn; records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers: Iterator[httpx.Response | Exception] = iter(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _http(script: Script, waits: list[float], max_attempts: int = 8) -> Http:
    backoff = Backoff(max_attempts=max_attempts, sleep=waits.append, random=lambda: 1.0)
    return Http("http://api.test", transport=httpx.MockTransport(script), backoff=backoff)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("the answer never came"),
        httpx.ConnectError("refused"),
        _problem(409, "write-contention"),
        _problem(500, "internal-error"),
        httpx.Response(500, json={"message": "Internal Server Error"}),
        httpx.Response(429, json={"message": "Too Many Requests"}),
    ],
    ids=["time-out", "no-connection", "write-contention", "500-problem", "500-gateway", "429-gateway"],
)
def test_what_the_guide_retries_is_sent_again_unchanged(failure: httpx.Response | Exception) -> None:
    # Given a server that fails twice, then answers
    script = Script(failure, failure, httpx.Response(200, json={"results": []}))
    waits: list[float] = []

    # When a push is sent
    answer = _http(script, waits).send("POST", "/v1/sync", raw_body=b'{"changes":[]}', token="t")

    # Then it was sent three times, the same bytes each time, after waits of 0.5 s then 1 s at most
    assert answer.status == 200
    assert [request.content for request in script.requests] == [b'{"changes":[]}'] * 3
    assert waits == [0.5, 1.0]


def test_a_429_waits_at_least_its_retry_after() -> None:
    script = Script(_problem(429, "request-limit", {"retry-after": "7"}), httpx.Response(204))
    waits: list[float] = []

    _http(script, waits).send("POST", "/v1/auth/sign-in", body={"email": "a@b.co", "password": "x"})

    assert waits == [7.0]


def test_the_wait_grows_to_30_seconds_at_most() -> None:
    backoff = Backoff(random=lambda: 1.0)

    assert [backoff.delay(attempt) for attempt in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize(
    "answer",
    [_problem(409, "already-exists"), _problem(422, "validation-error"), _problem(412, "version-conflict")],
    ids=["409-already-exists", "422", "412"],
)
def test_other_client_errors_are_never_retried(answer: httpx.Response) -> None:
    script = Script(answer)

    got = _http(script, []).send("POST", "/v1/notes", body={})

    assert (got.status, len(script.requests)) == (answer.status_code, 1)


def test_past_its_attempts_a_call_is_unavailable() -> None:
    script = Script(*[httpx.ConnectError("down")] * 3)

    with pytest.raises(Unavailable):
        _http(script, [], max_attempts=3).send("GET", "/v1/sync")
    assert len(script.requests) == 3


# ---------------------------------------------------------------------- tokens
def _token(sub: str = "user-1") -> str:
    def part(value: dict[str, Any]) -> str:
        import base64

        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': sub})}.signature"


def _signed_in(tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    client = Client(
        "http://api.test", tmp_path, transport=httpx.MockTransport(handler), backoff=Backoff(sleep=lambda _: None)
    )
    client.store.set_meta(
        {"access_token": _token(), "refresh_token": "refresh-1", "expires_at": "9999999999", "user_id": "user-1"}
    )
    return client


def test_a_401_refreshes_once_and_keeps_the_refresh_token(tmp_path: Path) -> None:
    # Given a server that refuses the access token once
    seen: list[tuple[str, str | None]] = []
    fresh = _token()

    def server(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/v1/auth/refresh":
            assert json.loads(request.read()) == {"refresh_token": "refresh-1"}
            return httpx.Response(
                200, json={"access_token": fresh, "id_token": "id", "expires_in": 900, "token_type": "Bearer"}
            )
        if len(seen) == 1:
            return httpx.Response(401, json={"message": "Unauthorized"}, headers={"www-authenticate": "Bearer"})
        return httpx.Response(200, json={"changes": [], "cursor": "c1", "has_more": False})

    client = _signed_in(tmp_path, server)

    # When the device syncs
    client.sync()

    # Then it refreshed once, retried with the new token, and kept its refresh token
    assert [path for path, _ in seen] == ["/v1/sync", "/v1/auth/refresh", "/v1/sync"]
    assert seen[2][1] == f"Bearer {fresh}"
    assert client.store.meta("refresh_token") == "refresh-1"


def test_a_refused_refresh_means_signing_in_again(tmp_path: Path) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/refresh":
            return _problem(401, "unauthorized")
        return httpx.Response(401, json={"message": "Unauthorized"})

    client = _signed_in(tmp_path, server)

    with pytest.raises(SignInRequired):
        client.sync()
    assert client.store.meta("refresh_token") is None


def test_a_410_resyncs_from_the_beginning_and_keeps_the_outbox(tmp_path: Path) -> None:
    # Given a device with an old cursor, a note the server forgot and a note not sent yet
    pulls: list[str | None] = []
    stored: list[dict[str, Any]] = []
    client = _signed_in(tmp_path, lambda request: httpx.Response(500))
    client.store.set_meta({"cursor": "old"})
    kept = client.create("kept", "not sent")
    forgotten = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"
    client.store.apply_page(
        [
            {
                "id": forgotten,
                "title": "t",
                "content": "c",
                "version": 2,
                "deleted": False,
                "trashed": False,
                "trashed_at": None,
                "media": [],
            }
        ],
        "old",
        client.on_conflict,
    )

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            change = json.loads(request.read())["changes"][0]
            note = {**change, "version": 1, "deleted": False, "trashed": False, "trashed_at": None, "media": []}
            note |= {"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
            del note["op"]
            stored.append(note)
            return httpx.Response(200, json={"results": [{"id": change["id"], "status": "applied", "note": note}]})
        pulls.append(request.url.params.get("cursor"))
        if request.url.params.get("cursor") == "old":
            return _problem(410, "resync-required")
        return httpx.Response(200, json={"changes": stored, "cursor": "new", "has_more": False})

    client.http = Http("http://api.test", transport=httpx.MockTransport(server), backoff=Backoff(sleep=lambda _: None))

    # When it syncs
    report = client.sync()

    # Then it pulled again from the beginning: its own note went out, the forgotten one is gone
    assert pulls == ["old", None]
    assert report.resynced
    assert client.store.meta("cursor") == "new"
    assert [note.id for note in client.notes()] == [kept]
    assert client.store.outbox() == []


def test_an_error_names_the_problem_and_the_request(tmp_path: Path) -> None:
    answer = _problem(422, "validation-error")
    failure = ApiError(
        422, answer.json() | {"errors": [{"pointer": "/changes/0/base_version", "detail": "wrong"}]}, "r1"
    )

    assert (
        str(failure) == "422 validation-error: validation-error\n  /changes/0/base_version: wrong (apigw-requestid r1)"
    )
