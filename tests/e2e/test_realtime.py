"""Realtime over the local stack: the WebSocket API on WS_PORT, the table's stream read into the poke
function, silent pushes through SNS (moto), as a device sees them.

One stack for the module, with an FCM platform application given (FcmPlatformApplicationArn) and
the APNs ones not, so that both a configured and an unconfigured platform are seen. Devices speak
the issue's contract: the token in `Authorization: Bearer` or as the second
`Sec-WebSocket-Protocol` value, `device_id` in the query, pokes `{"type": "changes", "seq": N}`.
"""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local.stack import environment_name
from tests.e2e.conftest import Client
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess
from tests.support.tokens import claims_of, forge
from tests.support.waiting import until

FCM_APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/notes-sync-e2e"
POKE_SECONDS = 5.0  # what a test waits for a poke that must come (they take ~0.1 s here: bench/poke_latency.py)
QUIET_SECONDS = 1.5  # how long a socket that must get nothing is watched, after the others got theirs
SILENT_PUSH = "silent push "  # local.moto_server prints each push it would send after this


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalProcess]:
    started = LocalProcess({**SHARED_SOURCE_LIMITS, environment_name("FcmPlatformApplicationArn"): FCM_APPLICATION})
    yield started
    started.stop()


@pytest.fixture(scope="module")
def api(stack: LocalProcess) -> Client:
    return Client(stack.base_url, requests.Session())


def _socket(stack: LocalProcess, token: str | None, device_id: str | None = None, **kwargs: Any) -> ClientConnection:
    url = stack.websocket_url + (f"?device_id={device_id}" if device_id else "")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    socket: ClientConnection = connect(url, additional_headers=headers, open_timeout=10, **kwargs)
    return socket


def _poke(socket: ClientConnection, seconds: float = POKE_SECONDS) -> dict[str, Any]:
    message = socket.recv(timeout=seconds)
    poke: dict[str, Any] = json.loads(message)
    return poke


def _nothing(socket: ClientConnection, seconds: float = QUIET_SECONDS) -> bool:
    try:
        socket.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def _push(api: Client, token: str, device_id: str | None, changes: int = 1) -> None:
    body: dict[str, Any] = {
        "changes": [
            {"op": "create", "id": str(uuid.uuid4()), "title": f"note {n}", "content": "text"} for n in range(changes)
        ]
    }
    if device_id is not None:
        body["device_id"] = device_id
    answer = api.request("POST", "/v1/sync", token, json=body)
    assert answer.status_code == 200, answer.text
    assert {result["status"] for result in answer.json()["results"]} == {"applied"}


def _items(stack: LocalProcess, user_id: str, prefix: str) -> list[dict[str, Any]]:
    dynamodb = stack.aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    items: list[dict[str, Any]] = dynamodb.query(
        TableName=table,
        KeyConditionExpression="user_id = :user AND begins_with(id, :prefix)",
        ExpressionAttributeValues={":user": {"S": user_id}, ":prefix": {"S": prefix}},
        ConsistentRead=True,
    )["Items"]
    return items


def _pushes(stack: LocalProcess) -> list[dict[str, Any]]:
    return [json.loads(line.split(SILENT_PUSH, 1)[1]) for line in list(stack.output) if SILENT_PUSH in line]


# ---------------------------------------------------------------- pokes
def test_a_push_pokes_the_users_other_devices_once_and_nobody_else(stack: LocalProcess, api: Client) -> None:
    # Given a user's devices A and B and another user's device, each with a socket open
    user, other = api.sign_up_and_in(), api.sign_up_and_in()
    with (
        _socket(stack, user["access_token"], "phone-a") as a,
        _socket(stack, user["access_token"], "tablet-b") as b,
        _socket(stack, other["access_token"], "tablet-b") as someone_else,
    ):
        # When A pushes a change, then a push of three changes
        _push(api, user["access_token"], "phone-a")
        first = _poke(b)
        _push(api, user["access_token"], "phone-a", changes=3)
        second = _poke(b)

        # Then B is poked once per push with the account's sequence after it; A and the other
        # user's socket get nothing, and nothing more comes to B
        assert (first, second) == ({"type": "changes", "seq": 1}, {"type": "changes", "seq": 4})
        assert _nothing(b)
        assert _nothing(a, 0.1)
        assert _nothing(someone_else, 0.1)


