"""The template's functions, loaded in this process and invoked with a Lambda context.

Each function's handler is imported from its CodeUri and Handler, with notes_core (the layer) on
the path, as Lambda would. The environment variables of every function are resolved from the
template and set once, before any handler is imported (configuration is read at cold start);
two functions asking for different values of one variable is refused, since they share a process.
"""

import importlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import boto3

from local import template as tpl
from local.aws_calls import acting_as
from local.lambda_context import LambdaContext
from local.provision import Provisioned

LAYER_PATH = tpl.ROOT / "layers" / "core"


def use_layer_and_functions_path() -> None:
    """Make `notes_core` (the layer) and `functions.<name>.app` importable."""
    for path in (str(LAYER_PATH), str(tpl.ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)


class Functions:
    def __init__(self, provisioned: Provisioned) -> None:
        self._properties = provisioned.functions
        self._environments = {name: provisioned.function_environment(name) for name in self._properties}
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._lock = threading.Lock()

    def shared_environment(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for function, variables in self._environments.items():
            for name, value in variables.items():
                if merged.setdefault(name, value) != value:
                    raise ValueError(f"{function} sets {name}={value!r}, another function {merged[name]!r}")
        return merged

    def prepare(self) -> None:
        """Set the functions' environment and make their code importable. boto3's default session
        (which moto's ASL executor, the call recorder and the tests' faults use) is made to wrap
        the botocore session the functions' clients come from (notes_core.aws), so an event
        handler registered on either sees the functions' calls."""
        os.environ.update(self.shared_environment())
        use_layer_and_functions_path()
        from notes_core import aws

        boto3.setup_default_session(botocore_session=aws.session())

    def handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        with self._lock:
            if logical_id not in self._handlers:
                module, attribute = tpl.handler_module(self._properties[logical_id])
                self._handlers[logical_id] = getattr(importlib.import_module(module), attribute)
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any], timeout_seconds: float | None = None) -> Any:
        """The handler's answer to `event`, with the time the function's Timeout gives it (or
        `timeout_seconds`: tests of what a function does when its time runs short)."""
        if timeout_seconds is None:
            timeout_seconds = float(self._properties[logical_id].get("Timeout", 3))
        context = LambdaContext(function_name=logical_id, timeout_seconds=timeout_seconds)
        with acting_as(logical_id):  # its cold start's calls too
            return self.handler(logical_id)(event, context)
