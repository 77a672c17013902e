"""Client tier: the reference client (clients/python, `notes_sync_client` and `notes-sync`) as the
devices, over HTTP against a local stack (`python -m local`) the tier starts, like the e2e tier.

Like the e2e tier, every AWS call the stack's functions make is recorded and, at the end, checked
against template.yaml's policies (tests/support/iam.py)."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes_sync_client import Backoff, Client
from tests.support import iam
from tests.support.aws_calls import DIRECTORY_VARIABLE, Recording
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess

PASSWORD = "Correct-Horse-1"
CALLS_DIRECTORY = Path(tempfile.mkdtemp(prefix="notes-sync-client-aws-calls-"))
os.environ[DIRECTORY_VARIABLE] = str(CALLS_DIRECTORY)  # inherited by the stack started here


def pytest_sessionfinish(session: pytest.Session) -> None:
    recordings = [Recording.load(path) for path in sorted(CALLS_DIRECTORY.glob("*.json"))]
    shutil.rmtree(CALLS_DIRECTORY, ignore_errors=True)
    iam.conclude(session, "client", recordings)


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    iam.print_report(terminalreporter, config)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalProcess]:
    stack = LocalProcess(SHARED_SOURCE_LIMITS)
    yield stack
    stack.stop()


def new_account(api_url: str, profile: Path) -> tuple[str, Client]:
    """A new confirmed user, signed in on a new device (profile); its email and the client."""
    email = f"client-{uuid.uuid4().hex[:12]}@example.com"
    client = Client(api_url, profile, backoff=Backoff(max_attempts=4))
    client.sign_up(email, PASSWORD, "Client Tier")
    client.confirm(email, "123456")  # the local stack accepts any code
    client.sign_in(email, PASSWORD)
    return email, client


@pytest.fixture
def account(local_stack: LocalProcess, tmp_path: Path) -> Iterator[tuple[str, Client]]:
    email, client = new_account(local_stack.base_url, tmp_path / "first-device")
    yield email, client
    client.close()
