"""The WebSocket API, as API Gateway serves it: connections on $WS_PORT.

From template.yaml: the WEBSOCKET API, its stage's name (the URL's path, as on AWS:
ws://127.0.0.1:3001/live), its routes' functions, the $connect route's REQUEST authorizer and the
stage's throttling of $connect. A handshake is, in order ("Control access to WebSocket APIs with AWS
Lambda REQUEST authorizers",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html):
throttled (429); authorized by the authorizer function, with the handshake's headers and query
string (a Deny policy: 403, "Unauthorized" raised: 401, any other failure: 500); then the $connect
function, whose non-2xx status refuses the connection with that status, and whose
`Sec-WebSocket-Protocol` header selects the subprotocol ("Working with WebSocket subprotocols",
websocket-connect-route-subprotocol.html). Only then does the connection exist, for @connections
too. What the gateway answers itself has its shape, `{"message": ...}`: AWS documents no body for
these refusals.

Limits ("Quotas for configuring and running a WebSocket API in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
a connection lasts at most 2 hours and is closed after 10 minutes without a data message either way
(protocol pings do not count, as community reports of AWS say: no AWS page does); a message over
128 KB closes it with 1009 and a binary frame with 1003 ("Invoke your backend integration with the
$default Route and custom routes", apigateway-websocket-api-routes-integrations.html). The close
code of these server-side closes is not documented: 1001 here. On every close the $disconnect
function runs, with `disconnectStatusCode`. A message from the client goes to no route (the API
declares none but $connect and $disconnect): what AWS answers to it is not documented; it is
dropped here.

The @connections management API the functions call is local.connections.
"""

import asyncio
import base64
import fnmatch
import json
import secrets
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from local import template as tpl
from local.connections import MESSAGE_BYTES, Connections, LiveConnection
from local.front import TokenBucket
from local.functions import Functions
from local.provision import Provisioned

CONNECTION_SECONDS = 2 * 3600
IDLE_SECONDS = 10 * 60
GOING_AWAY = 1001
# Handshakes and their functions run side by side: as many as a burst of devices connecting.
_HANDSHAKE_THREADS = 64


