"""Faults injected into AWS calls: one boto3 client's answers, a moto backend's behaviour, or a call held back."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def answering(
    client: Any, operation: str, parsed: dict[str, Any], status: int = 200, times: int | None = None
) -> Iterator[None]:
    """While active, `client`'s `operation` answers `parsed` with HTTP `status` (`times` times, or
    always) instead of calling AWS.

    Uses botocore's before-call event: a handler that returns (http response, parsed body) stands
    in for the call, and botocore treats it exactly as a real answer (an error status raises the
    ClientError AWS would have caused).
    """
    remaining = [times]

    def answer(**_: Any) -> tuple[Any, dict[str, Any]] | None:
        if remaining[0] is not None:
            if remaining[0] <= 0:
                return None
            remaining[0] -= 1
        return _HttpResponse(status), {**parsed, "ResponseMetadata": {"HTTPStatusCode": status}}

    event = f"before-call.{client.meta.service_model.service_name}.{operation}"
    handler: Any = answer  # botocore-stubs types handlers as returning None; before-call may answer
    client.meta.events.register(event, handler)
    try:
        yield
    finally:
        client.meta.events.unregister(event, handler)


def failing(client: Any, operation: str, code: str, status: int = 400, times: int | None = None) -> Any:
    """While active, `client`'s `operation` fails with the AWS error `code` (`times` times, or always)."""
    return answering(client, operation, {"Error": {"Code": code, "Message": f"injected {code}"}}, status, times)


class _HttpResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""


@contextmanager
def moto_failing(
    backend_class: type, method: str, error: Callable[[], Exception], times: int | None = None
) -> Iterator[list[int]]:
    """While active, moto's `backend_class.method` fails (`times` times, or always) with `error()`
    (a moto exception of that service, so it is answered as AWS would), for every caller moto
    serves from this process, state machine tasks included. Yields the failures injected so far."""
    original = getattr(backend_class, method)
    injected: list[int] = []

    def fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        if times is None or len(injected) < times:
            injected.append(1)
            raise error()
        return original(self, *args, **kwargs)

    setattr(backend_class, method, fail)
    try:
        yield injected
    finally:
        setattr(backend_class, method, original)


@contextmanager
def held(session: Any, operation: str, holds: Callable[[dict[str, Any]], bool]) -> Iterator[threading.Event]:
    """While active, each call of `operation` (e.g. "dynamodb.Query") whose parameters `holds`
    matches, by a client made from `session` from now on, waits before it is sent until the
    yielded event is set (30 s at most). moto's ASL executor makes a client from boto3's default
    session for each Task, so a test can hold a state machine at a chosen call, in the
    execution's own thread, while it changes what that call will read."""
    released = threading.Event()

    def wait(params: dict[str, Any], **_: Any) -> None:
        if holds(params):
            released.wait(30)

    event = f"before-parameter-build.{operation}"
    session.events.register(event, wait)
    try:
        yield released
    finally:
        released.set()
        session.events.unregister(event, wait)
