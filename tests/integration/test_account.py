"""The account routes, and deleting an account with the delete-account state machine."""

import json
import time
import uuid
from typing import Any

import pytest
from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend

from tests.support.api import PASSWORD, Api, User
from tests.support.executions import wait_for
from tests.support.faults import moto_failing
from tests.support.media import PNG, Workers, post_upload


# ---------------------------------------------------------------- profile, password, email
def test_patch_changes_the_full_name(api: Api, user: User) -> None:
    reply = api.call("account_update", user, body={"full_name": "Ada Lovelace"})

    assert reply.status == 200
    assert reply.body["full_name"] == "Ada Lovelace"
    assert api.as_user("account_get", user).body["full_name"] == "Ada Lovelace"


@pytest.mark.parametrize("body", [{}, {"full_name": ""}, {"full_name": "x", "email": "a@b.co"}])
def test_patch_refuses_what_it_does_not_change_with_422(api: Api, user: User, body: dict[str, str]) -> None:
    assert api.call("account_update", user, body=body).status == 422


def test_the_password_changes_with_the_current_one(api: Api, user: User) -> None:
    wrong = api.call("account_password", user, body={"old_password": "Not-It-9", "new_password": "Another-Pass-2"})
    weak = api.call("account_password", user, body={"old_password": PASSWORD, "new_password": "weakweak"})
    changed = api.call("account_password", user, body={"old_password": PASSWORD, "new_password": "Another-Pass-2"})

    assert (wrong.status, wrong.problem_type) == (403, "wrong-password")
    assert (weak.status, weak.body["errors"][0]["pointer"]) == (422, "/new_password")
    assert changed.status == 204
    assert api.post("auth_sign_in", {"email": user.email, "password": "Another-Pass-2"}).status == 200
    assert api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).status == 401


def test_a_new_email_is_unverified_until_its_code_is_sent(api: Api, user: User) -> None:
    # Given a user whose confirmed sign-up verified their email
    new_email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    signed_up_with = api.as_user("account_get", user).body

    # When they change it, and then send the code the new address received
    changed = api.call("account_email", user, body={"email": new_email})
    pending = api.as_user("account_get", user).body
    verified = api.call("account_email_verify", user, body={"code": "123456"})

    # Then the new address is unverified in between, and verified after
    assert (signed_up_with["email"], signed_up_with["email_verified"]) == (user.email, True)
    assert changed.status == 202
    assert (pending["email"], pending["email_verified"]) == (new_email, False)
    assert verified.status == 204
    assert api.as_user("account_get", user).body["email_verified"] is True


def test_an_email_another_account_uses_is_409(api: Api, user: User) -> None:
    other = api.new_user(signed_in=False)

    assert api.call("account_email", user, body={"email": other.email}).status == 409


# ---------------------------------------------------------------- deleting the account
def _account_with_notes_and_media(api: Api, workers: Workers, user: User, notes: int = 3) -> None:
    for index in range(notes):
        note = api.call("notes_create", user, body={"title": str(index), "content": "c"}).body
        upload = api.call(
            "media_request_upload", user, note_id=note["id"], body={"content_type": "image/png", "size": len(PNG)}
        )
        post_upload(upload.body["upload"], PNG)
    photo = api.call("account_photo", user, body={"content_type": "image/png", "size": len(PNG)})
    post_upload(photo.body["upload"], PNG)
    workers.drain()


def _items(api: Api, user: User) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.stack.client("dynamodb").query(
        TableName=api.stack.ref("NotesTable"),
        KeyConditionExpression="user_id = :user",
        ExpressionAttributeValues={":user": {"S": user.user_id}},
        ConsistentRead=True,
    )["Items"]
    return items


def _objects(api: Api, user: User) -> list[str]:
    s3, bucket = api.stack.client("s3"), api.stack.ref("MediaBucket")
    return [
        item["Key"]
        for prefix in (f"media/{user.user_id}/", f"photos/{user.user_id}/")
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    ]


