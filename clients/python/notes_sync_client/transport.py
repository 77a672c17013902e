"""HTTP with the sync guide's retries ("Retries, backoff and rate limits"): a network failure or
time-out, `409 write-contention`, any `429` (not before its `Retry-After`) and any `500` are sent
again, unchanged, after a random wait between 0 and `min(30 s, 0.5 s x 2^attempt)`; nothing else is."""

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from notes_sync_client.errors import Unavailable

USER_AGENT = "notes-sync-client/0.1"


@dataclass
class Backoff:
    """Exponential backoff with full jitter, as the guide gives it. `max_attempts` bounds one call
    (the sync loop runs again later); `sleep` and `random` are there for tests and apps."""

    max_attempts: int = 8
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before retry number `attempt` (0 for the first retry)."""
        jittered: float = self.random() * min(self.cap_seconds, self.base_seconds * 2.0**attempt)
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem_type(self) -> str | None:
        if isinstance(self.body, dict) and "type" in self.body:
            return str(self.body["type"]).rsplit("/", 1)[-1]
        return None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("apigw-requestid")


def _retry_after(answer: Answer) -> float | None:
    value = answer.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def is_retried(answer: Answer) -> bool:
    """Whether the guide says to send this again unchanged."""
    return answer.status in (429, 500) or (answer.status == 409 and answer.problem_type == "write-contention")


class Http:
    """Requests to the API (and to S3's presigned links), each retried as the guide says."""

    def __init__(
        self,
        api_url: str,
        transport: httpx.BaseTransport | None = None,
        backoff: Backoff | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.backoff = backoff or Backoff()
        self.client = httpx.Client(
            transport=transport, timeout=timeout_seconds, headers={"user-agent": USER_AGENT}, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One API call: `path` under the API's URL, `body` as JSON (or `raw_body`, JSON already
        written: a replay sends the very same bytes). Retried answers past `max_attempts` raise
        Unavailable; every other answer is returned."""
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers["authorization"] = f"Bearer {token}"
        content = raw_body if raw_body is not None else None if body is None else json.dumps(body).encode()
        if content is not None:
            sent_headers["content-type"] = "application/json"
        return self._with_retries(
            lambda: self.client.request(
                method, self.api_url + path, content=content, params=params, headers=sent_headers
            ),
            f"{method} {path}",
        )

    def post_form(self, url: str, fields: Mapping[str, str], data: bytes, filename: str) -> Answer:
        """A presigned POST (sync guide, "Images", step 2): every field, then the file as `file`."""
        return self._with_retries(
            lambda: self.client.post(url, data=dict(fields), files={"file": (filename, data)}), "the upload"
        )

    def get_bytes(self, url: str) -> bytes:
        """A download link's bytes."""
        answer: list[bytes] = []

        def fetch() -> httpx.Response:
            response = self.client.get(url)
            answer[:] = [response.content]
            return response

        got = self._with_retries(fetch, "the download")
        if not got.ok:
            raise Unavailable(f"the download answered {got.status}")
        return answer[0]

    def _with_retries(self, request: Callable[[], httpx.Response], what: str) -> Answer:
        attempt = 0
        while True:
            try:
                response = request()
                answer = Answer(response.status_code, _body(response), response.headers)
            except httpx.TransportError as failure:  # the answer may be lost after the server acted
                if attempt + 1 >= self.backoff.max_attempts:
                    raise Unavailable(f"{what}: {failure!r}") from failure
                self.backoff.sleep(self.backoff.delay(attempt))
                attempt += 1
                continue
            if not is_retried(answer):
                return answer
            if attempt + 1 >= self.backoff.max_attempts:
                raise Unavailable(f"{what}: {answer.status} {answer.problem_type or answer.body}")
            self.backoff.sleep(self.backoff.delay(attempt, _retry_after(answer)))
            attempt += 1


def _body(response: httpx.Response) -> Any:
    kind = response.headers.get("content-type", "")
    if "json" in kind and response.content:
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.content if not kind.startswith("text") else response.text
