"""notes_core.usecases.request_limits without AWS: what one source and one email are, the windows, and
which limits each public auth route counts against."""

import pytest

from notes_core.usecases.request_limits import DAY, HOUR, LIMITS, Limit, Route, email_key, partition, source_key


def test_an_ipv4_address_is_a_source_of_its_own() -> None:
    assert source_key("198.51.100.7") == "198.51.100.7"
    assert source_key("::ffff:198.51.100.7") == "198.51.100.7"  # the same address, mapped into IPv6


def test_an_ipv6_source_is_its_64_since_one_subscriber_holds_all_of_them() -> None:
    # Given two addresses of one /64 and one of the next
    same = [source_key("2001:db8:1:2::1"), source_key("2001:db8:1:2:ffff:ffff:ffff:fffe")]
    other = source_key("2001:db8:1:3::1")

    # Then the first two are one source, the third another
    assert same == ["2001:db8:1:2::/64", "2001:db8:1:2::/64"]
    assert other == "2001:db8:1:3::/64"


def test_what_is_not_an_address_shares_one_counter() -> None:
    assert source_key("") == source_key("not an address") == "unknown"


def test_an_email_is_counted_by_a_hash_that_ignores_case_and_blanks_and_holds_no_address() -> None:
    key = email_key(" Ann@Example.com ")

    assert key == email_key("ann@example.com")
    assert len(key) == 64
    assert "ann" not in key
    assert partition(LIMITS[Route.SIGN_IN][0], "k") == "#limit#sign-in-per-source-ip#k"  # never a UUID


@pytest.mark.parametrize(
    ("seconds", "now", "window"),
    [(60, 120.0, (120, 180)), (60, 179.9, (120, 180)), (600, 1799, (1200, 1800)), (DAY, DAY + 5, (DAY, 2 * DAY))],
)
def test_windows_are_aligned_to_the_epoch(seconds: int, now: float, window: tuple[int, int]) -> None:
    assert Limit("l", "requests", 1, seconds).window(now) == window


def test_every_route_counts_per_source_and_each_that_takes_an_email_per_email_too() -> None:
    names = {route: tuple(limit.name if limit else None for limit in LIMITS[route]) for route in Route}

    assert names == {
        Route.SIGN_UP: ("emails-per-source-ip", "emails-per-recipient"),
        Route.RESEND_CODE: ("emails-per-source-ip", "emails-per-recipient"),
        Route.FORGOT_PASSWORD: ("emails-per-source-ip", "emails-per-recipient"),
        Route.CONFIRM: ("confirm-per-source-ip", "confirm-per-email"),
        Route.SIGN_IN: ("sign-in-per-source-ip", "sign-in-per-email"),
        Route.RESET_PASSWORD: ("reset-password-per-source-ip", "reset-password-per-email"),
        Route.REFRESH: ("refresh-per-source-ip", None),
    }


def test_the_routes_that_send_an_email_are_the_strictest() -> None:
    # Given each per-source limit as requests an hour, were a client to keep to it all day
    def per_hour(limit: Limit) -> float:
        return limit.requests * HOUR / limit.window_seconds

    sending = {Route.SIGN_UP, Route.RESEND_CODE, Route.FORGOT_PASSWORD}
    emails = LIMITS[Route.SIGN_UP][0]

    # Then one address asks for fewer emails a day than Cognito's own sender sends for the whole
    # account (50), at a far lower rate than it may try passwords and codes
    assert (emails.requests, emails.window_seconds) == (10, DAY)
    assert per_hour(emails) * 10 < min(per_hour(LIMITS[route][0]) for route in set(Route) - sending)
