"""The local stack itself: what API Gateway answers, request ids, access log, docs, CORS,
loopback only, clean stop."""

import base64
import json
import re
import signal
import socket
import time
import uuid
from typing import Any

import pytest
import requests

from local import template as tpl
from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess


def test_openapi_is_public_and_swagger_ui_is_served_from_the_stack_itself(client: Client) -> None:
    document = client.request("GET", "/v1/openapi.json")
    page = client.request("GET", "/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    served = {asset: client.request("GET", asset) for asset in assets}

    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")
    assert page.status_code == 200
    assert "/v1/openapi.json" in page.text
    assert "/docs/static/swagger-ui-bundle.js" in assets
    assert all(asset.startswith("/docs/static/") for asset in assets), assets  # no CDN
    assert {asset: reply.status_code for asset, reply in served.items()} == dict.fromkeys(assets, 200)
    assert served["/docs/static/swagger-ui.css"].headers["content-type"] == "text/css"
    assert "SwaggerUIBundle" in served["/docs/static/swagger-ui-bundle.js"].text


def test_a_request_no_route_matches_is_api_gateways_404(client: Client) -> None:
    reply = client.request("GET", "/v1/nothing-here")

    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"message": "Not Found"}


def test_a_body_that_is_not_utf8_is_a_400_problem(client: Client) -> None:
    user = client.sign_up_and_in()

    reply = client.request(
        "POST",
        "/v1/notes",
        token=user["access_token"],
        data=b'\xff\xfe{"title": "t", "content": "c"}',
        headers={"content-type": "application/json"},
    )

    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("levels", [1492, 1493, 100_000])
def test_an_anonymous_body_nested_deeper_than_64_levels_is_a_400_problem(client: Client, levels: int) -> None:
    # Given issue 17's sign-in: an email nested in arrays (1,493 levels is 3 KB), no token
    body = b'{"email":' + b"[" * levels + b"]" * levels + b"}"

    # When it is posted through the front
    reply = client.request("POST", "/v1/auth/sign-in", data=body, headers={"content-type": "application/json"})

    # Then the function refuses it as malformed (it answered 500 internal-error from 1,493 levels)
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["type"].endswith("/malformed-request")


def test_a_cursor_nested_deeper_than_64_levels_is_a_400_problem(client: Client) -> None:
    # Given a cursor of 4,000 characters that decodes to 1,500 nested arrays
    token = client.sign_up_and_in()["access_token"]
    cursor = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode().rstrip("=")

    # When each route that takes a cursor is given it
    replies = [
        client.request("GET", path, token=token, params={"cursor": cursor, **query})
        for path, query in (("/v1/sync", {}), ("/v1/notes", {}), ("/v1/notes", {"trashed": "true"}))
    ]

    # Then each refuses it as malformed
    assert [(reply.status_code, reply.json()["type"].rsplit("/", 1)[-1]) for reply in replies] == [
        (400, "malformed-request")
    ] * 3


def test_a_json_body_without_content_type_is_415(client: Client) -> None:
    # requests sends bytes with no content-type header
    reply = client.request("POST", "/v1/auth/sign-in", data=b'{"email": "a@example.com", "password": "x"}')

    assert "content-type" not in reply.request.headers
    assert reply.status_code == 415
    assert reply.json()["type"].endswith("/unsupported-media-type")


