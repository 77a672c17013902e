"""The local stack itself: docs, routing, CORS, loopback only, clean stop."""

import json
import signal
import socket

import pytest
import requests

from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess


def test_openapi_is_public_and_swagger_ui_is_served(client: Client) -> None:
    document = client.request("GET", "/v1/openapi.json")
    page = client.request("GET", "/docs")
    bundle = client.request("GET", "/docs/static/swagger-ui-bundle.js")

    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.")
    assert page.status_code == 200
    assert "/v1/openapi.json" in page.text
    assert bundle.status_code == 200
    assert len(bundle.content) > 100_000


def test_unknown_routes_are_404_problems(client: Client) -> None:
    reply = client.request("GET", "/v1/nothing-here")

    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"


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
    ("request_bytes", "status"),
    [
        (b"FOO /v1/notes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"TRACE /v1/account HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"POST /v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", 400),
        (b"POST /v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}", 400),
        (b"GET /v1/account HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
    ],
    ids=["unknown-method", "trace", "length-not-a-number", "negative-length", "header-too-long"],
)
def test_what_http_itself_refuses_is_a_problem_too(
    local_stack: LocalProcess, request_bytes: bytes, status: int
) -> None:
    answer_status, headers, body = _raw(local_stack, request_bytes)

    assert answer_status == status
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == status


def test_cors_preflight_follows_the_template(client: Client) -> None:
    reply = client.request(
        "OPTIONS",
        "/v1/account",
        headers={"origin": "https://app.example", "access-control-request-method": "GET"},
    )

    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "authorization" in reply.headers["access-control-allow-headers"]


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
