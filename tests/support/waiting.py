"""Waiting for what the local stack does in the background (queues, state machines, schedules)."""

import time
from collections.abc import Callable


def until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Whether `condition` came true within `seconds` (asked every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
