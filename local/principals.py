"""Whose AWS calls these are. On AWS each function and state machine calls with a role of its own;
the local stack runs every function in one process, over one set of moto credentials, so the
thread making a call says which function it is acting for (`Functions.invoke` names it) and
whoever watches the calls asks `acting()`: the tests' call recorder (tests/support/aws_calls.py),
which checks each call against that function's policies.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_principal: ContextVar[str | None] = ContextVar("aws_principal", default=None)


@contextmanager
def acting_as(principal: str) -> Iterator[None]:
    """AWS calls made in this thread meanwhile are `principal`'s (a logical id or a state machine ARN)."""
    token = _principal.set(principal)
    try:
        yield
    finally:
        _principal.reset(token)


def acting() -> str | None:
    """The principal this thread's AWS calls are made for, if any."""
    return _principal.get()
