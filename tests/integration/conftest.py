"""Integration tier: the handlers, invoked in-process with events/ fixtures, against moto.

moto runs as a single-threaded server in this process and every resource is provisioned from
template.yaml's own properties (local.stack), before any test module imports notes_core, whose
configuration is read at import. Each test uses its own users, so tests do not share data.

Every AWS call the functions and state machines make is recorded and, when the tier ends, checked
against their policies in template.yaml (tests/support/iam.py): a call they do not allow fails the tier.
"""

import pytest

from local.stack import LocalStack
from tests.support import iam
from tests.support.api import Api, User
from tests.support.aws_calls import CallRecorder
from tests.support.media import Workers
from tests.support.stack import shared_stack

STACK = shared_stack()
RECORDER = CallRecorder(STACK.provisioned).start()  # before notes_core makes its clients


def pytest_sessionfinish(session: pytest.Session) -> None:
    iam.conclude(session, "integration", [RECORDER.recording()])


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    iam.print_report(terminalreporter, config)


@pytest.fixture(scope="session")
def stack() -> LocalStack:
    return STACK


@pytest.fixture(scope="session")
def api() -> Api:
    return Api(STACK)


@pytest.fixture(scope="session")
def workers() -> Workers:
    """The queue consumers, run on demand (failed messages come back at once)."""
    return Workers(STACK)


@pytest.fixture
def user(api: Api) -> User:
    """A new confirmed, signed-in user: tests share no data."""
    return api.new_user()
