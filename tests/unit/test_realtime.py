"""Realtime without AWS: where a handshake's token is read from, the token checks' refusals, what a
batch of stream records asks of the poke function, the template's filter criteria on records, the
silent pushes' messages and the local gateway's reading of an authorizer's policy."""

import base64
import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from local import template as tpl
from local.websocket import _allows
from notes_core.data import push
from notes_core.domain import tokens
from notes_core.edge.realtime import offered_subprotocols, token_of
from notes_core.usecases import pokes

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"


# ---------------------------------------------------------------- the token of a handshake
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, TOKEN),
        ({"authorization": f"Bearer  {TOKEN} "}, TOKEN),
        ({"Sec-WebSocket-Protocol": f"notes-sync, {TOKEN}"}, TOKEN),
        ({"sec-websocket-protocol": f"notes-sync,{TOKEN}"}, TOKEN),
        ({"Sec-WebSocket-Protocol": f"chat, {TOKEN}"}, None),  # not ours
        ({"Sec-WebSocket-Protocol": f"notes-sync, {TOKEN}, more"}, None),
        ({"Sec-WebSocket-Protocol": "notes-sync"}, None),
        ({"Authorization": "Bearer "}, None),
        ({"Authorization": TOKEN}, None),  # no scheme
        ({"Authorization": f"Basic {TOKEN}"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_the_token_comes_from_the_authorization_header_or_the_second_subprotocol(
    headers: dict[str, str] | None, expected: str | None
) -> None:
    assert token_of(headers) == expected


def test_the_offered_subprotocols_are_read_in_order() -> None:
    assert offered_subprotocols({"Sec-WebSocket-Protocol": " notes-sync , abc ,"}) == ["notes-sync", "abc"]


# ---------------------------------------------------------------- token checks
def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _segment(value: object) -> str:
    return _b64(json.dumps(value))


@pytest.mark.parametrize(
    ("token", "refusal"),
    [
        (None, tokens.Refusal.NO_TOKEN),
        ("", tokens.Refusal.NO_TOKEN),
        ("not-a-token", tokens.Refusal.MALFORMED),
        ("a.b.c", tokens.Refusal.MALFORMED),
        (f"{_segment([1])}.e30.c2ln", tokens.Refusal.MALFORMED),  # a header that is not an object
        # a header of 100,000 nested arrays (about 270 KB): refused, not a RecursionError (a 500)
        (f"{_b64('[' * 100_000 + ']' * 100_000)}.e30.c2ln", tokens.Refusal.MALFORMED),
        (f"{_segment({'alg': 'none', 'kid': 'k'})}.e30.", tokens.Refusal.NOT_RSA),
        (f"{_segment({'alg': 'HS256', 'kid': 'k'})}.e30.c2ln", tokens.Refusal.NOT_RSA),
        (f"{_segment({'alg': 'RS256'})}.e30.c2ln", tokens.Refusal.UNKNOWN_KEY),
    ],
)
def test_a_token_no_key_could_verify_is_refused_before_any_key_is_fetched(
    token: str | None, refusal: tokens.Refusal
) -> None:
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.key_id(token)
    assert refused.value.refusal == refusal


ISSUER, CLIENT, NOW = "https://cognito-idp.us-east-1.amazonaws.com/pool", "client-1", 1_800_000_000.0
GOOD = {"iss": ISSUER, "client_id": CLIENT, "exp": NOW + 60, "iat": NOW - 60}


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"iss": ISSUER + "/other"}, tokens.Refusal.WRONG_ISSUER),
        ({"client_id": "another-client"}, tokens.Refusal.WRONG_AUDIENCE),
        ({"aud": "another-client"}, tokens.Refusal.WRONG_AUDIENCE),  # aud, when present, is what counts
        ({"exp": NOW}, tokens.Refusal.EXPIRED),
        ({"exp": None}, tokens.Refusal.EXPIRED),
        ({"nbf": NOW + 5}, tokens.Refusal.NOT_YET_VALID),
        ({"iat": NOW + 5}, tokens.Refusal.ISSUED_IN_FUTURE),
    ],
)
def test_each_claim_check_refuses_with_its_reason(changes: dict[str, Any], refusal: tokens.Refusal) -> None:
    claims = {**GOOD, **changes}
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.check_claims(claims, ISSUER, [CLIENT], NOW)
    assert refused.value.refusal == refusal


