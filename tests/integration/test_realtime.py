"""Realtime through the handlers, in-process against moto: the WebSocket authorizer, $connect and
$disconnect, the devices routes, the poke function fed by the table's stream (read as Lambda's event
source mapping reads it: local.streams) and the silent-push worker.

There are no live sockets here: the local stack's @connections endpoint holds none, so every
connection a poke is sent to answers GoneException, and the poke function forgets it. Which
connections a change pokes is seen by which of their items are gone after it; silent pushes are
read from moto's platform endpoints.
"""

import json
import time
import uuid
from typing import Any

import pytest
from moto.sns.models import sns_backends
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from local import template as tpl
from local.stack import LocalStack
from local.streams import StreamPoller
from local.websocket import WebSocketFront
from tests.support import events
from tests.support.api import Api, Reply, User
from tests.support.stack import PUSH_PARAMETERS
from tests.support.tokens import forge
from tests.support.waiting import until

FCM_APPLICATION = PUSH_PARAMETERS["FcmPlatformApplicationArn"]


@pytest.fixture(scope="module")
def stream(stack: LocalStack) -> StreamPoller:
    """The poke function's event source mapping, polled by the tests (from the stream's end now)."""
    (source,) = tpl.stream_sources(stack.provisioned.template)
    return StreamPoller(stack, source, stack.functions)


def _deliver(stream: StreamPoller) -> int:
    """Poll until the records written so far have been handed to the poke function; how many."""
    given = 0
    for _ in range(5):
        given += stream.poll_once()
    return given


def _table(stack: LocalStack) -> tuple[Any, str]:
    return stack.client("dynamodb"), stack.ref("NotesTable")