def _cognito_user_exists(api: Api, user: User) -> bool:
    cognito = api.stack.client("cognito-idp")
    try:
        cognito.admin_get_user(UserPoolId=api.stack.ref("UserPool"), Username=user.user_id)
    except cognito.exceptions.UserNotFoundException:
        return False
    return True


def test_deleting_an_account_removes_its_notes_media_and_user_and_refuses_its_tokens(
    api: Api, workers: Workers, user: User
) -> None:
    # Given an account with notes, images and a profile photo
    _account_with_notes_and_media(api, workers, user)
    assert len(_objects(api, user)) == 4

    # When the user deletes it
    reply = api.as_user("account_delete", user)

    # Then from that moment every write and GET /v1/account refuse the user's tokens
    assert reply.status == 202
    assert uuid.UUID(reply.body["deletion_id"])
    assert api.as_user("account_get", user).status == 401
    assert api.call("notes_create", user, body={"title": "late", "content": "x"}).status == 401
    assert (
        api.call(
            "sync_push",
            user,
            body={
                "changes": [
                    {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "a", "content": "b"}
                ]
            },
        ).status
        == 401
    )

    # And once the machine and the cleanup worker have run, nothing of the account is left
    execution = wait_for(
        api.stack.client("stepfunctions"),
        api.stack.ref("DeleteAccountStateMachine"),
        f"account-{reply.body['deletion_id']}",
    )
    workers.drain()
    assert execution["status"] == "SUCCEEDED"
    assert _objects(api, user) == []
    assert not _cognito_user_exists(api, user)
    (marker,) = _items(api, user)  # only the mark that refuses the account's last tokens, expiring
    assert marker["id"] == {"S": "#user"}
    assert int(marker["expires_at"]["N"]) > time.time()
    assert not {"photo", "photo_pending", "last_request"} & set(marker)
    assert api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).status == 401
    assert api.post("auth_refresh", {"refresh_token": user.refresh_token}).status == 401


def test_asking_again_answers_the_same_deletion(api: Api, user: User) -> None:
    first = api.as_user("account_delete", user)
    again = api.as_user("account_delete", user)

    assert again.status == 202
    assert again.body == first.body
    wait_for(
        api.stack.client("stepfunctions"),
        api.stack.ref("DeleteAccountStateMachine"),
        f"account-{first.body['deletion_id']}",
    )


def test_a_deletion_that_failed_is_finished_when_asked_again(api: Api, workers: Workers, user: User) -> None:
    # Given an account whose deletion failed: S3 kept refusing to list its objects
    _account_with_notes_and_media(api, workers, user, notes=2)
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("DeleteAccountStateMachine")

    def refused() -> Exception:
        return S3ClientError("ServiceUnavailable", "injected: please slow down")

    with moto_failing(S3Backend, "list_objects_v2", refused):
        deletion = api.as_user("account_delete", user).body
        failed = wait_for(sfn, machine, f"account-{deletion['deletion_id']}")
    assert failed["status"] == "FAILED"
    assert failed["error"] == "AccountDeletionFailed"
    counter = next(item for item in _items(api, user) if item["id"]["S"] == "#user")
    assert "deletion_error" in counter
    assert _objects(api, user) != []  # nothing reported deleted that is not

    # When the user (still holding a token) asks again
    again = api.as_user("account_delete", user)
    executions = [
        e for e in sfn.list_executions(stateMachineArn=machine)["executions"] if deletion["deletion_id"] in e["name"]
    ]
    finished = wait_for(sfn, machine, next(e["name"] for e in executions if e["name"] != failed["name"]))
    workers.drain()

    # Then a new execution of the same deletion finishes the job
    assert again.body == deletion
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["input"])["deletion_id"] == deletion["deletion_id"]
    assert _objects(api, user) == []
    assert [item["id"]["S"] for item in _items(api, user)] == ["#user"]
    assert not _cognito_user_exists(api, user)
