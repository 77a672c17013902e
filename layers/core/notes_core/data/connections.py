"""Data access to the WebSocket API's connections: its @connections management API.

The endpoint is the API's own, https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
("Use @connections commands in your backend service",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html),
given to the function as CONNECTIONS_URL. A connection the API no longer holds answers
GoneException (410): the client went away without its $disconnect reaching us, which "is a
best-effort event" (apigateway-websocket-api-route-keys-connect-disconnect.html).
"""

from functools import cache
from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.exceptions import ClientError

from notes_core.data import aws
from notes_core.runtime.config import RealtimeSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

# A poke that cannot be sent in a second or two is worth little (the device pulls when it
# reconnects): few retries, short waits.
_CONFIG = Config(connect_timeout=2, read_timeout=2, retries={"mode": "standard", "max_attempts": 2})
# What the client's side caused ("the WebSocket client side buffer is full", a message too large,
# a connection id the API refuses): that poke is lost, the others go on.
_UNDELIVERABLE = frozenset({"LimitExceededException", "PayloadTooLargeException", "ForbiddenException"})


class ConnectionGone(Exception):
    """The API no longer holds this connection (410 GoneException)."""


class Undeliverable(Exception):
    """The API refused to send to this connection for a reason of the client's side."""


@cache
def _api() -> "ApiGatewayManagementApiClient":
    settings = load_settings(RealtimeSettings)
    client: ApiGatewayManagementApiClient = aws.client(
        "apigatewaymanagementapi", config=_CONFIG, endpoint_url=settings.connections_url
    )
    return client


def _translated(exc: ClientError) -> Exception:
    code = exc.response["Error"]["Code"]
    if code == "GoneException":
        return ConnectionGone(code)
    if code in _UNDELIVERABLE:
        return Undeliverable(code)
    return exc


def post(connection_id: str, data: bytes) -> None:
    """Send `data` to the connection as one text message."""
    try:
        _api().post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as exc:
        raise _translated(exc) from None


def close(connection_id: str) -> None:
    """Close the connection (DeleteConnection); ConnectionGone when it is closed already."""
    try:
        _api().delete_connection(ConnectionId=connection_id)
    except ClientError as exc:
        raise _translated(exc) from None
