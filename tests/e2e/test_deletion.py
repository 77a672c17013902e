"""Deletion over HTTP on the local stack: the state machines run on moto's ASL executor and the
cleanup worker polls its queue, as on AWS."""

import uuid
from typing import Any

from tests.e2e.conftest import PASSWORD, Client
from tests.support.local_process import LocalProcess
from tests.support.media import PNG, post_upload
from tests.support.waiting import until


def _upload_ready_image(client: Client, token: str, note_id: str) -> dict[str, Any]:
    reply: dict[str, Any] = client.request(
        "POST", f"/v1/notes/{note_id}/media", token=token, json={"content_type": "image/png", "size": len(PNG)}
    ).json()
    post_upload(reply["upload"], PNG)
    path = f"/v1/notes/{note_id}/media/{reply['media_id']}"
    assert until(lambda: client.request("GET", path, token=token).json()["status"] == "ready")
    return reply


def _count(stack: LocalProcess, bucket: str, prefix: str) -> int:
    s3 = stack.aws("s3")
    return int(s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0))


def test_deleting_a_note_with_three_images_empties_its_prefix_and_the_feed_shows_the_tombstone(
    client: Client, local_stack: LocalProcess
) -> None:
    # Given a note with three ready images
    token = client.sign_up_and_in()["access_token"]
    note = client.request("POST", "/v1/notes", token=token, json={"title": "album", "content": "three"}).json()
    uploads = [_upload_ready_image(client, token, note["id"]) for _ in range(3)]
    fields = uploads[0]["upload"]["fields"]
    bucket = uploads[0]["upload"]["url"].rstrip("/").rsplit("/", 1)[-1]
    prefix = fields["key"].rsplit("/", 1)[0] + "/"
    assert _count(local_stack, bucket, prefix) == 3

    # When the note is deleted
    deleted = client.request("DELETE", f"/v1/notes/{note['id']}", token=token)

    # Then within seconds no object remains under its prefix, and the feed shows its tombstone
    assert deleted.status_code == 202
    assert until(lambda: _count(local_stack, bucket, prefix) == 0)
    changes = client.request("GET", "/v1/sync", token=token).json()["changes"]
    assert [(c["id"], c["deleted"], c["media"]) for c in changes] == [(note["id"], True, [])]


def test_deleting_an_account_leaves_no_item_object_or_user_and_refuses_its_tokens(
    client: Client, local_stack: LocalProcess
) -> None:
    # Given an account with notes, images and a photo
    user = client.sign_up_and_in()
    token = user["access_token"]
    account = client.request("GET", "/v1/account", token=token).json()
    upload = None
    for index in range(2):
        note = client.request("POST", "/v1/notes", token=token, json={"title": str(index), "content": "x"}).json()
        upload = _upload_ready_image(client, token, note["id"])
    assert upload is not None
    bucket = upload["upload"]["url"].rstrip("/").rsplit("/", 1)[-1]

    # When the user deletes the account
    deleted = client.request("DELETE", "/v1/account", token=token)

    # Then its tokens are refused at once
    assert deleted.status_code == 202
    assert uuid.UUID(deleted.json()["deletion_id"])
    assert client.request("GET", "/v1/account", token=token).status_code == 401
    assert client.request("POST", "/v1/notes", token=token, json={"title": "t", "content": "c"}).status_code == 401

    # And soon no object, no note item and no Cognito user remain
    user_id = account["user_id"]
    assert until(lambda: sum(_count(local_stack, bucket, f"{kind}/{user_id}/") for kind in ("media", "photos")) == 0)
    cognito = local_stack.aws("cognito-idp")
    pool_id = _pool_id(cognito)

    def user_gone() -> bool:
        try:
            cognito.admin_get_user(UserPoolId=pool_id, Username=user_id)
        except cognito.exceptions.UserNotFoundException:
            return True
        return False

    assert until(user_gone)
    table = local_stack.aws("dynamodb").list_tables()["TableNames"][0]
    items = local_stack.aws("dynamodb").query(
        TableName=table, KeyConditionExpression="user_id = :u", ExpressionAttributeValues={":u": {"S": user_id}}
    )["Items"]
    assert [item["id"]["S"] for item in items] == ["#user"]  # the expiring mark that refuses old tokens
    assert (
        client.request("POST", "/v1/auth/sign-in", json={"email": user["email"], "password": PASSWORD}).status_code
        == 401
    )
    assert client.request("POST", "/v1/auth/refresh", json={"refresh_token": user["refresh_token"]}).status_code == 401


def _pool_id(cognito: Any) -> str:
    pools = cognito.list_user_pools(MaxResults=10)["UserPools"]
    return str(pools[0]["Id"])
