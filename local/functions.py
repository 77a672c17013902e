"""The template's functions, loaded in this process and invoked with a Lambda context.

Each function's handler is imported from its CodeUri and Handler, with notes_core (the layer) on
the path, as Lambda would. The environment variables of every function are resolved from the
template and set once, before any handler is imported (configuration is read at cold start);
two functions asking for different values of one variable is refused, since they share a process.
The template declares AWS_ENDPOINT_URL empty (AWS itself); the stack sets it to its moto server, as
`sam local invoke --env-vars local/sam-env.json` does (local.sam_env).
"""

import importlib
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from local import hosts
from local import template as tpl
from local.lambda_context import LambdaContext
from local.principals import acting_as
from local.provision import Provisioned

LAYER_PATH = tpl.ROOT / "layers" / "core"
# Where the functions' AWS SDK sends its calls: botocore's variable for every service's endpoint
# ("Service-specific endpoints", https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"

# A synchronous invocation's response payload is at most 6 MB ("Lambda quotas",
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; "For synchronous
# invocations, the maximum payload size is 6 MB", API_Invoke.html): 6,291,556 bytes, the figure of
# Lambda's own error past it, "Response payload size exceeded maximum allowed payload size
# (6291556 bytes).", errorType Function.ResponseSizeTooLarge. The handler has run by then; its
# answer is dropped and the invocation fails as a function error.
LAMBDA_RESPONSE_BYTES = 6_291_556


class ResponseSizeTooLarge(Exception):
    """Lambda's function error for a response over its payload quota."""


def response_payload_bytes(result: Any) -> int:
    """The size of a handler's return value as Lambda's python3.12 runtime sends it: JSON by the
    runtime interface client's encoder, which keeps non-ASCII characters as they are from
    python3.12 on ("Response format", https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html;
    aws-lambda-python-runtime-interface-client, lambda_runtime_marshaller.py: simplejson with
    ensure_ascii=False and its default separators, which json.dumps writes alike). A proxy
    answer's body is a string member of it, so its every quote and backslash is escaped once more."""
    return len(json.dumps(result, ensure_ascii=False).encode())


def use_layer_and_functions_path() -> None:
    """Make `notes_core` (the layer) and `functions.<name>.app` importable."""
    for path in (str(LAYER_PATH), str(tpl.ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)


class Functions:
    def __init__(
        self, provisioned: Provisioned, endpoint_url: str, local_endpoints: Mapping[str, str] | None = None
    ) -> None:
        """`endpoint_url`: moto's, for AWS_ENDPOINT_URL; `local_endpoints`: {AWS's URL: the local
        stack's}, for the variables naming an endpoint the local stack serves itself (local.stack)."""
        self._properties = provisioned.functions
        served = dict(local_endpoints or {})
        self._environments = {
            name: {
                variable: served.get(value, value) for variable, value in provisioned.function_environment(name).items()
            }
            | {ENDPOINT_VARIABLE: endpoint_url}
            for name in self._properties
        }
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._lock = threading.Lock()

    def environment(self, logical_id: str) -> dict[str, str]:
        """The variables the stack gives the function: the template's, resolved against the stack,
        with the endpoint of its moto server."""
        return dict(self._environments[logical_id])

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
        the botocore session the functions' clients come from (notes_core.data.aws), so an event
        handler registered on either sees the functions' calls. The URLs the functions presign
        name the host the client used (local.hosts)."""
        os.environ.update(self.shared_environment())
        use_layer_and_functions_path()
        from notes_core.data import aws

        boto3.setup_default_session(botocore_session=aws.session())
        hosts.presign_for_client_host(aws.session())

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
            result = self.handler(logical_id)(event, context)
        if response_payload_bytes(result) > LAMBDA_RESPONSE_BYTES:
            raise ResponseSizeTooLarge(
                f"Response payload size exceeded maximum allowed payload size ({LAMBDA_RESPONSE_BYTES} bytes)."
            )
        return result
