"""Deleting a note: the delete-note state machine (run by moto's ASL executor) fans its images'
objects out to the media-cleanup queue, whose worker deletes them; failures are retried, and what
keeps failing ends in a failed execution or the dead-letter queue, never reported done."""

import json
import uuid
from typing import Any

import pytest
from moto.sqs.exceptions import SQSException
from moto.sqs.models import SQSBackend

from notes_core.data import storage, workflows
from notes_core.usecases import media_cleanup
from tests.support.api import Api, User
from tests.support.executions import states_entered, wait_for
from tests.support.faults import answering, failing, moto_failing
from tests.support.media import PNG, Workers, post_upload


def _note_with_images(api: Api, workers: Workers, user: User, count: int = 3) -> dict[str, Any]:
    note: dict[str, Any] = api.call("notes_create", user, body={"title": "album", "content": "x"}).body
    for _ in range(count):
        reply = api.call(
            "media_request_upload", user, note_id=note["id"], body={"content_type": "image/png", "size": len(PNG)}
        )
        post_upload(reply.body["upload"], PNG)
    workers.drain()
    assert [m["status"] for m in api.call("notes_get", user, note_id=note["id"]).body["media"]] == ["ready"] * count
    return note


def _objects(api: Api, prefix: str) -> list[str]:
    listed = api.stack.client("s3").list_objects_v2(Bucket=api.stack.ref("MediaBucket"), Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def _tombstone(api: Api, user: User, note_id: str) -> dict[str, Any]:
    item: dict[str, Any] = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": note_id}},
        ConsistentRead=True,
    )["Item"]
    return item


def _throttled() -> Exception:
    return SQSException("RequestThrottled", "injected: too many requests")


def _execution_name(user: User, note_id: str, version: int) -> str:
    return workflows.note_cleanup_name(user.user_id, note_id, version)


def test_deleting_a_note_deletes_its_images_objects_in_at_most_8_transitions(
    api: Api, workers: Workers, user: User
) -> None:
    # Given a note with three ready images
    note = _note_with_images(api, workers, user)
    prefix = f"media/{user.user_id}/{note['id']}/"
    assert len(_objects(api, prefix)) == 3

    # When it is deleted
    tombstone = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None}).body
    sfn = api.stack.client("stepfunctions")
    execution = wait_for(
        sfn, api.stack.ref("DeleteNoteStateMachine"), _execution_name(user, note["id"], tombstone["version"])
    )
    workers.drain()

    # Then the execution finished the tombstone and every object is gone
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["input"]) == {
        "user_id": user.user_id,
        "note_id": note["id"],
        "version": tombstone["version"],
    }
    assert len(states_entered(sfn, execution["executionArn"])) <= 8
    assert _objects(api, prefix) == []
    assert _tombstone(api, user, note["id"])["media_keys"] == {"S": "[]"}
    assert api.call("sync_pull", user, query={}).body["changes"][-1]["deleted"] is True


def test_a_retried_delete_starts_nothing_new(api: Api, workers: Workers, user: User) -> None:
    note = _note_with_images(api, workers, user, count=1)
    tombstone = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None}).body
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("DeleteNoteStateMachine")
    name = _execution_name(user, note["id"], tombstone["version"])
    wait_for(sfn, machine, name)

    again = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})

    assert again.status == 202
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]].count(name) == 1


@pytest.mark.parametrize("route", ["batch", "push"])
def test_deletions_by_batch_and_push_are_cleaned_up_too(api: Api, workers: Workers, user: User, route: str) -> None:
    note = _note_with_images(api, workers, user, count=2)
    if route == "batch":
        reply = api.call("notes_batch", user, body={"delete": [{"id": note["id"]}]})
    else:
        reply = api.call(
            "sync_push", user, body={"changes": [{"op": "delete", "id": note["id"], "base_version": None}]}
        )
    version = reply.body["results"][0]["note"]["version"]

    execution = wait_for(
        api.stack.client("stepfunctions"),
        api.stack.ref("DeleteNoteStateMachine"),
        _execution_name(user, note["id"], version),
    )
    workers.drain()

    assert execution["status"] == "SUCCEEDED"
    assert _objects(api, f"media/{user.user_id}/{note['id']}/") == []


def test_a_note_without_images_has_only_its_revisions_cleaned_up(api: Api, workers: Workers, user: User) -> None:
    # Given a note edited twice (three revisions) and no image, deleted
    note = api.call("notes_create", user, body={"title": "t", "content": "c"}).body
    for version in (1, 2):
        api.call(
            "notes_update",
            user,
            note_id=note["id"],
            body={"content": f"c{version}"},
            headers={"if-match": f'"{version}"'},
        )
    assert len(_revision_items(api, user, note["id"])) == 3
    api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})
    sfn = api.stack.client("stepfunctions")

    # When its delete-note execution runs and the cleanup worker has its message
    execution = wait_for(sfn, api.stack.ref("DeleteNoteStateMachine"), _execution_name(user, note["id"], 4))
    workers.drain()

    # Then it only sent the revisions to the cleanup queue, and they are gone
    assert execution["status"] == "SUCCEEDED"
    assert states_entered(sfn, execution["executionArn"]) == [
        "ReadTombstone",
        "HasMedia",
        "SendRevisionsCleanup",
        "Done",
    ]
    assert _revision_items(api, user, note["id"]) == []


