"""The per-client limits of the public auth routes (notes_core.usecases.request_limits), through the handlers,
with the template's default limits: per source IP address and per email address, counted in
DynamoDB before Cognito is called, refused with 429 request-limit and Retry-After.

The limits' clock is the module's `time`: each test sets it, so that a window's start and end are
where the test says, and uses addresses and emails of its own (the counters are shared by the tier).
"""

import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from local import template as tpl
from local.stack import LocalStack
from notes_core.data import identity, table
from notes_core.usecases import request_limits
from tests.support.api import PASSWORD, Api, Reply
from tests.support.calls import counting
from tests.support.events import new_source_ip
from tests.support.faults import failing

DEFAULTS = tpl.load()["Parameters"]
ATTEMPTS_PER_MINUTE = int(DEFAULTS["AuthAttemptsPerSourceIpPerMinute"]["Default"])
EMAILS_PER_DAY = int(DEFAULTS["AuthEmailsPerSourceIpPerDay"]["Default"])
MINUTE_STARTS = 1_899_937_200.0  # 00:20:00 UTC, 2030-03-17: a minute, ten minutes and an hour's third start


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The limits' clock, 5 s into a minute; a test moves it by setting clock[0]."""
    now = [MINUTE_STARTS + 5]
    monkeypatch.setattr(request_limits, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def _email() -> str:
    return f"limits-{uuid.uuid4().hex[:12]}@example.com"


def _sign_in(api: Api, source_ip: str, email: str | None = None) -> Reply:
    return api.post("auth_sign_in", {"email": email or _email(), "password": "Not-The-Password-1"}, source_ip)


def _refused(reply: Reply) -> bool:
    return reply.status == 429 and reply.problem_type == "request-limit"


def test_sign_ins_past_the_per_source_limit_are_refused_with_retry_after_before_cognito(
    api: Api, clock: list[float]
) -> None:
    # Given an address that made its sign-in attempts of this minute (wrong passwords, other emails)
    flooder = new_source_ip()
    attempts = [_sign_in(api, flooder) for _ in range(ATTEMPTS_PER_MINUTE)]

    # When it tries once more, 17 s into the minute
    clock[0] = MINUTE_STARTS + 17
    with counting(identity._cognito()) as cognito:
        refused = _sign_in(api, flooder)

    # Then its attempts were answered, and the next one is refused without a call to Cognito, told
    # to come back when the minute ends (43 s later), naming the limit
    assert {reply.status for reply in attempts} == {401}
    assert _refused(refused)
    assert cognito.total == 0
    assert refused.headers["retry-after"] == "43"
    assert refused.body["retry_after"] == 43
    assert refused.body["limit"] == {
        "name": "sign-in-per-source-ip",
        "requests": ATTEMPTS_PER_MINUTE,
        "window_seconds": 60,
    }
    assert refused.body["detail"] == (
        f"At most {ATTEMPTS_PER_MINUTE} sign-in requests from one IP address a minute; try again in 43 s."
    )
    # and another address, or the same one in the next minute, is answered as before
    assert _sign_in(api, new_source_ip()).status == 401
    clock[0] = MINUTE_STARTS + 60
    assert _sign_in(api, flooder).status == 401


def test_the_per_email_limit_holds_whatever_the_address(api: Api, clock: list[float]) -> None:
    # Given an email tried ten times in ten minutes, each time from another address
    email = _email()
    tries = [_sign_in(api, new_source_ip(), email) for _ in range(10)]

    # When it is tried again from yet another address
    refused = _sign_in(api, new_source_ip(), email)

    # Then that is refused by the email's limit (Cognito's own lockout answered some of the ten)
    assert not any(_refused(reply) for reply in tries)
    assert _refused(refused)
    assert refused.body["limit"] == {"name": "sign-in-per-email", "requests": 10, "window_seconds": 600}
    assert refused.headers["retry-after"] == str(600 - 5)
    # and the same address may still try another email
    assert _sign_in(api, new_source_ip(), _email()).status == 401


def test_a_request_refused_by_its_source_does_not_count_against_its_email(api: Api, clock: list[float]) -> None:
    # Given an address past its limit, which tried an email 20 more times
    flooder, email = new_source_ip(), _email()
    for _ in range(ATTEMPTS_PER_MINUTE):
        _sign_in(api, flooder)
    refused = [_sign_in(api, flooder, email) for _ in range(20)]

    # When others try that email ten times
    others = [_sign_in(api, new_source_ip(), email) for _ in range(10)]

    # Then the flooder's tries were refused by its source's limit, and the email's ten are left whole
    assert {reply.body["limit"]["name"] for reply in refused} == {"sign-in-per-source-ip"}
    assert not any(_refused(reply) for reply in others)


def _sends_email(api: Api, route: str, source_ip: str, email: str) -> Reply:
    if route == "auth_sign_up":
        return api.post(route, {"email": email, "password": PASSWORD, "full_name": "Limits"}, source_ip)
    return api.post(route, {"email": email}, source_ip)


EMAIL_ROUTES = ("auth_sign_up", "auth_resend_code", "auth_forgot_password")


def test_the_three_routes_that_send_an_email_share_one_allowance_per_source_a_day(api: Api, clock: list[float]) -> None:
    # Given an address that asked for an email its daily number of times, over the three routes
    source = new_source_ip()
    asked = [_sends_email(api, EMAIL_ROUTES[n % 3], source, _email()) for n in range(EMAILS_PER_DAY)]

    # When it asks once more, by any of them
    refused = [_sends_email(api, route, source, _email()) for route in EMAIL_ROUTES]

    # Then every one is refused until the day ends (UTC: the clock is 20 min 5 s past midnight)
    assert {reply.status for reply in asked} <= {201, 202}
    assert all(_refused(reply) for reply in refused)
    assert {reply.body["limit"]["name"] for reply in refused} == {"emails-per-source-ip"}
    assert {reply.headers["retry-after"] for reply in refused} == {str(86400 - 20 * 60 - 5)}


def test_one_email_address_gets_at_most_five_codes_an_hour_whoever_asks(api: Api, clock: list[float]) -> None:
    # Given someone else's confirmed account
    victim = api.new_user(signed_in=False)

    # When strangers at six addresses each ask for a code to it (resend-code, then forgot-password)
    with counting(identity._cognito()) as cognito:
        replies = [_sends_email(api, EMAIL_ROUTES[1 + n % 2], new_source_ip(), victim.email) for n in range(6)]

    # Then five emails are asked of Cognito at most (the sign-up's took one of the hour's five), the
    # rest refused for the hour
    assert cognito.operations["ResendConfirmationCode"] + cognito.operations["ForgotPassword"] == 4
    assert [_refused(reply) for reply in replies] == [False] * 4 + [True] * 2
    assert {reply.body["limit"]["name"] for reply in replies[4:]} == {"emails-per-recipient"}
    assert replies[4].headers["retry-after"] == str(3600 - 20 * 60 - 5)


def test_refresh_is_limited_per_source_only(api: Api, clock: list[float]) -> None:
    source = new_source_ip()

    replies = [
        api.post("auth_refresh", {"refresh_token": "not-a-token"}, source) for _ in range(ATTEMPTS_PER_MINUTE + 1)
    ]

    assert {reply.status for reply in replies[:-1]} == {401}
    assert _refused(replies[-1])
    assert replies[-1].body["limit"]["name"] == "refresh-per-source-ip"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("auth_confirm", lambda email: {"email": email, "code": "123456"}),
        ("auth_reset_password", lambda email: {"email": email, "code": "123456", "new_password": PASSWORD}),
    ],
)
def test_code_routes_are_limited_per_source_and_per_email(
    api: Api, clock: list[float], route: str, body: Callable[[str], dict[str, Any]]
) -> None:
    source, email = new_source_ip(), _email()

    per_email = [api.post(route, body(email), new_source_ip()) for _ in range(11)]
    per_source = [api.post(route, body(_email()), source) for _ in range(ATTEMPTS_PER_MINUTE + 1)]

    assert [_refused(reply) for reply in per_email] == [False] * 10 + [True]
    assert [_refused(reply) for reply in per_source] == [False] * ATTEMPTS_PER_MINUTE + [True]
    name = route.removeprefix("auth_").replace("_", "-")
    assert (per_email[-1].body["limit"]["name"], per_source[-1].body["limit"]["name"]) == (
        f"{name}-per-email",
        f"{name}-per-source-ip",
    )


