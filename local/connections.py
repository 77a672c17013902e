"""The open connections of the local WebSocket API, and the @connections management API the
functions call to reach them (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html):
POST sends the body as one message, GET describes the connection, DELETE closes it; a connection
that does not exist (never did, or closed) answers 410 GoneException, with the error's code in the
`x-amzn-ErrorType` header that botocore reads.

It listens on 127.0.0.1 only, on a port of its own (the websockets server of local.websocket reads
no request bodies), at the URL the functions are given as CONNECTIONS_URL in place of AWS's
(local.stack). AWS signs these calls with SigV4; nothing checks a signature here, which is why
nothing but this machine can reach it. The stack starts it whether or not a WebSocket front runs:
without one, every connection is one that does not exist.
"""

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

# "Message payload size: 128 KB" (Quotas for configuring and running a WebSocket API in API Gateway,
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html);
# PostToConnection's Data is at most 131072 bytes (its API reference).
MESSAGE_BYTES = 128 * 1024


@dataclass
class LiveConnection:
    """An open connection: its socket, the event loop serving it, and what API Gateway knows of it."""

    connection_id: str
    socket: ServerConnection
    loop: asyncio.AbstractEventLoop
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.monotonic)

    def send(self, text: str) -> None:
        asyncio.run_coroutine_threadsafe(self.socket.send(text), self.loop).result(timeout=5)
        self.last_active = time.monotonic()

    def close(self, code: int = 1000, reason: str = "") -> None:
        asyncio.run_coroutine_threadsafe(self.socket.close(code, reason), self.loop).result(timeout=5)


class Connections:
    """The open connections, and the loopback @connections listener that reaches them."""

    def __init__(self, port: int = 0) -> None:
        self._open: dict[str, LiveConnection] = {}
        self._lock = threading.Lock()
        handler = type("ConnectionsHandler", (_ConnectionsHandler,), {"connections": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="@connections", daemon=True)

    def start(self) -> "Connections":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """The listener's base URL; a stage's @connections endpoint is `url/<stage>`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, connection: LiveConnection) -> None:
        with self._lock:
            self._open[connection.connection_id] = connection

    def remove(self, connection_id: str) -> None:
        with self._lock:
            self._open.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection | None:
        with self._lock:
            return self._open.get(connection_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


class _ConnectionsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    connections: Connections

    def _connection(self) -> LiveConnection | None:
        _, found, encoded = urlsplit(self.path).path.partition("/@connections/")
        return self.connections.get(unquote(encoded)) if found else None

    def _answer(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if error:
            # botocore's rest-json protocol reads the error's code from this header.
            self.send_header("x-amzn-ErrorType", error)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _gone(self) -> None:
        self._answer(410, {"message": None}, "GoneException")

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        connection = self._connection()
        if connection is None:
            return self._gone()
        if len(data) > MESSAGE_BYTES:  # PostToConnection's Data: at most 131072 bytes
            return self._answer(413, {"message": "Message too long"}, "PayloadTooLargeException")
        try:
            connection.send(data.decode())
        except (ConnectionClosed, TimeoutError):
            return self._gone()
        return self._answer(200)

    def do_DELETE(self) -> None:
        connection = self._connection()
        if connection is None:
            return self._gone()
        connection.close()
        return self._answer(204)

    def do_GET(self) -> None:
        connection = self._connection()
        if connection is None:
            return self._gone()
        idle = time.monotonic() - connection.last_active
        return self._answer(
            200,
            {
                "connectedAt": datetime.fromtimestamp(connection.connected_at, UTC).isoformat(),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                "lastActiveAt": datetime.fromtimestamp(time.time() - idle, UTC).isoformat(),
            },
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass
