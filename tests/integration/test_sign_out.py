"""Sign-out revokes refresh tokens and records the cut-off that writes compare token ages with."""

import time

from notes_core import table
from tests.support.api import Api


def test_sign_out_records_a_cut_off_after_every_earlier_token_and_waits_for_it(api: Api) -> None:
    # Given a signed-in user whose access token was issued at `iat`
    user = api.new_user()
    issued_at = int(user.claims["iat"])

    # When the user signs out
    reply = api.as_user("auth_sign_out", user)
    returned_at = time.time()

    # Then the counter item holds a cut-off later than the token, and it had passed on return
    item = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": table.USER_ITEM_ID}},
        ConsistentRead=True,
    )["Item"]
    cut_off = int(item["signed_out_at"]["N"])
    assert reply.status == 204
    assert cut_off > issued_at
    assert returned_at >= cut_off


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