def test_claims_of_the_pool_and_its_client_in_their_time_pass() -> None:
    tokens.check_claims(GOOD, ISSUER, [CLIENT], NOW)
    tokens.check_claims({**GOOD, "client_id": None, "aud": [CLIENT, "x"]}, ISSUER, [CLIENT], NOW)


# ---------------------------------------------------------------- stream records to events
def _counter(user: str, old: dict[str, Any] | None, new: dict[str, Any], sequence: str) -> dict[str, Any]:
    def image(values: dict[str, Any]) -> dict[str, Any]:
        shaped = {"user_id": {"S": user}, "id": {"S": "#user"}}
        for name, value in values.items():
            shaped[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        return shaped

    stream: dict[str, Any] = {
        "Keys": {"user_id": {"S": user}, "id": {"S": "#user"}},
        "NewImage": image(new),
        "SequenceNumber": sequence,
    }
    if old is not None:
        stream["OldImage"] = image(old)
    return {"eventName": "MODIFY" if old is not None else "INSERT", "dynamodb": stream}


def _removed(user: str, item_id: str, sequence: str, **attributes: str) -> dict[str, Any]:
    old = {"user_id": {"S": user}, "id": {"S": item_id}, **{k: {"S": v} for k, v in attributes.items()}}
    keys = {"user_id": {"S": user}, "id": {"S": item_id}}
    return {"eventName": "REMOVE", "dynamodb": {"Keys": keys, "OldImage": old, "SequenceNumber": sequence}}


def test_a_batch_is_read_as_each_users_changes_sign_outs_deletions_and_removed_items() -> None:
    # Given a batch: two changes of u1 by two devices and one by no named device, a sign-out of u2
    # (the counter changes, its sequence does not), a photo's write of u3 (neither), u4's deletion
    # mark, and a device and a connection of u5 removed
    records = [
        _counter("u1", {"last_seq": 4}, {"last_seq": 5, "last_device": "phone"}, "100"),
        _counter("u1", {"last_seq": 5}, {"last_seq": 7, "last_device": "tablet"}, "101"),
        _counter("u2", {"last_seq": 3}, {"last_seq": 3, "signed_out_at": 1700}, "102"),
        _counter("u1", {"last_seq": 7}, {"last_seq": 8}, "103"),
        _counter("u3", {"last_seq": 9}, {"last_seq": 9, "photo": "p"}, "104"),
        _counter("u4", None, {"deleting": "d1"}, "105"),
        _removed("u5", "#user#device#watch", "106", platform="fcm", token="t", endpoint_arn="arn:e"),
        _removed("u5", "#user#conn#Abc=", "107", device_id="watch"),
    ]

    # When the poke function reads it
    users = pokes._events_by_user(records)

    # Then each user's part is what happened to it, and where a retry of it would start
    assert users["u1"].changes == [(5, "phone"), (7, "tablet"), (8, None)]
    assert users["u1"].first_sequence == "100"
    assert (users["u2"].changes, users["u2"].signed_out_at) == ([], 1700)
    assert (users["u3"].changes, users["u3"].signed_out_at, users["u3"].deleting) == ([], None, False)
    assert users["u4"].deleting is True
    assert [device.device_id for device in users["u5"].removed_devices] == ["watch"]
    assert users["u5"].removed_connections == ["Abc="]


@pytest.mark.parametrize(
    ("device", "expected"),
    [("phone", 8), ("tablet", 8), ("watch", 8), (None, 8)],
)
def test_each_device_is_poked_with_the_newest_change_another_device_made(device: str | None, expected: int) -> None:
    changes = [(5, "phone"), (7, "tablet"), (8, None)]
    assert pokes._newest_for(device, changes) == expected


def test_a_device_is_not_poked_for_its_own_changes_alone() -> None:
    changes = [(5, "phone"), (6, "phone"), (7, "tablet")]
    assert pokes._newest_for("phone", changes) == 7
    assert pokes._newest_for("tablet", changes) == 6
    assert pokes._newest_for("phone", [(5, "phone"), (6, "phone")]) is None


# ---------------------------------------------------------------- the template's filter criteria
FILTERS = [
    EventPattern.load(pattern)
    for source in tpl.stream_sources(tpl.load())
    if source.function == "PokeFunction"
    for pattern in source.filter_patterns
]


def _passes(record: dict[str, Any]) -> bool:
    return any(pattern.matches_event(record) for pattern in FILTERS)  # type: ignore[arg-type]


def test_the_stream_filters_keep_the_counters_records_and_removed_devices_and_connections() -> None:
    note = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"user_id": {"S": "u"}, "id": {"S": "0f8e7d6c"}}, "NewImage": {"seq": {"N": "3"}}},
    }
    revision_removed = _removed("u", "0f8e7d6c#rev#1", "3")
    limit_counter = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"user_id": {"S": "#limit#x"}, "id": {"S": "1"}}, "NewImage": {"requests": {"N": "2"}}},
    }
    kept = [
        _counter("u", {"last_seq": 1}, {"last_seq": 2}, "1"),
        _counter("u", None, {"signed_out_at": 5}, "2"),
        _counter("u", None, {"deleting": "d"}, "3"),
        _removed("u", "#user#device#phone", "4"),
        _removed("u", "#user#conn#Abc=", "5"),
    ]
    assert len(FILTERS) == 5  # Lambda's default quota of filters per event source mapping
    assert [_passes(record) for record in kept] == [True] * len(kept)
    assert [_passes(record) for record in (note, revision_removed, limit_counter)] == [False] * 3


