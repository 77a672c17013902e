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


def test_signing_out_again_with_the_revoked_token_is_401_without_echoing_the_token(api: Api) -> None:
    # Given a user who signed out
    user = api.new_user()
    assert api.as_user("auth_sign_out", user).status == 204

    # When the same, now revoked, token signs out again
    reply = api.as_user("auth_sign_out", user)

    # Then Cognito's refusal is a 401 whose text does not quote the credential
    assert reply.status == 401
    assert user.access_token not in str(reply.body)
    assert user.access_token.split(".")[1] not in str(reply.body)