def test_counters_expire_with_their_window_hold_no_address_and_sit_in_no_index(
    api: Api, stack: LocalStack, clock: list[float]
) -> None:
    # Given a sign-in attempt for an email from an address
    email, source = _email(), new_source_ip()
    _sign_in(api, source, email)

    # When the table is read for its counters, and each index whole
    dynamodb, name = stack.client("dynamodb"), stack.ref("NotesTable")
    counters = [
        dynamodb.query(
            TableName=name,
            KeyConditionExpression="user_id = :counter",
            ExpressionAttributeValues={":counter": {"S": partition}},
        )["Items"]
        for partition in (
            f"#limit#sign-in-per-source-ip#{source}",
            f"#limit#sign-in-per-email#{request_limits.email_key(email)}",
        )
    ]
    described = dynamodb.describe_table(TableName=name)["Table"]
    indexes = [i["IndexName"] for i in described["LocalSecondaryIndexes"] + described["GlobalSecondaryIndexes"]]
    indexed = [
        item["user_id"]["S"]
        for index in indexes
        for page in dynamodb.get_paginator("scan").paginate(TableName=name, IndexName=index)
        for item in page["Items"]
    ]

    # Then each window's counter holds its count and expires (TTL) when the minute or ten end, and
    # only them: no email address, no attribute an index keys on
    (per_source,), (per_email,) = counters
    assert per_source == {
        "user_id": {"S": f"#limit#sign-in-per-source-ip#{source}"},
        "id": {"S": str(int(MINUTE_STARTS))},
        "requests": {"N": "1"},
        "expires_at": {"N": str(int(MINUTE_STARTS) + 60)},
    }
    assert per_email["expires_at"] == {"N": str(int(MINUTE_STARTS // 600 * 600) + 600)}
    assert email.split("@")[0] not in str(per_email)
    assert dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert not [partition for partition in indexed if partition.startswith(table.LIMIT_PREFIX)]


def test_when_the_table_cannot_count_the_request_goes_on(api: Api, clock: list[float]) -> None:
    # Given a user, and the table throttling every counter write
    user = api.new_user(signed_in=False)
    flooder = new_source_ip()
    with failing(table._dynamodb(), "UpdateItem", "ProvisionedThroughputExceededException"):
        # When they sign in, as does a flooder past its limit
        signed_in = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}, new_source_ip())
        flooded = [_sign_in(api, flooder) for _ in range(ATTEMPTS_PER_MINUTE + 1)]

    # Then nobody is refused for the table's fault: Cognito's own limits are what stands
    assert signed_in.status == 200, signed_in.body
    assert {reply.status for reply in flooded} == {401}


def test_a_counter_write_refused_for_a_reason_of_ours_is_a_500_not_a_silent_pass(api: Api) -> None:
    # Given the functions' role not allowed the counter writes (a broken deploy)
    with failing(table._dynamodb(), "UpdateItem", "AccessDeniedException"):
        reply = _sign_in(api, new_source_ip())

    # Then the sign-in fails loudly: the error alarms fire and a canary deploy rolls back
    assert reply.status == 500
    assert reply.problem_type == "internal-error"
