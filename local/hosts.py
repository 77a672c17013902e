"""Where the local stack listens (HOST), and the host its URLs name: the one the client used.

On AWS a presigned upload or download URL names S3's own endpoint, which a phone reaches like any
other machine. Locally S3 is moto on this machine: the functions reach it at the address the stack
listens on, while a client may know this machine by another name. An Android emulator reaches the
machine's 127.0.0.1 as 10.0.2.2 ("Set up Android Emulator networking",
https://developer.android.com/studio/run/emulator-networking), a phone on the LAN by the machine's
LAN address. So every URL the stack hands out names the host the client sent its request to (the
request's Host header, which API Gateway passes on as requestContext.domainName), or PUBLIC_HOST
when that is set, with moto's port.

The stack, not the function, makes the URL say so: while the front invokes a function for a
request, a presigned S3 request that function signs is re-pointed at the client's host before it
is signed (botocore's before-sign event), so the signature covers the host the client will send,
as S3 checks it (a SigV4 presigned GET signs the host header; a POST policy names no host). The
functions' code and environment stay what AWS gives them. Two other ways were set aside: a
per-invocation AWS_ENDPOINT_URL_S3 cannot work here (the functions share one process and build
their S3 client once, at cold start, as on Lambda; and their own S3 calls must keep going to an
address this machine can reach, which 10.0.2.2 is not), and rewriting URLs in the function's answer
would change a signed host after signing (S3 would refuse it; moto does not check signatures).
"""

import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
# A DNS name (RFC 1123 labels), as a Host header or PUBLIC_HOST may give one.
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def netloc(host: str, port: int) -> str:
    """`host:port`, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class ListenAddress:
    """The IP address the stack's servers listen on (HOST)."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    @classmethod
    def parse(cls, text: str) -> "ListenAddress":
        try:
            return cls(ipaddress.ip_address(text))
        except ValueError:
            raise ValueError(
                f"HOST={text!r} is not an IP address: the address to listen on, e.g. 127.0.0.1 (the default), "
                "0.0.0.0 (every address of this machine) or one of this machine's addresses (csh and tcsh "
                "set HOST to the machine's name: unset it)"
            ) from None

    @property
    def host(self) -> str:
        return str(self.address)

    @property
    def every_address(self) -> bool:
        """0.0.0.0 or ::, every address of this machine."""
        return self.address.is_unspecified

    @property
    def reachable_from_elsewhere(self) -> bool:
        """Whether another machine may reach the stack on it."""
        return not self.address.is_loopback

    @property
    def local_host(self) -> str:
        """The address this machine connects to the stack by: HOST itself, or loopback for every
        address (0.0.0.0 is no address to connect to)."""
        if self.every_address:
            return "::1" if self.address.version == 6 else DEFAULT_HOST
        return self.host


LOOPBACK = ListenAddress(ipaddress.IPv4Address(DEFAULT_HOST))


def network_address() -> str | None:
    """This machine's address on its network (the source of its default route), if it has one: the
    address a phone on the same network reaches it by. Connecting a UDP socket sends nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): routed, never answered
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


def host_of(authority: str | None) -> str | None:
    """The host a Host header names (`10.0.2.2:3000` -> `10.0.2.2`, `[::1]:3000` -> `::1`), in lower
    case; None when it names no host name or IP address (a client sends what it likes)."""
    if not authority:
        return None
    try:
        parts = urlsplit(f"//{authority}")
        parts.port  # noqa: B018  # a port that is not a number raises ValueError
    except ValueError:
        return None
    host = parts.hostname
    if host is None or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    return host if _is_host(host) else None


def public_host(text: str) -> str:
    """PUBLIC_HOST, checked: a host name or IP address alone."""
    host = text.strip().lower()
    if not _is_host(host):
        raise ValueError(
            f"PUBLIC_HOST={text!r} is not a host name or IP address: give one alone, without scheme or port "
            "(e.g. 192.168.1.20 or my-laptop.local)"
        )
    return host


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOST_NAME.match(host))
    return True


# The host the client of the request being served used, set by the front around an invocation.
_client_host: ContextVar[str | None] = ContextVar("client_host", default=None)


@contextmanager
def urls_for(host: str) -> Iterator[None]:
    """URLs handed out in this thread meanwhile name `host`."""
    token = _client_host.set(host)
    try:
        yield
    finally:
        _client_host.reset(token)


def client_host() -> str | None:
    """The host the URLs handed out now must name (None outside a request: a worker's, a state
    machine's calls)."""
    return _client_host.get()


def _point_presigned_s3_at_client(request: Any, signature_version: str, **kwargs: Any) -> None:
    host = client_host()
    # Only presigned requests ("s3v4-query", "s3v4-presign-post"): the function's own calls to S3
    # go to moto where this machine reaches it.
    if host is None or not signature_version.endswith(("-query", "-presign-post")):
        return
    url = urlsplit(request.url)
    if url.port is not None:
        request.url = url._replace(netloc=netloc(host, url.port)).geturl()


def presign_for_client_host(session: Any) -> None:
    """Make the S3 clients `session` (a botocore session) creates from now on presign for the client's
    host while a request is served. Every S3 URL here is moto's: its port stays."""
    session.register("before-sign.s3", _point_presigned_s3_at_client, unique_id="local-hosts-presign")
