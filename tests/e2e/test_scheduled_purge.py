"""The daily purge of the trash on the local stack, started by the template's schedule alone: the
stack runs it every LOCAL_SCHEDULE_SECONDS (2 s here), and a note whose time in the trash is up
is deleted for good, images and revisions with it, while the rest of the trash stays."""

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess
from tests.support.media import PNG, post_upload
from tests.support.waiting import until


@pytest.fixture(scope="module")
def scheduled() -> Iterator[LocalProcess]:
    stack = LocalProcess({"LOCAL_SCHEDULE_SECONDS": "2"})
    yield stack
    assert stack.stop(signal.SIGINT) == 0  # Ctrl-C stops the schedules with the rest, cleanly


@pytest.fixture(scope="module")
def client(scheduled: LocalProcess) -> Client:
    return Client(scheduled.base_url, requests.Session())


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Stack:
    """What the test reads and writes behind the API: the table, the bucket, the purge's executions."""

    def __init__(self, scheduled: LocalProcess, user_id: str) -> None:
        self.dynamodb, self.s3 = scheduled.aws("dynamodb"), scheduled.aws("s3")
        self.sfn = scheduled.aws("stepfunctions")
        self.table = self.dynamodb.list_tables()["TableNames"][0]
        self.user_id = user_id
        machines = self.sfn.list_state_machines()["stateMachines"]
        self.purge = next(m["stateMachineArn"] for m in machines if m["name"].endswith("purgetrashstatemachine"))

    def expire(self, note_id: str) -> None:
        """As if the note had gone to the trash 31 days ago: its time there is up."""
        now = datetime.now(UTC)
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"user_id": {"S": self.user_id}, "id": {"S": note_id}},
            UpdateExpression="SET trashed_at = :trashed, purge_after = :purge",
            ExpressionAttributeValues={
                ":trashed": {"S": _rfc3339(now - timedelta(days=31))},
                ":purge": {"S": _rfc3339(now - timedelta(days=1))},
            },
        )

    def revisions(self, note_id: str) -> int:
        return int(
            self.dynamodb.query(
                TableName=self.table,
                KeyConditionExpression="user_id = :user AND begins_with(id, :slots)",
                ExpressionAttributeValues={":user": {"S": self.user_id}, ":slots": {"S": f"{note_id}#rev#"}},
                ConsistentRead=True,
            )["Count"]
        )

    def objects(self, bucket: str, prefix: str) -> int:
        return int(self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0))

    def purges(self) -> list[dict[str, Any]]:
        pages = self.sfn.get_paginator("list_executions").paginate(stateMachineArn=self.purge)
        return [execution for page in pages for execution in page["executions"]]

    def purges_when_none_runs(self) -> set[str]:
        """The names of the purge's executions, once none is running."""
        assert until(lambda: all(execution["status"] != "RUNNING" for execution in self.purges()))
        return {execution["name"] for execution in self.purges()}


def _note(client: Client, token: str, content: str = "first") -> dict[str, Any]:
    reply = client.request("POST", "/v1/notes", token=token, json={"title": "t", "content": content})
    assert reply.status_code == 201, reply.text
    note: dict[str, Any] = reply.json()
    return note


def _patch(client: Client, token: str, note: dict[str, Any], **fields: Any) -> dict[str, Any]:
    reply = client.request(
        "PATCH", f"/v1/notes/{note['id']}", token=token, json=fields, headers={"if-match": f'"{note["version"]}"'}
    )
    assert reply.status_code == 200, reply.text
    changed: dict[str, Any] = reply.json()
    return changed


def _restored_unseen(client: Client, token: str, stack: _Stack) -> dict[str, Any]:
    """A note trashed 31 days ago and restored since, before any run of the purge saw it expired.

    The schedule runs every 2 s: the note's expiry and its restore are made while no run is
    under way, and made again on a new note if a run started meanwhile."""
    for _ in range(10):
        trashed = _patch(client, token, _note(client, token), trashed=True)
        runs = stack.purges_when_none_runs()
        stack.expire(trashed["id"])
        restored = _patch(client, token, trashed, trashed=False)
        if {execution["name"] for execution in stack.purges()} == runs:
            return restored
    raise AssertionError("a scheduled purge started between every expiry and restore")


def test_a_note_whose_time_in_the_trash_is_up_is_deleted_by_the_schedule_alone(
    client: Client, scheduled: LocalProcess
) -> None:
    # Given a note with an image and two revisions, in the trash
    token = client.sign_up_and_in()["access_token"]
    stack = _Stack(scheduled, client.request("GET", "/v1/account", token=token).json()["user_id"])
    expired = _note(client, token)
    upload = client.request(
        "POST", f"/v1/notes/{expired['id']}/media", token=token, json={"content_type": "image/png", "size": len(PNG)}
    ).json()
    post_upload(upload["upload"], PNG)
    image = f"/v1/notes/{expired['id']}/media/{upload['media_id']}"
    assert until(lambda: client.request("GET", image, token=token).json()["status"] == "ready")
    expired = client.request("GET", f"/v1/notes/{expired['id']}", token=token).json()
    expired = _patch(client, token, _patch(client, token, expired, content="second"), trashed=True)
    bucket = upload["upload"]["url"].rstrip("/").rsplit("/", 1)[-1]
    prefix = upload["upload"]["fields"]["key"].rsplit("/", 1)[0] + "/"
    assert (stack.objects(bucket, prefix), stack.revisions(expired["id"])) == (1, 2)
    # and, beside it, a note in the trash since now, and one restored from the trash
    recent = _patch(client, token, _note(client, token), trashed=True)
    restored = _restored_unseen(client, token, stack)

    # When the first note's time in the trash is up (it went there 31 days ago)
    stack.expire(expired["id"])

    # Then, with no request of anyone, its tombstone appears in the changes feed, and the note,
    # its image and its revisions are gone
    def tombstones() -> list[str]:
        changes = client.request("GET", "/v1/sync", token=token).json()["changes"]
        return [change["id"] for change in changes if change["deleted"]]

    assert until(lambda: expired["id"] in tombstones())
    assert client.request("GET", f"/v1/notes/{expired['id']}", token=token).status_code == 404
    assert until(lambda: stack.objects(bucket, prefix) == 0)
    assert until(lambda: stack.revisions(expired["id"]) == 0)
    # And the other two are as they were
    assert client.request("GET", f"/v1/notes/{recent['id']}", token=token).json()["trashed"] is True
    assert client.request("GET", f"/v1/notes/{restored['id']}", token=token).json() == restored
    # And it was the schedule: runs of the purge with the schedule's input, a name each
    runs = stack.purges()
    assert len({execution["name"] for execution in runs}) == len(runs) >= 1
    assert all(
        stack.sfn.describe_execution(executionArn=execution["executionArn"])["input"] == "{}" for execution in runs[:3]
    )