def new_connection_id() -> str:
    """An id shaped like API Gateway's (`R1kmxc2VNjMCFIA=`: base64 of 10 bytes)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _gateway(status: int, message: str) -> Response:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return Response(status, HTTPStatus(status).phrase, headers, body)


@dataclass
class _Handshake:
    """What the authorizer and $connect decided for a connection being opened."""

    connection_id: str
    authorizer: dict[str, Any]
    subprotocol: str | None
    request_context: dict[str, Any]


class WebSocketFront:
    """The template's WebSocket API on `host`:`port`, in an event loop of its own thread."""

    def __init__(
        self,
        provisioned: Provisioned,
        functions: Functions,
        connections: Connections,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_seconds: float = IDLE_SECONDS,
        connection_seconds: float = CONNECTION_SECONDS,
    ) -> None:
        (self.api,) = tpl.websocket_apis(provisioned.template)
        self._functions, self._connections = functions, connections
        self._api_id = provisioned.ref(self.api.api)
        self.stage = str(provisioned.ref(self.api.stage))
        stage = provisioned.resolver.resolve(provisioned.template["Resources"][self.api.stage]["Properties"])
        throttling = stage.get("DefaultRouteSettings", {})
        rate, burst = throttling.get("ThrottlingRateLimit"), throttling.get("ThrottlingBurstLimit")
        self._throttle = None if rate is None or burst is None else TokenBucket(float(rate), int(burst))
        self._host, self._requested_port = host, port
        self._idle_seconds, self._connection_seconds = idle_seconds, connection_seconds
        self._handshakes: dict[int, _Handshake] = {}
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(ThreadPoolExecutor(_HANDSHAKE_THREADS, thread_name_prefix="ws-handshake"))
        self._ready = threading.Event()
        self._server: Server | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="websocket-front", daemon=True)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "WebSocketFront":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the WebSocket front did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"ws://{self._host}:{self.port}/{self.stage}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            async with serve(
                self._connected,
                self._host,
                self._requested_port,
                process_request=self._handshake,
                select_subprotocol=self._subprotocol,
                ping_interval=None,  # API Gateway sends no pings; its idle limit ignores them
                max_size=MESSAGE_BYTES,
            ) as server:
                self._server = server
                self.port = server.sockets[0].getsockname()[1]
                self._ready.set()
                await server.wait_closed()

        try:
            self._loop.run_until_complete(main())
        finally:
            self._ready.set()

    # ------------------------------------------------------------ the handshake
    async def _handshake(self, socket: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path.rstrip("/") != f"/{self.stage}":
            return _gateway(404, "Not Found")
        if self._throttle is not None and not self._throttle.take():
            return _gateway(429, "Too Many Requests")
        connection_id = new_connection_id()
        headers = dict(request.headers.raw_items())
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        context = self._request_context(socket, request, connection_id, "$connect", "CONNECT")
        authorizer: dict[str, Any] = {}
        if self.api.connect_authorizer is not None:
            refused, authorizer = await self._authorize(headers, query, context)
            if refused is not None:
                return refused
        event = self._event(context | {"authorizer": authorizer}, headers, query)
        try:
            answer = await asyncio.to_thread(self._functions.invoke, self.api.routes["$connect"], event)
        except Exception:
            traceback.print_exc()
            return _gateway(500, "Internal server error")
        status = int((answer or {}).get("statusCode", 200))
        if not 200 <= status < 300:
            body = str((answer or {}).get("body") or "").encode()
            return Response(status, HTTPStatus(status).phrase, Headers([("Content-Length", str(len(body)))]), body)
        answered = {name.lower(): value for name, value in ((answer or {}).get("headers") or {}).items()}
        self._handshakes[id(socket)] = _Handshake(
            connection_id, authorizer, answered.get("sec-websocket-protocol"), context
        )
        return None

    async def _authorize(
        self, headers: dict[str, str], query: dict[str, str], context: dict[str, Any]
    ) -> tuple[Response | None, dict[str, Any]]:
        """(a refusal, or None, and the authorizer's principal and context for the routes)."""
        assert self.api.connect_authorizer is not None
        method_arn = f"arn:aws:execute-api:us-east-1:{tpl.ACCOUNT_ID}:{self._api_id}/{self.stage}/$connect"
        event = {"type": "REQUEST", "methodArn": method_arn, **self._event(context, headers, query)}
        try:
            policy = await asyncio.to_thread(self._functions.invoke, self.api.connect_authorizer, event)
        except Exception as exc:
            if str(exc) == "Unauthorized":  # what a Lambda authorizer raises for a 401
                return _gateway(401, "Unauthorized"), {}
            traceback.print_exc()
            return _gateway(500, "Internal server error"), {}
        if not _allows(policy, method_arn):
            return _gateway(403, "Forbidden"), {}
        return None, {"principalId": policy.get("principalId"), **(policy.get("context") or {})}

    def _subprotocol(self, socket: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        handshake = self._handshakes.get(id(socket))
        chosen = handshake.subprotocol if handshake else None
        return Subprotocol(chosen) if chosen is not None and chosen in offered else None

    def _request_context(
        self, socket: ServerConnection, request: Request, connection_id: str, route: str, event_type: str
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        address = socket.remote_address
        return {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": new_connection_id(),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(now.timestamp() * 1000),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {
                "sourceIp": address[0] if address else "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": new_connection_id(),
            "domainName": request.headers.get("Host", "127.0.0.1"),
            "connectionId": connection_id,
            "apiId": self._api_id,
        }

    @staticmethod
    def _event(context: dict[str, Any], headers: Mapping[str, str], query: Mapping[str, str]) -> dict[str, Any]:
        """A WebSocket proxy event (events/ws_connect.json has the shape)."""
        event: dict[str, Any] = {
            "headers": dict(headers),
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = dict(query)
            event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
        return event

    # ------------------------------------------------------------ an open connection
    async def _connected(self, socket: ServerConnection) -> None:
        handshake = self._handshakes.pop(id(socket))
        address = socket.remote_address
        live = LiveConnection(
            handshake.connection_id,
            socket,
            self._loop,
            address[0] if address else "127.0.0.1",
            handshake.request_context["identity"]["userAgent"],
        )
        self._connections.add(live)
        watchdog = asyncio.create_task(self._limits(live))
        try:
            async for message in socket:
                live.last_active = time.monotonic()
                if isinstance(message, bytes):
                    await socket.close(1003, "Binary frames are not supported")
        except ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            self._connections.remove(live.connection_id)
            await self._disconnected(live, handshake, socket)

    async def _limits(self, live: LiveConnection) -> None:
        while True:
            await asyncio.sleep(min(1.0, self._idle_seconds / 4))
            now = time.monotonic()
            if (
                now - live.last_active > self._idle_seconds
                or time.time() - live.connected_at > self._connection_seconds
            ):
                await live.socket.close(GOING_AWAY, "Going away")
                return

    async def _disconnected(self, live: LiveConnection, handshake: _Handshake, socket: ServerConnection) -> None:
        if "$disconnect" not in self.api.routes:
            return
        context = handshake.request_context | {
            "routeKey": "$disconnect",
            "eventType": "DISCONNECT",
            "requestId": new_connection_id(),
            "authorizer": handshake.authorizer,
            "disconnectStatusCode": socket.close_code,
            "disconnectReason": socket.close_reason or "",
        }
        event = self._event(context, {}, {})
        try:
            await asyncio.to_thread(self._functions.invoke, self.api.routes["$disconnect"], event)
        except Exception:
            traceback.print_exc()


def _allows(policy: Any, method_arn: str) -> bool:
    """Whether an authorizer's policy allows invoking `method_arn`: an Allow of execute-api:Invoke
    on it (or a wildcard over it) and no Deny of it."""
    if not isinstance(policy, dict):
        return False
    statements = (policy.get("policyDocument") or {}).get("Statement") or []
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if not any(_arn_matches(str(resource), method_arn) for resource in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _arn_matches(pattern: str, arn: str) -> bool:
    return fnmatch.fnmatchcase(arn, pattern)
