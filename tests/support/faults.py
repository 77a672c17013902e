"""Make one boto3 client fail an operation with a given AWS error, as AWS would answer it."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def failing(client: Any, operation: str, code: str, status: int = 400, times: int | None = None) -> Iterator[None]:
    """While active, `client`'s `operation` answers with error `code` (`times` times, or always).

    Uses botocore's before-call event: a handler that returns (http response, parsed body) stands
    in for the call, and botocore raises the ClientError exactly as for a real answer.
    """
    remaining = [times]

    def answer(**_: Any) -> tuple[Any, dict[str, Any]] | None:
        if remaining[0] is not None:
            if remaining[0] <= 0:
                return None
            remaining[0] -= 1
        error = {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return _HttpResponse(status), error

    event = f"before-call.{client.meta.service_model.service_name}.{operation}"
    client.meta.events.register(event, answer)
    try:
        yield
    finally:
        client.meta.events.unregister(event, answer)


class _HttpResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""