# ---------------------------------------------------------------- silent pushes carry no note data
def test_a_silent_push_is_data_only_on_fcm_and_a_background_notification_on_apns() -> None:
    fcm, fcm_attributes = push.silent_push_message("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1")
    apns, apns_attributes = push.silent_push_message("arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1")
    sandbox, _ = push.silent_push_message("arn:aws:sns:us-east-1:123456789012:endpoint/APNS_SANDBOX/app/1")

    fcm_message = json.loads(json.loads(fcm)["GCM"])["fcmV1Message"]["message"]
    assert fcm_message == {"data": {"type": "changes"}, "android": {"priority": "high"}}  # no "notification"
    assert fcm_attributes == {}
    assert json.loads(json.loads(apns)["APNS"])["aps"] == {"content-available": 1}
    assert json.loads(json.loads(sandbox)["APNS_SANDBOX"])["aps"] == {"content-available": 1}
    assert apns_attributes["AWS.SNS.MOBILE.APNS.PUSH_TYPE"]["StringValue"] == "background"
    assert apns_attributes["AWS.SNS.MOBILE.APNS.PRIORITY"]["StringValue"] == "5"


# ---------------------------------------------------------------- the local gateway reads policies
METHOD = "arn:aws:execute-api:us-east-1:123456789012:api/live/$connect"


def _policy(*statements: tuple[str, str]) -> dict[str, Any]:
    return {
        "principalId": "u",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": e, "Resource": r} for e, r in statements],
        },
    }


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (_policy(("Allow", METHOD)), True),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:123456789012:api/live/*")), True),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:123456789012:other/live/*")), False),
        (_policy(("Deny", METHOD)), False),
        (_policy(("Allow", METHOD), ("Deny", "arn:aws:execute-api:us-east-1:123456789012:api/*")), False),
        (_policy(), False),
        ({"principalId": "u"}, False),
        ("Allow", False),
    ],
)
def test_the_local_gateway_lets_a_connection_through_only_on_an_allow_of_its_route(policy: Any, allowed: bool) -> None:
    assert _allows(policy, METHOD) is allowed
