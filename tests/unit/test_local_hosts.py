"""local.hosts: where the local stack listens, and the host in the URLs it hands out."""

import datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.config import Config

from local import hosts
from local.__main__ import banner
from local.front import LocalApi, Request
from local.functions import Functions
from local.provision import Provisioned
from local.template import Resolver

MOTO = "http://127.0.0.1:5123"


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("10.0.2.2:3000", "10.0.2.2"),
        ("127.0.0.2", "127.0.0.2"),
        ("[::1]:3000", "::1"),
        ("LocalHost:3000", "localhost"),
        ("my-laptop.local:3000", "my-laptop.local"),
        (None, None),
        ("", None),
        ("10.0.2.2:port", None),
        ("user@10.0.2.2", None),
        ("10.0.2.2/path", None),
        ("bad host", None),
        ("-dash-.example", None),
        ("<script>", None),
    ],
)
def test_the_host_a_host_header_names_or_none(header: str | None, host: str | None) -> None:
    assert hosts.host_of(header) == host


@pytest.mark.parametrize("text", ["http://192.168.1.20", "192.168.1.20:3000", "my laptop", ""])
def test_public_host_is_a_host_alone(text: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_HOST"):
        hosts.public_host(text)


def test_public_host_takes_a_name_or_an_address() -> None:
    assert [hosts.public_host(text) for text in ("192.168.1.20", "My-Laptop.local", "::1")] == [
        "192.168.1.20",
        "my-laptop.local",
        "::1",
    ]


def test_host_is_an_ip_address() -> None:
    with pytest.raises(ValueError, match="HOST='my-laptop' is not an IP address"):
        hosts.ListenAddress.parse("my-laptop")


@pytest.mark.parametrize(
    ("text", "local_host", "elsewhere"),
    [
        ("127.0.0.1", "127.0.0.1", False),
        ("127.0.0.2", "127.0.0.2", False),
        ("0.0.0.0", "127.0.0.1", True),
        ("::", "::1", True),
        ("192.168.1.20", "192.168.1.20", True),
    ],
)
def test_a_listen_address_is_reached_from_this_machine_and_maybe_from_others(
    text: str, local_host: str, elsewhere: bool
) -> None:
    listen = hosts.ListenAddress.parse(text)

    assert (listen.local_host, listen.reachable_from_elsewhere) == (local_host, elsewhere)


def test_a_stack_other_machines_can_reach_says_so_when_it_starts() -> None:
    exposed = "\n".join(banner(hosts.ListenAddress.parse("0.0.0.0"), 3000, 5000, None))
    loopback = "\n".join(banner(hosts.LOOPBACK, 3000, 5000, None))

    assert exposed.startswith("notes-sync local stack on http://0.0.0.0:3000 (every address of this machine")
    assert "WARNING: with HOST=0.0.0.0 other machines can reach this stack" in exposed
    assert "moto (AWS) on http://127.0.0.1:5000 (port 5000 of every address)" in exposed
    assert loopback.startswith("notes-sync local stack on http://127.0.0.1:3000\n")
    assert "WARNING" not in loopback


# ---------------------------------------------------------------- presigned URLs
_SIGNED_AT = datetime.datetime(2026, 1, 2, 3, 4, 5)


def _s3(endpoint_url: str) -> Any:
    session = botocore.session.get_session()
    hosts.presign_for_client_host(session)
    return session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )


def _presigned_get(client: Any) -> str:
    url: str = client.generate_presigned_url(
        "get_object", Params={"Bucket": "media", "Key": "media/u/n/m"}, ExpiresIn=300
    )
    return url


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures made at one moment, so two can be compared."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: _SIGNED_AT)