def test_a_change_of_no_named_device_pokes_every_socket_and_the_subprotocol_carries_the_token(
    stack: LocalProcess, api: Client
) -> None:
    # Given a browser's socket (the token as the second subprotocol value) and a native one
    user = api.sign_up_and_in()
    with (
        connect(f"{stack.websocket_url}?device_id=browser", subprotocols=["notes-sync", user["access_token"]]) as web,  # type: ignore[list-item]
        _socket(stack, user["access_token"], "phone") as phone,
    ):
        # Then the answer selected notes-sync (a browser drops a socket whose answer selects none)
        assert web.subprotocol == "notes-sync"
        assert phone.subprotocol is None

        # When a note is created without naming a device (no device made it, as far as the server knows)
        created = api.request(
            "POST", "/v1/notes", user["access_token"], json={"id": str(uuid.uuid4()), "title": "t", "content": "c"}
        )
        assert created.status_code == 201, created.text

        # Then both sockets are poked
        assert _poke(web) == _poke(phone) == {"type": "changes", "seq": 1}


@pytest.mark.parametrize(
    "kind", ["none", "not a token", "expired", "id token", "refresh token", "signed out", "in the query string"]
)
def test_a_socket_is_refused_without_a_valid_access_token(stack: LocalProcess, api: Client, kind: str) -> None:
    # Given a token of that kind
    user = api.sign_up_and_in()
    access = user["access_token"]
    issuer, client_id = claims_of(access)["iss"], claims_of(access)["client_id"]
    url = stack.websocket_url
    headers: dict[str, str] | None = None
    if kind == "not a token":
        headers = {"Authorization": "Bearer not-a-token"}
    elif kind == "expired":
        expired = forge(
            issuer, client_id, sub=claims_of(access)["sub"], iat=int(time.time()) - 3600, exp=int(time.time()) - 60
        )
        headers = {"Authorization": f"Bearer {expired}"}
    elif kind == "id token":
        headers = {"Authorization": f"Bearer {user['id_token']}"}
    elif kind == "refresh token":
        headers = {"Authorization": f"Bearer {user['refresh_token']}"}
    elif kind == "signed out":
        assert api.request("POST", "/v1/auth/sign-out", access).status_code == 204
        headers = {"Authorization": f"Bearer {access}"}
    elif kind == "in the query string":
        url += f"?access_token={access}&token={access}&Authorization=Bearer%20{access}"

    # When a socket is opened with it
    with pytest.raises(InvalidStatus) as refused, connect(url, additional_headers=headers, open_timeout=10):
        pass

    # Then the handshake is refused and no connection is kept
    assert refused.value.response.status_code in (401, 403)
    assert _items(stack, claims_of(access)["sub"], "#user#conn#") == []


def test_a_device_id_that_is_not_one_refuses_the_socket(stack: LocalProcess, api: Client) -> None:
    user = api.sign_up_and_in()
    with pytest.raises(InvalidStatus) as refused, _socket(stack, user["access_token"], "not%20an%20id"):
        pass
    assert refused.value.response.status_code == 400


def test_sign_out_and_account_deletion_close_the_users_sockets(stack: LocalProcess, api: Client) -> None:
    # Given two users, each with a socket open
    leaving, deleting = api.sign_up_and_in(), api.sign_up_and_in()
    with (
        _socket(stack, leaving["access_token"], "a") as signed_out,
        _socket(stack, deleting["access_token"], "b") as deleted,
    ):
        # When one signs out and the other deletes the account
        assert api.request("POST", "/v1/auth/sign-out", leaving["access_token"]).status_code == 204
        assert api.request("DELETE", "/v1/account", deleting["access_token"]).status_code == 202

        # Then both sockets are closed by the server, and their connections forgotten
        for socket in (signed_out, deleted):
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=POKE_SECONDS)
    assert until(lambda: _items(stack, claims_of(leaving["access_token"])["sub"], "#user#conn#") == [], 5)


def test_a_connection_whose_client_vanished_is_forgotten_at_the_next_poke(stack: LocalProcess, api: Client) -> None:
    # Given a connection the table still holds whose $disconnect never came (best effort on AWS)
    user = api.sign_up_and_in()
    user_id = claims_of(user["access_token"])["sub"]
    dynamodb = stack.aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    now = int(time.time())
    vanished = {"user_id": {"S": user_id}, "id": {"S": "#user#conn#VanishedConn1="}}
    dynamodb.put_item(
        TableName=table,
        Item={
            **vanished,
            "issued_at": {"N": str(now)},
            "expires_at": {"N": str(now + 7200)},
            "device_id": {"S": "lost"},
        },
    )
    with _socket(stack, user["access_token"], "tablet") as tablet:
        # When another device changes a note
        _push(api, user["access_token"], "phone")

        # Then the open socket is poked, and the vanished connection (GoneException) is forgotten
        assert _poke(tablet) == {"type": "changes", "seq": 1}
        assert until(lambda: "Item" not in dynamodb.get_item(TableName=table, Key=vanished, ConsistentRead=True), 5)
        assert len(_items(stack, user_id, "#user#conn#")) == 1


