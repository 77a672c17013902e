"""HTTP into the local API front in this process: an httpx transport that hands each request to
`LocalApi.handle` (routing, throttling, the JWT authorizer, the event, the function), as the front's
HTTP server does (local/front.py), without a socket or a thread. A test can then drive a real HTTP
client, the reference client, over the functions it runs in-process against the shared moto."""

from datetime import UTC, datetime
from functools import cache

import httpx

from local.front import LocalApi, Request, new_request_id
from tests.support.stack import shared_stack


@cache
def local_api() -> LocalApi:
    """The front over the shared stack's functions (one per process, as `python -m local` has one)."""
    stack = shared_stack()
    return LocalApi(stack.provisioned, stack.functions, stack.moto.endpoint_url)


class FrontTransport(httpx.BaseTransport):
    """Every request from `source_ip` (the auth routes limit each address: a caller of its own)."""

    def __init__(self, api: LocalApi, source_ip: str) -> None:
        self.api = api
        self.source_ip = source_ip

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request_id = new_request_id()
        handled = self.api.handle(
            Request(
                method=request.method,
                target=request.url.raw_path.decode("ascii"),
                headers={name.lower(): value for name, value in request.headers.items()},
                body=request.read(),
                source_ip=self.source_ip,
                request_id=request_id,
                received=datetime.now(UTC),
                arrived_at="127.0.0.1",  # the shared stack's moto listens on loopback
            )
        )
        answer = handled.response
        return httpx.Response(
            answer.status, headers={**answer.headers, "apigw-requestid": request_id}, content=answer.body
        )
