"""Per-client limits of the public auth routes: per source IP address and per email address.

API Gateway's route throttle is one token bucket per route shared by every caller, and an HTTP API
has no per-client throttling and no WAF: whatever one client sends within the throttle would reach
Cognito, try passwords and codes at that rate, and spend Cognito's per-account request rates and
daily email quota for everyone. Each public auth route therefore counts its requests, before
Cognito is called, in fixed windows: per source IP
address (a limit per route for the attempts at a password, code or token; one for the three routes
that send an email), then per email address. A request over a limit is refused with
RequestLimitReached (429, Retry-After: the seconds to the window's end; the RequestsOverLimit
metric) and is not counted; one refused by the source's limit does not count against the email's.
Windows are aligned to the epoch, so a client may fit up to twice a limit across a window's
boundary, never more.

The numbers (docs/tokens.md, "Limits of the public auth routes"): a person never meets them, a
script in seconds. The per-source ones are template parameters: an address shared by many people (a
carrier-grade NAT, an office) may need more. The per-email ones concern one person and are fixed.

When the table cannot count (throttled, failing, out of reach after botocore's retries) the request
goes on unchecked, logged and counted in the RequestLimitsUnchecked metric: refusing it would lock
every user out for a fault of ours, and Cognito's own lockouts and quotas still stand behind.
"""

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.data import table
from notes_core.domain import errors
from notes_core.runtime.config import RequestLimitSettings, load_settings
from notes_core.runtime.observability import logger, metrics

_settings = load_settings(RequestLimitSettings)


class Route(StrEnum):
    SIGN_UP = "sign-up"
    CONFIRM = "confirm"
    RESEND_CODE = "resend-code"
    SIGN_IN = "sign-in"
    REFRESH = "refresh"
    FORGOT_PASSWORD = "forgot-password"
    RESET_PASSWORD = "reset-password"


@dataclass(frozen=True)
class Limit:
    """At most `requests` requests per `window_seconds` for one key (a source or an email)."""

    name: str  # the problem's limit.name and the counters' partition
    counts: str  # what it counts, in words, for the problem's detail
    requests: int
    window_seconds: int

    def window(self, now: float) -> tuple[int, int]:
        """The start and end (epoch seconds) of the window holding `now`."""
        start = int(now // self.window_seconds) * self.window_seconds
        return start, start + self.window_seconds


MINUTE, HOUR, DAY = 60, 3600, 86400
# Emails: sign-up, resend-code and forgot-password each have Cognito send one.
_SENDS_EMAIL = (Route.SIGN_UP, Route.RESEND_CODE, Route.FORGOT_PASSWORD)
EMAILS_PER_SOURCE = Limit(
    "emails-per-source-ip",
    "requests that send an email (sign-up, resend-code, forgot-password) from one IP address",
    _settings.auth_emails_per_source_ip_per_day,
    DAY,
)
# One person asks for a code a few times at most; an hour is as long as a stranger can keep one
# address from getting its codes by spending its allowance.
EMAILS_PER_RECIPIENT = Limit(
    "emails-per-recipient",
    "requests that send an email (sign-up, resend-code, forgot-password) to one email address",
    5,
    HOUR,
)


def _attempts_per_source(route: Route) -> Limit:
    return Limit(
        f"{route}-per-source-ip",
        f"{route} requests from one IP address",
        _settings.auth_attempts_per_source_ip_per_minute,
        MINUTE,
    )


def _attempts_per_address(route: Route) -> Limit:
    # Above Cognito's own sign-in lockout (five failures in a row), which a person meets first.
    return Limit(f"{route}-per-email", f"{route} requests for one email address", 10, 10 * MINUTE)


LIMITS: dict[Route, tuple[Limit, Limit | None]] = {
    **dict.fromkeys(_SENDS_EMAIL, (EMAILS_PER_SOURCE, EMAILS_PER_RECIPIENT)),
    **{
        route: (_attempts_per_source(route), _attempts_per_address(route))
        for route in (Route.CONFIRM, Route.SIGN_IN, Route.RESET_PASSWORD)
    },
    Route.REFRESH: (_attempts_per_source(Route.REFRESH), None),  # a refresh token names no email
}


def source_key(source_ip: str) -> str:
    """What one source is: an IPv4 address, or an IPv6 address's /64 (one subscriber's network,
    whose addresses a client can cycle through at will)."""
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return "unknown"  # API Gateway always gives one; without it, every such request shares one counter
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def email_key(email: str) -> str:
    """An email address as the counters know it: hashed, so the table holds no address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def partition(limit: Limit, key: str) -> str:
    return f"{table.LIMIT_PREFIX}{limit.name}#{key}"


def admit(route: Route, source_ip: str, email: str | None = None) -> None:
    """Count a request to `route` from `source_ip` (for `email`) against its limits, in that order;
    RequestLimitReached when one is used up."""
    now = time.time()
    per_source, per_email = LIMITS[route]
    _count(per_source, source_key(source_ip), now)
    if per_email is not None and email is not None:
        _count(per_email, email_key(email), now)


def _count(limit: Limit, key: str, now: float) -> None:
    start, end = limit.window(now)
    try:
        counted = table.count_request(partition(limit, key), start, end, limit.requests)
    except table.CounterUnavailable as exc:
        logger.warning("request limit not checked", extra={"limit": limit.name, "error": str(exc)})
        metrics.add_metric(name="RequestLimitsUnchecked", unit=MetricUnit.Count, value=1)
        return
    if not counted:
        metrics.add_metric(name="RequestsOverLimit", unit=MetricUnit.Count, value=1)
        retry_after = max(1, math.ceil(end - now))
        raise errors.RequestLimitReached(
            f"At most {limit.requests} {limit.counts} {_per(limit.window_seconds)}; try again in {retry_after} s.",
            retry_after,
            {"name": limit.name, "requests": limit.requests, "window_seconds": limit.window_seconds},
        )


def _per(seconds: int) -> str:
    return {MINUTE: "a minute", 10 * MINUTE: "in 10 minutes", HOUR: "an hour", DAY: "a day"}[seconds]