@pytest.mark.usefixtures("fixed_clock")
def test_a_presigned_get_during_a_request_is_signed_for_the_clients_host() -> None:
    # Given a function's S3 client, at moto where this machine reaches it
    client = _s3(MOTO)

    # When it presigns a GET while the front serves an emulator's request (Host: 10.0.2.2:3000)
    with hosts.urls_for("10.0.2.2"):
        handed_out = _presigned_get(client)

    # Then the link names the emulator's host, with moto's port, and its signature is the one S3
    # would check for that host: the same URL a client at that endpoint signs
    assert urlsplit(handed_out).netloc == "10.0.2.2:5123"
    assert handed_out == _presigned_get(_s3("http://10.0.2.2:5123"))
    # And outside a request (a worker's, a state machine's calls) nothing changes
    assert urlsplit(_presigned_get(client)).netloc == "127.0.0.1:5123"


def test_a_presigned_post_during_a_request_names_the_clients_host() -> None:
    client = _s3(MOTO)

    with hosts.urls_for("::1"):
        post = client.generate_presigned_post(Bucket="media", Key="media/u/n/m", ExpiresIn=300)

    assert post["url"] == "http://[::1]:5123/media"


class _Sent(Exception):
    pass


def test_the_functions_own_s3_calls_still_go_to_moto_during_a_request() -> None:
    # Given a function's S3 client, and what it sends
    client = _s3(MOTO)
    sent: list[str] = []

    def record(request: Any, **kwargs: Any) -> None:
        sent.append(request.url)
        raise _Sent

    client.meta.events.register("before-send.s3", record)

    # When it calls S3 itself while the front serves an emulator's request
    with hosts.urls_for("10.0.2.2"), pytest.raises(_Sent):
        client.head_object(Bucket="media", Key="media/u/n/m")

    # Then the call goes where this machine reaches moto (10.0.2.2 is the emulator's name for it)
    assert [urlsplit(url).netloc for url in sent] == ["127.0.0.1:5123"]


# ---------------------------------------------------------------- the front
# A template of one public route, whose function answers the host its URLs would name.
_HOST_ROUTE = {
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Auth": {
                    "DefaultAuthorizer": "Jwt",
                    "Authorizers": {"Jwt": {"JwtConfiguration": {"issuer": "https://issuer/pool", "audience": ["c"]}}},
                }
            },
        },
        "HostFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "tests/unit/",
                "Handler": "test_local_hosts.answer_client_host",
                "Events": {
                    "Get": {
                        "Type": "HttpApi",
                        "Properties": {"Method": "GET", "Path": "/host", "Auth": {"Authorizer": "NONE"}},
                    }
                },
            },
        },
    }
}


def answer_client_host(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {"statusCode": 200, "body": str(hosts.client_host())}


def _host_in_urls(headers: dict[str, str], public_host: str | None = None) -> str:
    provisioned = Provisioned(_HOST_ROUTE, Resolver(_HOST_ROUTE, "us-east-1", "unit"))
    front = LocalApi(provisioned, Functions(provisioned, MOTO), MOTO, public_host)
    request = Request("GET", "/host", headers, b"", "10.0.2.15", "id", datetime.datetime.now(datetime.UTC), "127.0.0.1")
    return front.handle(request).response.body.decode()


@pytest.mark.parametrize(
    ("headers", "public_host", "named"),
    [
        ({"host": "10.0.2.2:3000"}, None, "10.0.2.2"),  # an Android emulator
        ({"host": "localhost:3000"}, None, "localhost"),
        ({}, None, "127.0.0.1"),  # HTTP/1.0 without Host: where the connection came
        ({"host": "a b"}, None, "127.0.0.1"),  # not a host: the same
        ({"host": "10.0.2.2:3000"}, "my-laptop.local", "my-laptop.local"),  # PUBLIC_HOST wins
    ],
    ids=["emulator", "localhost", "no-host-header", "bad-host-header", "public-host"],
)
def test_a_function_hands_out_urls_for_the_host_the_client_used(
    headers: dict[str, str], public_host: str | None, named: str
) -> None:
    assert _host_in_urls(headers, public_host) == named
