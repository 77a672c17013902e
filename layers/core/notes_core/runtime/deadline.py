"""The time the current invocation has left: every loop that could outlast it (merges, retries)
stops in time for the function to answer.

notes_core.edge.http.api_handler and notes_core.edge.consumers.sqs_consumer set it from the Lambda
context (`get_remaining_time_in_millis`) for the invocation they wrap; code run outside an
invocation (a script, a test calling notes_core directly) has no deadline.
"""

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


_DEADLINE: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def of_invocation(context: _Context) -> Iterator[None]:
    """While active, the deadline is the end of the invocation `context` describes."""
    token = _DEADLINE.set(time.monotonic() + context.get_remaining_time_in_millis() / 1000)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float:
    """Seconds left before the invocation times out (infinite outside an invocation)."""
    deadline = _DEADLINE.get()
    return math.inf if deadline is None else deadline - time.monotonic()