def test_closing_a_socket_forgets_its_connection(stack: LocalProcess, api: Client) -> None:
    user = api.sign_up_and_in()
    user_id = claims_of(user["access_token"])["sub"]
    with _socket(stack, user["access_token"], "phone"):
        (connection,) = _items(stack, user_id, "#user#conn#")
        assert connection["device_id"] == {"S": "phone"}
        assert int(connection["expires_at"]["N"]) - time.time() == pytest.approx(7200, abs=30)
    assert until(lambda: _items(stack, user_id, "#user#conn#") == [], 5)


# ---------------------------------------------------------------- silent pushes
def test_a_registered_device_without_a_socket_gets_one_silent_push_for_a_burst(
    stack: LocalProcess, api: Client
) -> None:
    # Given a user's three registered devices: one asleep (no socket), one with a socket open, and
    # the one that will make the changes
    user = api.sign_up_and_in()
    token = user["access_token"]
    for device in ("asleep", "awake", "author"):
        registered = api.request(
            "PUT", f"/v1/devices/{device}", token, json={"platform": "fcm", "token": f"fcm-token-{uuid.uuid4()}"}
        )
        assert (registered.status_code, registered.text) == (204, "")
    endpoints = {push["endpoint"] for push in _pushes(stack)}
    with _socket(stack, token, "awake") as awake:
        # When the author pushes five times in a row
        for _ in range(5):
            _push(api, token, "author")
        while _poke(awake)["seq"] < 5:  # changes read from the stream in one batch are one poke
            pass

        # Then the sleeping device gets one data-only push, with no note data in it; the others none
        def new_pushes() -> list[dict[str, Any]]:
            return [push for push in _pushes(stack) if push["endpoint"] not in endpoints]

        assert until(lambda: len(new_pushes()) >= 1, 5)
        time.sleep(QUIET_SECONDS)
    (push,) = new_pushes()
    asleep = _items(stack, claims_of(token)["sub"], "#user#device#asleep")[0]
    assert push["endpoint"] == asleep["endpoint_arn"]["S"]
    assert json.loads(json.loads(push["message"])["GCM"]) == {
        "fcmV1Message": {"message": {"data": {"type": "changes"}, "android": {"priority": "high"}}}
    }


def test_devices_are_registered_and_removed_per_user(stack: LocalProcess, api: Client) -> None:
    # Given two users who both name a device "phone"
    first, second = api.sign_up_and_in(), api.sign_up_and_in()
    for user in (first, second):
        answer = api.request(
            "PUT", "/v1/devices/phone", user["access_token"], json={"platform": "fcm", "token": f"t-{uuid.uuid4()}"}
        )
        assert answer.status_code == 204, answer.text

    # When the second removes it (twice: a retry)
    for _ in range(2):
        assert api.request("DELETE", "/v1/devices/phone", second["access_token"]).status_code == 204

    # Then only the second user's device is gone, and its SNS endpoint with it
    first_device = _items(stack, claims_of(first["access_token"])["sub"], "#user#device#")
    assert [item["id"]["S"] for item in first_device] == ["#user#device#phone"]
    assert _items(stack, claims_of(second["access_token"])["sub"], "#user#device#") == []
    sns = stack.aws("sns")
    arns = {
        e["EndpointArn"]
        for e in sns.list_endpoints_by_platform_application(PlatformApplicationArn=FCM_APPLICATION)["Endpoints"]
    }
    assert first_device[0]["endpoint_arn"]["S"] in arns


@pytest.mark.parametrize(
    ("path", "body", "status", "problem"),
    [
        ("/v1/devices/phone", {"platform": "apns", "token": "ab12"}, 422, "push-not-configured"),
        ("/v1/devices/phone", {"platform": "sms", "token": "ab12"}, 422, "validation-error"),
        ("/v1/devices/phone", {"platform": "fcm", "token": "ab12", "user_id": "someone"}, 422, "validation-error"),
        ("/v1/devices/phone", {"platform": "fcm", "token": ""}, 422, "validation-error"),
        ("/v1/devices/not.a.device", {"platform": "fcm", "token": "ab12"}, 422, "validation-error"),
    ],
)
def test_a_registration_that_cannot_be_kept_is_a_problem(
    api: Client, path: str, body: dict[str, Any], status: int, problem: str
) -> None:
    user = api.sign_up_and_in()
    answer = api.request("PUT", path, user["access_token"], json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(f"/{problem}")