def _item(stack: LocalStack, user_id: str, item_id: str) -> dict[str, Any] | None:
    dynamodb, table = _table(stack)
    reply = dynamodb.get_item(
        TableName=table, Key={"user_id": {"S": user_id}, "id": {"S": item_id}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = reply.get("Item")
    return item


def _authorizer_event(headers: dict[str, str]) -> dict[str, Any]:
    event = events.fixture("ws_authorizer")
    event["headers"] = headers
    event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    return event


def _authorize(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = api.stack.functions.invoke(api.function_of("ws_authorizer"), _authorizer_event(headers))
    return answer


def _connect(api: Api, user: User, connection_id: str, device_id: str | None, subprotocols: str = "") -> dict[str, Any]:
    """$connect as the authorizer lets `user` through."""
    event = events.fixture("ws_connect")
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {
        "principalId": user.user_id,
        "user_id": user.user_id,
        "issued_at": str(user.claims["iat"]),
    }
    event["queryStringParameters"] = {"device_id": device_id} if device_id else None
    event["headers"].pop("Authorization")
    if subprotocols:
        event["headers"]["Sec-WebSocket-Protocol"] = subprotocols
    answer: dict[str, Any] = api.stack.functions.invoke(api.function_of("ws_connect"), event)
    return answer


def _register(api: Api, user: User, device_id: str, platform: str = "fcm", token: str | None = None) -> Reply:
    event = events.customised(
        events.fixture("devices_put"), {"platform": platform, "token": token or f"token-{uuid.uuid4()}"}
    )
    event["pathParameters"]["device_id"] = device_id
    return api.as_user("devices_put", user, event)


def _push(api: Api, user: User, device_id: str | None) -> Reply:
    body: dict[str, Any] = {"changes": [{"op": "create", "id": str(uuid.uuid4()), "title": "t", "content": "c"}]}
    if device_id is not None:
        body["device_id"] = device_id
    reply = api.call("sync_push", user, body=body)
    assert reply.status == 200, reply.body
    return reply


def _push_sent_seconds_ago(stack: LocalStack, user: User, device_id: str, seconds: int) -> None:
    """Move the device's last silent push `seconds` into the past (past its burst, within its minute)."""
    dynamodb, table = _table(stack)
    dynamodb.update_item(
        TableName=table,
        Key={"user_id": {"S": user.user_id}, "id": {"S": f"#user#device#{device_id}"}},
        UpdateExpression="SET pushed_at = :then",
        ExpressionAttributeValues={":then": {"N": str(int(time.time()) - seconds)}},
    )


def _messages(endpoint_arn: str) -> list[str]:
    backend = sns_backends[tpl.ACCOUNT_ID]["us-east-1"]
    return list(backend.platform_endpoints[endpoint_arn].messages.values())


# ---------------------------------------------------------------- the authorizer
def test_the_authorizer_lets_an_access_token_through_from_either_header(api: Api, user: User) -> None:
    for headers in (
        {"Authorization": f"Bearer {user.access_token}"},
        {"Sec-WebSocket-Protocol": f"notes-sync, {user.access_token}"},
    ):
        answer = _authorize(api, headers)
        assert answer["principalId"] == user.user_id
        assert answer["context"] == {"user_id": user.user_id, "issued_at": str(user.claims["iat"])}
        (statement,) = answer["policyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == events.fixture("ws_authorizer")["methodArn"]


def test_the_authorizer_denies_every_other_token(api: Api, user: User) -> None:
    issuer, client_id = user.claims["iss"], user.claims["client_id"]
    now = int(time.time())
    signed_in = api.post("auth_sign_in", {"email": user.email, "password": user.password}).body
    refused = {
        "none": {},
        "not a JWT": {"Authorization": "Bearer not-a-token"},
        "another issuer": {"Authorization": f"Bearer {forge(issuer + 'x', client_id, user.user_id)}"},
        "another app client": {"Authorization": f"Bearer {forge(issuer, 'someone-else', user.user_id)}"},
        "expired": {"Authorization": f"Bearer {forge(issuer, client_id, user.user_id, iat=now - 999, exp=now - 1)}"},
        "an ID token": {"Authorization": f"Bearer {signed_in['id_token']}"},
        "a refresh token": {"Authorization": f"Bearer {signed_in['refresh_token']}"},
        "a subprotocol without notes-sync": {"Sec-WebSocket-Protocol": f"chat, {user.access_token}"},
    }
    for kind, headers in refused.items():
        answer = _authorize(api, headers)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny", kind
        assert "context" not in answer, kind


def test_the_authorizer_denies_a_token_from_before_a_sign_out_or_of_an_account_being_deleted(api: Api) -> None:
    signed_out, deleted = api.new_user(), api.new_user()
    assert api.as_user("auth_sign_out", signed_out).status == 204
    assert api.as_user("account_delete", deleted).status == 202
    for user in (signed_out, deleted):
        answer = _authorize(api, {"Authorization": f"Bearer {user.access_token}"})
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"


# ---------------------------------------------------------------- $connect and $disconnect
def test_connect_keeps_the_connection_with_its_device_for_two_hours_and_disconnect_forgets_it(
    api: Api, user: User, stack: LocalStack
) -> None:
    # When a device connects offering the subprotocol, then disconnects (twice: at least once)
    answer = _connect(api, user, "Conn1AAAAAAAAA=", "pixel-8", subprotocols="notes-sync, token")
    item = _item(stack, user.user_id, "#user#conn#Conn1AAAAAAAAA=")
    disconnect = events.fixture("ws_disconnect")
    disconnect["requestContext"]["connectionId"] = "Conn1AAAAAAAAA="
    disconnect["requestContext"]["authorizer"] = {
        "principalId": user.user_id,
        "user_id": user.user_id,
        "issued_at": "1",
    }
    for _ in range(2):
        assert stack.functions.invoke(api.function_of("ws_disconnect"), disconnect) == {"statusCode": 200}

    # Then the connection was kept under the user with its device and the token's issue time, until
    # API Gateway's longest connection is over; the answer selected the subprotocol; it is gone now
    assert answer == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "notes-sync"}}
    assert item is not None
    assert (item["device_id"], item["issued_at"]) == ({"S": "pixel-8"}, {"N": str(user.claims["iat"])})
    assert int(item["expires_at"]["N"]) - time.time() == pytest.approx(7200, abs=60)
    assert _item(stack, user.user_id, "#user#conn#Conn1AAAAAAAAA=") is None


def test_connect_refuses_a_bad_device_id_and_a_token_a_sign_out_came_after(api: Api, stack: LocalStack) -> None:
    user = api.new_user()
    bad_device = _connect(api, user, "Conn2AAAAAAAAA=", "not a device id")
    assert api.as_user("auth_sign_out", user).status == 204
    after_sign_out = _connect(api, user, "Conn3AAAAAAAAA=", "pixel")

    assert bad_device["statusCode"] == 400
    assert after_sign_out == {"statusCode": 403}
    assert _item(stack, user.user_id, "#user#conn#Conn2AAAAAAAAA=") is None
    assert _item(stack, user.user_id, "#user#conn#Conn3AAAAAAAAA=") is None


# ---------------------------------------------------------------- devices
def test_registering_a_device_makes_its_endpoint_once_and_follows_a_new_token(api: Api, user: User) -> None:
    # When a device registers, registers again, then with a new token
    replies = [_register(api, user, "pixel", token=token) for token in ("token-1", "token-1", "token-2")]

    # Then each is a 204, and one endpoint, the device's, holds the latest token
    assert [reply.status for reply in replies] == [204, 204, 204]
    device = _item(api.stack, user.user_id, "#user#device#pixel")
    assert device is not None
    sns = api.stack.client("sns")
    attributes = sns.get_endpoint_attributes(EndpointArn=device["endpoint_arn"]["S"])["Attributes"]
    assert (attributes["Token"], attributes["Enabled"]) == ("token-2", "true")
    assert attributes["CustomUserData"] == f"{user.user_id} pixel"
    assert device["platform"] == {"S": "fcm"}


def test_a_platform_without_its_application_is_a_problem_and_nothing_is_kept(api: Api, user: User) -> None:
    reply = _register(api, user, "iphone", platform="apns_sandbox")

    assert (reply.status, reply.problem_type) == (422, "push-not-configured")
    assert _item(api.stack, user.user_id, "#user#device#iphone") is None


def test_removing_a_device_is_the_callers_alone_and_its_endpoint_goes_with_it(
    api: Api, stack: LocalStack, stream: StreamPoller
) -> None:
    # Given two users' devices of the same name
    first, second = api.new_user(), api.new_user()
    assert _register(api, first, "phone").status == _register(api, second, "phone").status == 204
    endpoint = _item(stack, second.user_id, "#user#device#phone")["endpoint_arn"]["S"]  # type: ignore[index]
    _deliver(stream)

    # When the second removes it, twice, and the stream is read
    delete = events.fixture("devices_delete")
    delete["pathParameters"]["device_id"] = "phone"
    replies = [api.as_user("devices_delete", second, delete).status for _ in range(2)]
    _deliver(stream)

    # Then only the second's device is gone, with its SNS endpoint
    assert replies == [204, 204]
    assert _item(stack, first.user_id, "#user#device#phone") is not None
    assert _item(stack, second.user_id, "#user#device#phone") is None
    arns = [
        e["EndpointArn"]
        for e in stack.client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=FCM_APPLICATION)[
            "Endpoints"
        ]
    ]
    assert endpoint not in arns


# ---------------------------------------------------------------- the poke function
def test_a_change_pokes_the_other_devices_connections_and_wakes_a_sleeping_device(
    api: Api, stack: LocalStack, stream: StreamPoller
) -> None:
    # Given a user with connections of devices "author" and "reader", a sleeping registered device,
    # and another user with a connection
    user, other = api.new_user(), api.new_user()
    assert _connect(api, user, "AuthorConnAA=", "author")["statusCode"] == 200
    assert _connect(api, user, "ReaderConnAA=", "reader")["statusCode"] == 200
    assert _connect(api, other, "OtherConnAAA=", "reader")["statusCode"] == 200
    assert _register(api, user, "sleeper").status == 204
    sleeper = _item(stack, user.user_id, "#user#device#sleeper")["endpoint_arn"]["S"]  # type: ignore[index]
    _deliver(stream)

    # When "author" pushes a change and the stream is read
    _push(api, user, "author")
    given = _deliver(stream)

    # Then the reader was poked (its connection answered GoneException here: no socket, so it is
    # forgotten), the author's and the other user's connections were left alone, and the sleeping
    # device got one data-only push
    assert given >= 1
    assert _item(stack, user.user_id, "#user#conn#ReaderConnAA=") is None
    assert _item(stack, user.user_id, "#user#conn#AuthorConnAA=") is not None
    assert _item(stack, other.user_id, "#user#conn#OtherConnAAA=") is not None
    (message,) = _messages(sleeper)
    assert json.loads(json.loads(message)["GCM"])["fcmV1Message"]["message"]["data"] == {"type": "changes"}

    # When the author pushes again at once (one burst with the first change)
    _push(api, user, "author")
    _deliver(stream)

    # Then nothing more is sent, now or later: the push's pull brings both
    assert len(_messages(sleeper)) == 1
    device = _item(stack, user.user_id, "#user#device#sleeper")
    assert device is not None
    assert "trailing_at" not in device

    # When the author pushes again later in the device's minute (here: its push 20 s ago)
    _push_sent_seconds_ago(stack, user, "sleeper", 20)
    _push(api, user, "author")
    _deliver(stream)

    # Then no second push goes now: one is due at the end of the device's minute
    assert len(_messages(sleeper)) == 1
    device = _item(stack, user.user_id, "#user#device#sleeper")
    assert device is not None
    assert int(device["trailing_at"]["N"]) == int(device["pushed_at"]["N"]) + 60


def test_the_silent_push_worker_sends_a_due_push_once(api: Api, stack: LocalStack, stream: StreamPoller) -> None:
    # Given a sleeping device whose trailing push is due (a change within its minute)
    user = api.new_user()
    assert _register(api, user, "sleeper").status == 204
    endpoint = _item(stack, user.user_id, "#user#device#sleeper")["endpoint_arn"]["S"]  # type: ignore[index]
    _deliver(stream)
    _push(api, user, "author")
    _deliver(stream)
    _push_sent_seconds_ago(stack, user, "sleeper", 20)
    _push(api, user, "author")
    _deliver(stream)
    due = int(_item(stack, user.user_id, "#user#device#sleeper")["trailing_at"]["N"])  # type: ignore[index]

    # When the silent-push queue's message is delivered twice (at least once)
    worker = events.fixture("silent_push_worker")
    worker["Records"][0]["body"] = json.dumps({"user_id": user.user_id, "device_id": "sleeper", "due": due})
    results = [stack.functions.invoke(api.function_of("silent_push_worker"), worker) for _ in range(2)]

    # Then one push more was sent: the leading one and this trailing one
    assert results == [{"batchItemFailures": []}] * 2
    assert len(_messages(endpoint)) == 2


def test_sign_out_closes_the_connections_opened_before_it(api: Api, stack: LocalStack, stream: StreamPoller) -> None:
    user = api.new_user()
    assert _connect(api, user, "BeforeSignOut=", "phone")["statusCode"] == 200
    _deliver(stream)

    assert api.as_user("auth_sign_out", user).status == 204
    _deliver(stream)

    assert _item(stack, user.user_id, "#user#conn#BeforeSignOut=") is None


# ---------------------------------------------------------------- the local WebSocket API's limits
@pytest.mark.parametrize(("idle", "lifetime"), [(0.6, 60.0), (60.0, 1.2)], ids=["idle", "two hours"])
def test_the_local_gateway_closes_an_idle_or_old_connection_and_runs_disconnect(
    api: Api, stack: LocalStack, idle: float, lifetime: float
) -> None:
    # Given the local WebSocket API with its 10 minutes idle and 2 hours shortened to seconds
    user = api.new_user()
    front = WebSocketFront(
        stack.provisioned, stack.functions, stack.connections, idle_seconds=idle, connection_seconds=lifetime
    ).start()
    try:
        with connect(
            f"{front.url}?device_id=phone", additional_headers={"Authorization": f"Bearer {user.access_token}"}
        ) as socket:
            (connection,) = _connections(stack, user)

            # When nothing is sent for longer than the limit (or the connection outlives its maximum)
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=10)

        # Then the gateway closed it (1001, going away) and $disconnect forgot it
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        assert until(lambda: _connections(stack, user) == [], 5)
        assert connection["device_id"] == {"S": "phone"}
    finally:
        front.stop()


def _connections(stack: LocalStack, user: User) -> list[dict[str, Any]]:
    dynamodb, table = _table(stack)
    items: list[dict[str, Any]] = dynamodb.query(
        TableName=table,
        KeyConditionExpression="user_id = :user AND begins_with(id, :conn)",
        ExpressionAttributeValues={":user": {"S": user.user_id}, ":conn": {"S": "#user#conn#"}},
        ConsistentRead=True,
    )["Items"]
    return items