def _revision_items(api: Api, user: User, note_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.stack.client("dynamodb").query(
        TableName=api.stack.ref("NotesTable"),
        KeyConditionExpression="user_id = :user AND begins_with(id, :slots)",
        ExpressionAttributeValues={":user": {"S": user.user_id}, ":slots": {"S": f"{note_id}#rev#"}},
        ConsistentRead=True,
    )["Items"]
    return items


def test_when_the_queue_keeps_failing_the_execution_fails_and_records_why(
    api: Api, workers: Workers, user: User
) -> None:
    # Given a note with images, and SQS refusing every batch
    note = _note_with_images(api, workers, user, count=2)
    prefix = f"media/{user.user_id}/{note['id']}/"
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("DeleteNoteStateMachine")
    with moto_failing(SQSBackend, "send_message_batch", _throttled) as injected:
        # When the note is deleted
        tombstone = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None}).body
        execution = wait_for(sfn, machine, _execution_name(user, note["id"], tombstone["version"]))

    # Then the task was retried, the execution failed, the failure is on the tombstone, and
    # nothing was deleted or reported deleted
    assert len(injected) == 1 + 3  # the first try and MaxAttempts retries
    assert execution["status"] == "FAILED"
    assert execution["error"] == "NoteCleanupFailed"
    assert "cleanup_error" in _tombstone(api, user, note["id"])
    assert json.loads(_tombstone(api, user, note["id"])["media_keys"]["S"]) != []
    workers.drain()
    assert len(_objects(api, prefix)) == 2

    # When an operator starts it again (docs/operations.md), it finishes the job
    again = sfn.start_execution(stateMachineArn=machine, name=f"{uuid.uuid4()}", input=execution["input"])
    assert wait_for(sfn, machine, again["executionArn"].rsplit(":", 1)[-1])["status"] == "SUCCEEDED"
    workers.drain()
    assert _objects(api, prefix) == []


def test_when_the_queue_fails_once_the_retry_finishes_the_job(api: Api, workers: Workers, user: User) -> None:
    note = _note_with_images(api, workers, user, count=1)
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("DeleteNoteStateMachine")
    with moto_failing(SQSBackend, "send_message_batch", _throttled, times=1) as injected:
        tombstone = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None}).body
        execution = wait_for(sfn, machine, _execution_name(user, note["id"], tombstone["version"]))
    workers.drain()

    assert len(injected) == 1
    assert execution["status"] == "SUCCEEDED"
    assert _objects(api, f"media/{user.user_id}/{note['id']}/") == []


# ---------------------------------------------------------------- the cleanup worker and S3 failures
def _put(api: Api, keys: list[str]) -> None:
    for key in keys:
        api.stack.client("s3").put_object(Bucket=api.stack.ref("MediaBucket"), Key=key, Body=PNG)


def _keys(user: User, count: int) -> list[str]:
    return [f"media/{user.user_id}/{uuid.uuid4()}/{uuid.uuid4()}" for _ in range(count)]


class _CleanupQueue:
    """The media-cleanup queue and its worker (failed messages come back at once)."""

    def __init__(self, api: Api) -> None:
        self.sqs = api.stack.client("sqs")
        self.url = api.stack.ref("MediaCleanupQueue")
        self.dead_letters = api.stack.ref("MediaCleanupDeadLetterQueue")
        self.worker = Workers(api.stack).pollers["MediaCleanupQueue"]

    def send(self, keys: list[str]) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps({"keys": keys}))

    def deliver(self, times: int) -> None:
        for _ in range(times):
            self.worker.poll_once()
            visible_now = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            for message in visible_now.get("Messages", []):
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )

    def parked(self) -> list[Any]:
        messages = self.sqs.receive_message(QueueUrl=self.dead_letters, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def waiting(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.mark.parametrize(("code", "status"), [("SlowDown", 503), ("InternalError", 500), ("ServiceUnavailable", 503)])
def test_s3_throttling_or_errors_then_success_deletes_everything(api: Api, user: User, code: str, status: int) -> None:
    # Given a cleanup message, and S3 failing its first two DeleteObjects
    keys = _keys(user, 3)
    _put(api, keys)
    queue = _CleanupQueue(api)
    queue.send(keys)

    # When the worker gets it, fails, and gets it again from SQS
    with failing(storage._s3(), "DeleteObjects", code, status, times=2):
        queue.deliver(times=3)

    # Then everything is deleted and the message is done
    assert _objects(api, f"media/{user.user_id}/") == []
    assert queue.waiting() == 0
    assert queue.parked() == []


def _per_key_errors(keys: list[str]) -> dict[str, Any]:
    """What DeleteObjects answers (200) when S3 could not delete some keys."""
    return {"Errors": [{"Key": key, "Code": "InternalError", "Message": "injected"} for key in keys]}


def test_per_key_errors_fail_the_message_and_its_redelivery_finishes(api: Api, user: User) -> None:
    keys = _keys(user, 3)
    _put(api, keys)
    queue = _CleanupQueue(api)
    queue.send(keys)
    with answering(storage._s3(), "DeleteObjects", _per_key_errors(keys[:1]), times=1):
        with pytest.raises(media_cleanup.CleanupIncomplete):
            media_cleanup.handle({"keys": keys})  # what the first delivery meets
        queue.deliver(times=2)

    assert _objects(api, f"media/{user.user_id}/") == []
    assert queue.waiting() == 0


def test_a_key_already_gone_is_a_success(api: Api, user: User) -> None:
    media_cleanup.handle({"keys": _keys(user, 2)})


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(api: Api, user: User) -> None:
    # Given a cleanup message whose keys S3 keeps refusing
    keys = _keys(user, 2)
    _put(api, keys)
    queue = _CleanupQueue(api)
    queue.send(keys)
    with answering(storage._s3(), "DeleteObjects", _per_key_errors(keys)):
        # When the worker fails it as many times as the redrive policy allows
        queue.deliver(times=6)

    # Then the message waits in the dead-letter queue and the objects are still there
    assert queue.parked() == [{"keys": keys}]
    assert sorted(_objects(api, f"media/{user.user_id}/")) == sorted(keys)
