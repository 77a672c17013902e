"""E2E tier: `python -m local` started on loopback by the tests, called over HTTP like a client.

Every local stack these tests start records the AWS calls of its functions and state machines and
writes them, when it stops, to a directory the tier audits at its end against template.yaml's
policies (tests/support/iam.py): a call they do not allow fails the tier.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import iam
from tests.support.aws_calls import DIRECTORY_VARIABLE, Recording
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess

PASSWORD = "Correct-Horse-1"
CALLS_DIRECTORY = Path(tempfile.mkdtemp(prefix="notes-sync-aws-calls-"))
os.environ[DIRECTORY_VARIABLE] = str(CALLS_DIRECTORY)  # inherited by every `python -m local` started here


def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the session's fixtures are torn down: every stack has stopped and written its calls."""
    recordings = [Recording.load(path) for path in sorted(CALLS_DIRECTORY.glob("*.json"))]
    shutil.rmtree(CALLS_DIRECTORY, ignore_errors=True)
    iam.conclude(session, "e2e", recordings)


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    iam.print_report(terminalreporter, config)


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
    stack = LocalProcess(SHARED_SOURCE_LIMITS)
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def client(local_stack: LocalProcess) -> Client:
    return Client(local_stack.base_url, requests.Session())
