"""Sign-out revokes refresh tokens and records the cut-off that writes compare token ages with."""

import time
from typing import Any

import pytest

from notes_core.data import identity, table
from tests.support.api import PASSWORD, Api, User
from tests.support.tokens import claims_of


def _cut_off(api: Api, user_id: str) -> int:
    item = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user_id}, "id": {"S": table.USER_ITEM_ID}},
        ConsistentRead=True,
    )["Item"]
    return int(item["signed_out_at"]["N"])


def _start_of_a_second() -> None:
    """Wait until a whole second has just begun, so that what follows happens within it."""
    time.sleep(1 - time.time() % 1)


def test_sign_out_records_a_cut_off_after_every_earlier_token_without_waiting(api: Api) -> None:
    # Given a signed-in user whose access token was issued at `iat`, at the start of a second
    user = api.new_user()
    issued_at = int(user.claims["iat"])
    _start_of_a_second()

    # When the user signs out
    started = time.time()
    reply = api.as_user("auth_sign_out", user)
    returned_at = time.time()

    # Then the counter item holds a cut-off later than the token, and the answer came before it
    cut_off = _cut_off(api, user.user_id)
    assert reply.status == 204
    assert cut_off > issued_at
    assert cut_off == int(started) + 1
    assert returned_at < cut_off


def test_a_sign_in_in_the_second_of_a_sign_out_gets_tokens_that_write(api: Api) -> None:
    # Given a user who signs out at the start of a second
    user = api.new_user()
    _start_of_a_second()
    assert api.as_user("auth_sign_out", user).status == 204

    # When the user signs in again within that second
    signed_in = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})

    # Then the new access token is not older than the cut-off, and it writes
    access = signed_in.body["access_token"]
    assert int(claims_of(access)["iat"]) >= _cut_off(api, user.user_id)
    fresh = User(user.email, PASSWORD, user.user_id, access, signed_in.body["refresh_token"], claims_of(access))
    assert api.call("notes_create", fresh, body={"title": "t", "content": "c"}).status == 201


def test_the_session_a_sign_in_gave_up_is_revoked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a user who signs out at the start of a second, and whose next sign-in, within it, is
    # watched: the refresh tokens Cognito issues are noted
    user = api.new_user()
    _start_of_a_second()
    assert api.as_user("auth_sign_out", user).status == 204
    issued: list[str] = []
    original = identity.password_sign_in

    def noting(email: str, password: str) -> Any:
        result = original(email, password)
        issued.append(result["RefreshToken"])
        return result

    monkeypatch.setattr(identity, "password_sign_in", noting)

    # When the user signs in
    signed_in = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})

    # Then the session given up (the first, refused for writes) no longer refreshes; the one
    # returned does
    assert len(issued) == 2
    assert signed_in.body["refresh_token"] == issued[1]
    assert api.post("auth_refresh", {"refresh_token": issued[0]}).status == 401
    assert api.post("auth_refresh", {"refresh_token": issued[1]}).status == 200


def test_a_second_sign_out_never_moves_the_cut_off_back(api: Api) -> None:
    user = api.new_user()
    assert api.as_user("auth_sign_out", user).status == 204

    table.record_sign_out(user.user_id, 1)

    item = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": table.USER_ITEM_ID}},
    )["Item"]
    assert int(item["signed_out_at"]["N"]) > 1


def test_a_token_cognito_revoked_is_401_without_echoing_the_token(api: Api) -> None:
    # Given a user whom an operator signed out everywhere in Cognito (no cut-off recorded here)
    user = api.new_user()
    api.stack.client("cognito-idp").admin_user_global_sign_out(
        UserPoolId=api.stack.ref("UserPool"), Username=user.user_id
    )

    # When the revoked token changes the profile, which Cognito itself checks
    reply = api.call("account_update", user, body={"full_name": "x"})

    # Then Cognito's refusal is a 401 whose text does not quote the credential
    assert reply.status == 401
    assert user.access_token not in str(reply.body)
    assert user.access_token.split(".")[1] not in str(reply.body)


def test_signing_out_with_a_token_cognito_revoked_records_the_cut_off(api: Api) -> None:
    # Given a user whom an operator signed out everywhere in Cognito
    user = api.new_user()
    api.stack.client("cognito-idp").admin_user_global_sign_out(
        UserPoolId=api.stack.ref("UserPool"), Username=user.user_id
    )

    # When the user signs out with the token Cognito revoked (as a retry of a sign-out would)
    reply = api.as_user("auth_sign_out", user)

    # Then the sign-out completes: writes with the token are refused from now on
    assert reply.status == 204
    assert api.call("notes_create", user, body={"title": "t", "content": "c"}).status == 401
