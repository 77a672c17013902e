"""The WebSocket API's $connect and $disconnect: each connection of a user is kept under the user
(notes_core.data.table, "Realtime") with its device, for the pokes of other devices' changes.

A connection lasts at most two hours ("Connection duration for WebSocket APIs: 2 hours", not
raisable: "Quotas for configuring and running a WebSocket API in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
its item expires then (the table's TTL). $disconnect "is a best-effort event" (Manage $connect
and $disconnect routes, apigateway-websocket-api-route-keys-connect-disconnect.html): an item it
missed expires, or goes when a poke to it answers GoneException.
"""

from notes_core.data import table
from notes_core.domain import errors

CONNECTION_SECONDS = 7200


def connect(user_id: str, token_issued_at: int, connection_id: str, device_id: str | None, now_epoch: int) -> None:
    """Keep the connection; errors.TokenRefused when a sign-out or the account's deletion came
    after the token was issued (checked with the write: it cannot slip in between)."""
    connection = table.Connection(connection_id, device_id, token_issued_at, now_epoch + CONNECTION_SECONDS)
    try:
        table.put_connection(user_id, connection)
    except table.WriteRefused:
        raise errors.TokenRefused() from None


def disconnect(user_id: str, connection_id: str) -> None:
    table.delete_connection(user_id, connection_id)
