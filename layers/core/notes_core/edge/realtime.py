"""The WebSocket API's edge: its $connect authorizer, its $connect and $disconnect routes, and the
table stream's consumer.

The authorizer gets the handshake's headers (a REQUEST authorizer without identity source, so that
either carrier of the token will do: "Control access to WebSocket APIs with AWS Lambda REQUEST
authorizers", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html):
`Authorization: Bearer <token>`, or, from a browser, which cannot set headers on a WebSocket, the
second value of `Sec-WebSocket-Protocol: notes-sync, <token>`. Never the query string, which API
Gateway and proxies log. It answers an IAM policy ("Output from an API Gateway Lambda
authorizer", https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html):
Allow, with the user and the token's issue time as its context (values are strings, numbers or
booleans only), or Deny, which API Gateway answers with 403 before any route runs. A refusal is
an answer, not a function error: anonymous connection attempts never count as Lambda errors.

$connect answers `Sec-WebSocket-Protocol: notes-sync` when the client offered it ("Working with
WebSocket subprotocols", https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html):
a browser drops a handshake whose answer selects none of the protocols it offered. Neither the
events' headers nor the token are ever logged.
"""

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.domain import errors
from notes_core.domain.note import DEVICE_ID_PATTERN
from notes_core.runtime import deadline
from notes_core.runtime.observability import logger, metrics, tracer

SUBPROTOCOL = "notes-sync"
Event = dict[str, Any]
LambdaHandler = Callable[[Event, LambdaContext], Event]
_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)


def _wrapped(handler: Callable[[Event, LambdaContext], Event]) -> LambdaHandler:
    """The logger (no event logged), metrics and tracer around a handler, as Powertools orders them."""

    def timed(event: Event, context: LambdaContext) -> Event:
        with deadline.of_invocation(context):
            return handler(event, context)

    traced = tracer.capture_lambda_handler(timed, capture_response=False)
    measured = metrics.log_metrics(traced, capture_cold_start_metric=True)
    wrapped: LambdaHandler = logger.inject_lambda_context(measured, log_event=False)
    return wrapped


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header of the handshake, whatever the case of its name."""
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)


def offered_subprotocols(headers: Mapping[str, str] | None) -> list[str]:
    return [value.strip() for value in (_header(headers, "sec-websocket-protocol") or "").split(",") if value.strip()]


def token_of(headers: Mapping[str, str] | None) -> str | None:
    """The access token of the handshake: `Authorization: Bearer <token>`, else the second of
    `Sec-WebSocket-Protocol: notes-sync, <token>`."""
    authorization = (_header(headers, "authorization") or "").strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        return token.strip() or None if scheme == "Bearer" else None
    offered = offered_subprotocols(headers)
    if len(offered) == 2 and offered[0] == SUBPROTOCOL:
        return offered[1]
    return None


def _policy(effect: str, principal: str, method_arn: str, context: Mapping[str, str] | None = None) -> Event:
    answer: Event = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
    }
    if context:
        answer["context"] = dict(context)
    return answer


def authorizer_handler(authorize: Callable[[str | None], Any]) -> LambdaHandler:
    """A REQUEST authorizer: `authorize(token)` returns an identity with `user_id` and `issued_at`,
    or raises errors.NotAuthenticated."""

    def handler(event: Event, context: LambdaContext) -> Event:
        method_arn = str(event.get("methodArn", ""))
        try:
            identity = authorize(token_of(event.get("headers")))
        except errors.NotAuthenticated:
            return _policy("Deny", "anonymous", method_arn)
        context_values = {"user_id": identity.user_id, "issued_at": str(identity.issued_at)}
        return _policy("Allow", identity.user_id, method_arn, context_values)

    return _wrapped(handler)


def _authorized(event: Event) -> tuple[str, int] | None:
    """(user, token issue time) the authorizer passed on for this connection."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    user_id, issued_at = authorizer.get("user_id"), str(authorizer.get("issued_at", ""))
    if not isinstance(user_id, str) or not user_id or not issued_at.isdigit():
        return None
    return user_id, int(issued_at)


def connect_handler(connect: Callable[[str, int, str, str | None, int], None]) -> LambdaHandler:
    """$connect: `connect(user, token issue time, connection id, device id, now)`. A device id that is
    not 1 to 64 of A-Z a-z 0-9 _ - refuses the connection with 400; a token refused since the
    authorizer ran, with 403."""

    def handler(event: Event, context: LambdaContext) -> Event:
        caller = _authorized(event)
        if caller is None:
            return {"statusCode": 403}
        device_id = (event.get("queryStringParameters") or {}).get("device_id")
        if device_id is not None and not _DEVICE_ID.search(device_id):
            return {"statusCode": 400, "body": "device_id must be 1 to 64 characters of A-Z a-z 0-9 _ -"}
        connection_id = str(event["requestContext"]["connectionId"])
        try:
            connect(caller[0], caller[1], connection_id, device_id, int(time.time()))
        except errors.TokenRefused:
            return {"statusCode": 403}
        answer: Event = {"statusCode": 200}
        if SUBPROTOCOL in offered_subprotocols(event.get("headers")):
            answer["headers"] = {"Sec-WebSocket-Protocol": SUBPROTOCOL}
        return answer

    return _wrapped(handler)


def disconnect_handler(disconnect: Callable[[str, str], None]) -> LambdaHandler:
    """$disconnect: `disconnect(user, connection id)`."""

    def handler(event: Event, context: LambdaContext) -> Event:
        caller = _authorized(event)
        if caller is not None:
            disconnect(caller[0], str(event["requestContext"]["connectionId"]))
        return {"statusCode": 200}

    return _wrapped(handler)


def stream_consumer(process: Callable[[Sequence[Event]], str | None]) -> LambdaHandler:
    """A DynamoDB stream consumer with ReportBatchItemFailures: `process(records)` returns the
    SequenceNumber of the first record that failed (Lambda sends the batch again from it), or None.
    ("Configuring partial batch response with DynamoDB and Lambda",
    https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html.)"""

    def handler(event: Event, context: LambdaContext) -> Event:
        failed = process(event.get("Records") or [])
        return {"batchItemFailures": [] if failed is None else [{"itemIdentifier": failed}]}

    return _wrapped(handler)
