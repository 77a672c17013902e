"""E2E tier: `python -m local` started on loopback by the tests, called over HTTP like a client."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.local_process import LocalProcess

PASSWORD = "Correct-Horse-1"


@dataclass
class Client:
    base_url: str
    session: requests.Session

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def sign_up_and_in(self) -> dict[str, Any]:
        """A new confirmed user: its email plus the sign-in tokens."""
        email = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
        assert self.request(
            "POST", "/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "full_name": "E2E"}
        ).ok
        assert self.request("POST", "/v1/auth/confirm", json={"email": email, "code": "123456"}).status_code == 204
        tokens = self.request("POST", "/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return {"email": email, **tokens.json()}


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalProcess]:
    stack = LocalProcess()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def client(local_stack: LocalProcess) -> Client:
    return Client(local_stack.base_url, requests.Session())
