"""One local stack (moto + the template's resources + the functions' environment) per test process.

Started on first use, before any test module imports notes_core (whose configuration is read at
import); the integration and property tiers share it when pytest runs both.
"""

import atexit
from functools import cache

from local.stack import LocalStack


@cache
def shared_stack() -> LocalStack:
    stack = LocalStack()
    atexit.register(stack.stop)
    return stack