def _raw(local_stack: LocalProcess, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (requests would fix them) and read the one answer."""
    with socket.create_connection(("127.0.0.1", local_stack.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"FOO /v1/notes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, "Not Found"),
        (b"TRACE /v1/account HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, "Not Found"),
        (b"POST /v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", 400, "Bad Request"),
        (b"POST /v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}", 400, "Bad Request"),
        (
            b"GET /v1/account HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10300 + b"\r\n\r\n",
            431,
            "Request Header Fields Too Large",
        ),
        (
            b"GET /v1/account HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
            431,
            "Request Header Fields Too Large",
        ),
        (
            b"POST /v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: 10485761\r\n\r\n",
            413,
            "Request Entity Too Large",
        ),
    ],
    ids=[
        "unknown-method",
        "trace",
        "length-not-a-number",
        "negative-length",
        "head-over-10240-bytes",
        "header-line-too-long",
        "body-over-10-mb",
    ],
)
def test_what_the_gateway_refuses_itself_has_the_gateways_shape(
    local_stack: LocalProcess, request_bytes: bytes, status: int, message: str
) -> None:
    answer_status, headers, body = _raw(local_stack, request_bytes)

    assert answer_status == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"message": message}
    assert "apigw-requestid" in headers


@pytest.mark.parametrize(
    ("mebibytes", "status", "content_type"),
    [(5.5, 413, "application/problem+json"), (6.5, 500, "application/json")],
    ids=["function-refuses-over-5-mib", "lambda-refuses-an-event-over-6-mb"],
)
def test_large_bodies_are_refused_by_the_function_or_by_lambda(
    client: Client, mebibytes: float, status: int, content_type: str
) -> None:
    # Given a body under the gateway's 10 MB, larger than the function takes
    body = b'{"email": "' + b"a" * int(mebibytes * 1024 * 1024) + b'"}'

    # When it is posted
    reply = client.request("POST", "/v1/auth/sign-in", data=body, headers={"content-type": "application/json"})

    # Then up to Lambda's 6 MB the function answers 413 itself; past it, Lambda refuses the
    # invocation and API Gateway answers its 500
    assert reply.status_code == status
    assert reply.headers["content-type"] == content_type
    if status == 500:
        assert reply.json() == {"message": "Internal Server Error"}


_REQUEST_ID = re.compile(r"[A-Za-z0-9+/]{15}=")


def test_every_answer_carries_an_apigw_requestid(client: Client) -> None:
    replies = [
        client.request("GET", "/v1/nothing-here"),  # the gateway: no route
        client.request("GET", "/v1/account"),  # the gateway: no token
        client.request("GET", "/v1/openapi.json"),  # a function
        client.request("GET", "/docs"),  # the local Swagger UI
        client.request(
            "OPTIONS", "/v1/account", headers={"origin": "https://app.example", "access-control-request-method": "GET"}
        ),  # the gateway: CORS preflight
    ]

    ids = [reply.headers.get("apigw-requestid", "") for reply in replies]
    assert [reply.status_code for reply in replies] == [404, 401, 200, 200, 204]
    assert all(_REQUEST_ID.fullmatch(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


def _logged(local_stack: LocalProcess, needle: str, seconds: float = 10) -> list[dict[str, Any]]:
    """The JSON lines of the stack's output that contain `needle`, once there is one."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [json.loads(line) for line in list(local_stack.output) if needle in line and line.startswith("{")]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_the_request_id_is_the_functions_correlation_id_and_the_access_logs(
    client: Client, local_stack: LocalProcess
) -> None:
    # Given a signed-in user
    token = client.sign_up_and_in()["access_token"]

    # When a function refuses one of its requests (it logs the refusal)
    reply = client.request("GET", f"/v1/notes/{uuid.uuid4()}", token=token)
    request_id = reply.headers["apigw-requestid"]

    # Then the function's log line carries the request id as its correlation id
    assert reply.status_code == 404
    _logged(local_stack, f'"requestId":"{request_id}"')  # the access log line is written after the answer
    lines = _logged(local_stack, request_id)
    refused = [line for line in lines if line.get("correlation_id") == request_id]
    assert [line["message"] for line in refused] == ["request refused"]
    # And the access log line tells the request in the format template.yaml gives the API's stage,
    # without the token
    (access,) = [line for line in lines if line.get("requestId") == request_id]
    assert access["routeKey"] == "GET /v1/notes/{id}"
    assert (access["httpMethod"], access["path"], access["status"]) == ("GET", reply.request.path_url, 404)
    assert access["integrationErrorMessage"] == "-"
    assert 0 <= int(access["integrationLatency"]) <= access["responseLatency"]
    (api,) = [r["Properties"] for r in tpl.load()["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"]
    assert set(access) == set(re.findall(r'"(\w+)":', api["AccessLogSettings"]["Format"]))
    assert not any(token in line for line in list(local_stack.output))


def test_cors_preflight_follows_the_template(client: Client) -> None:
    reply = client.request(
        "OPTIONS",
        "/v1/account",
        headers={"origin": "https://app.example", "access-control-request-method": "GET"},
    )

    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "authorization" in reply.headers["access-control-allow-headers"]
    assert reply.content == b""


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_listeners_bind_loopback_only(local_stack: LocalProcess) -> None:
    address = _non_loopback_address()
    for port in (local_stack.port, local_stack.moto_port):
        with socket.socket() as loopback:
            assert loopback.connect_ex(("127.0.0.1", port)) == 0
        if address:
            with socket.socket() as outside:
                outside.settimeout(2)
                assert outside.connect_ex((address, port)) != 0


def test_ctrl_c_stops_everything_cleanly() -> None:
    # Given a second local stack, serving
    stack = LocalProcess()
    assert requests.get(stack.base_url + "/v1/openapi.json", timeout=10).status_code == 200

    # When it gets Ctrl-C
    code = stack.stop(signal.SIGINT)

    # Then it exits cleanly and both ports are closed
    assert code == 0
    for port in (stack.port, stack.moto_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
