"""Purging the trash: the purge-trash state machine (run by moto's ASL executor) reads a user's trash
(DELETE /v1/trash) or every user's expired trash (its daily schedule) and hands each page of notes
to the trash-purge queue, whose worker deletes each note still in the trash it was found in, as
DELETE /v1/notes/{id} does. Failures are retried, and what keeps failing ends in a failed
execution or the dead-letter queue."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto.sqs.exceptions import SQSException
from moto.sqs.models import SQSBackend

from local import template as tpl
from local.schedules import ScheduleRunner
from notes_core.data import table, workflows
from notes_core.domain.note import rfc3339
from tests.support import events
from tests.support.api import Api, User
from tests.support.calls import counting
from tests.support.executions import states_entered, wait_for
from tests.support.faults import failing, held, moto_failing
from tests.support.media import Workers


def _note(api: Api, user: User, trashed: bool = False) -> dict[str, Any]:
    reply = api.call("notes_create", user, body={"title": "t", "content": "c", "trashed": trashed})
    assert reply.status == 201, reply.body
    note: dict[str, Any] = reply.body
    return note


def _set_trashed(api: Api, user: User, note: dict[str, Any], trashed: bool) -> dict[str, Any]:
    reply = api.call(
        "notes_update",
        user,
        note_id=note["id"],
        body={"trashed": trashed},
        headers={"if-match": f'"{note["version"]}"'},
    )
    assert reply.status == 200, reply.body
    changed: dict[str, Any] = reply.body
    return changed


def _trashed_note(api: Api, user: User) -> dict[str, Any]:
    return _set_trashed(api, user, _note(api, user), trashed=True)


def _item(api: Api, user: User, note_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": note_id}},
        ConsistentRead=True,
    )["Item"]
    return found


def _expire(api: Api, user: User, note_id: str) -> None:
    """As if the note had gone to the trash 31 days ago: its time there is up."""
    now = datetime.now(UTC)
    api.stack.client("dynamodb").update_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": note_id}},
        UpdateExpression="SET trashed_at = :trashed, purge_after = :purge",
        ExpressionAttributeValues={
            ":trashed": {"S": rfc3339(now - timedelta(days=31))},
            ":purge": {"S": rfc3339(now - timedelta(days=1))},
        },
    )


def _state(api: Api, user: User, note_id: str) -> str:
    """deleted (GET answers 404), trashed, or live."""
    reply = api.call("notes_get", user, note_id=note_id)
    if reply.status == 404:
        return "deleted"
    assert reply.status == 200, reply.body
    return "trashed" if reply.body["trashed"] else "live"


def _last_seq(user: User) -> int:
    return table.get_user(user.user_id).last_seq


def _sent_pages(api: Api, execution_arn: str) -> list[list[str]]:
    """The note ids of each message the execution sent to the trash-purge queue."""
    events = api.stack.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)
    pages = []
    for event in events["events"]:
        scheduled = event.get("taskScheduledEventDetails")
        if scheduled and scheduled["resource"] == "sendMessage":
            body = json.loads(scheduled["parameters"])["MessageBody"]
            pages.append([item["id"]["S"] for item in body["notes"]])
    return pages


class _PurgeQueue:
    """The trash-purge queue and its worker (a failed message comes back at once)."""

    def __init__(self, api: Api) -> None:
        self.sqs = api.stack.client("sqs")
        self.url = api.stack.ref("TrashPurgeQueue")
        self.dead_letters = api.stack.ref("TrashPurgeDeadLetterQueue")
        self.worker = Workers(api.stack).pollers["TrashPurgeQueue"]

    def send(self, user: User, notes: list[dict[str, Any]]) -> dict[str, Any]:
        """A page as the machine sends it: the notes' index items."""
        body = {
            "notes": [
                {"user_id": {"S": user.user_id}, "id": {"S": note["id"]}, "trashed_v": {"N": str(note["version"])}}
                for note in notes
            ]
        }
        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(body))
        return body

    def discard(self, user: User, pages: int) -> None:
        """Take the user's `pages` off the queue undelivered (what a test has checked and no worker
        needs); others' messages stay."""
        others = []
        while pages:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            assert messages, f"{pages} pages of {user.user_id} are not on the queue"
            for message in messages:
                if user.user_id in message["Body"]:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                    pages -= 1
                else:
                    others.append(message)
        for message in others:
            self.sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    def deliver(self) -> int:
        """Every message waiting now, each once, to the worker; how many."""
        delivered = 0
        while received := self.worker.poll_once():
            delivered += received
        return delivered

    def waiting(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def parked(self) -> list[Any]:
        messages = self.sqs.receive_message(QueueUrl=self.dead_letters, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


def _empty_trash(api: Api, user: User) -> str:
    reply = api.call("trash_empty", user)
    assert reply.status == 202, reply.body
    purge_id: str = reply.body["purge_id"]
    return purge_id


def _purge(api: Api, name: str) -> dict[str, Any]:
    return wait_for(api.stack.client("stepfunctions"), api.stack.ref("PurgeTrashStateMachine"), name)


def _quiet(api: Api, workers: Workers) -> None:
    """Wait for every execution still running (earlier tests' deletions) and deliver what they
    queued: a fault injected into moto next must meet only this test's calls."""
    sfn = api.stack.client("stepfunctions")
    for logical_id, resource in api.stack.provisioned.template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::StateMachine":
            machine = api.stack.ref(logical_id)
            running = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING")
            for execution in [e for page in running for e in page["executions"]]:
                wait_for(sfn, machine, execution["name"])
    workers.drain()


# ---------------------------------------------------------------- emptying one user's trash
def test_emptying_the_trash_purges_exactly_the_notes_in_it_at_that_moment_in_8_transitions(
    api: Api, user: User
) -> None:
    # Given two notes in the trash, one that will be restored, one live that will be trashed
    first, second, restored = (_trashed_note(api, user) for _ in range(3))
    later = _note(api, user)
    purge_queue = _PurgeQueue(api)
    purge_queue.deliver()

    # When the user empties the trash, and the note is trashed after that but before the machine
    # reads the trash
    def reads_this_trash(params: dict[str, Any]) -> bool:
        return bool(params.get("IndexName") == "trash-by-seq" and f'"{user.user_id}"' in json.dumps(params))

    with held(boto3.DEFAULT_SESSION, "dynamodb.Query", reads_this_trash) as release:
        purge_id = _empty_trash(api, user)
        _set_trashed(api, user, later, trashed=True)
        release.set()
        execution = _purge(api, purge_id)
    # and the third note is restored after the machine found it, before the worker deletes it
    _set_trashed(api, user, restored, trashed=False)
    with counting(table._dynamodb()) as reads_and_writes, counting(workflows._sfn()) as starts:
        assert purge_queue.deliver() == 1

    # Then the machine sent the three notes in the trash at the request, in one message, in 8 transitions
    sfn = api.stack.client("stepfunctions")
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["input"])["user_id"] == user.user_id
    assert states_entered(sfn, execution["executionArn"]) == [
        "WhoseTrash",
        "OneUsersTrash",
        "PurgeEach",
        "FirstPage",
        "AnyFound",
        "SendPage",
        "MorePages",
        "PageDone",
    ]
    (page,) = _sent_pages(api, execution["executionArn"])
    assert sorted(page) == sorted([first["id"], second["id"], restored["id"]])
    # And the worker deleted the two still in the trash, with one read, one transaction and a
    # delete-note execution each; the restored note and the one trashed later stay
    assert reads_and_writes.operations == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert starts.operations == {"StartExecution": 2}
    assert [_state(api, user, note["id"]) for note in (first, second, restored, later)] == [
        "deleted",
        "deleted",
        "live",
        "trashed",
    ]
    tombstones = [c["id"] for c in api.call("sync_pull", user, query={}).body["changes"] if c["deleted"]]
    assert sorted(tombstones) == sorted([first["id"], second["id"]])


def test_a_trash_of_more_than_a_page_is_read_and_sent_page_by_page(api: Api, user: User) -> None:
    # Given 101 notes in the trash (created there, as by a device that trashed them offline)
    ids = [str(uuid.uuid4()) for _ in range(101)]
    for start in (0, 100):
        changes = [
            {"op": "upsert", "id": note_id, "base_version": None, "title": "t", "content": "c", "trashed": True}
            for note_id in ids[start : start + 100]
        ]
        assert api.call("sync_push", user, body={"changes": changes}).status == 200

    # When the user empties the trash
    execution = _purge(api, _empty_trash(api, user))

    # Then the machine read two pages of the index (100 notes each at most) and sent each as a
    # message: the worker deletes a page as it deletes any (the first test)
    entered = states_entered(api.stack.client("stepfunctions"), execution["executionArn"])
    assert execution["status"] == "SUCCEEDED"
    assert [entered.count(state) for state in ("FirstPage", "NextPage", "SendPage")] == [1, 1, 2]
    pages = _sent_pages(api, execution["executionArn"])
    assert sorted(len(page) for page in pages) == [1, 100]
    assert sorted(note_id for page in pages for note_id in page) == sorted(ids)
    _PurgeQueue(api).discard(user, pages=2)


def test_a_retried_empty_trash_answers_the_same_purge_and_starts_nothing_new(
    api: Api, user: User, workers: Workers
) -> None:
    # Given a note in the trash, and the trash emptied
    _trashed_note(api, user)
    purge_id = _empty_trash(api, user)

    # When the request is sent again, before anything else is written, while the purge runs and
    # after it has finished
    running_again = _empty_trash(api, user)
    _purge(api, purge_id)
    finished_again = _empty_trash(api, user)

    # Then each answers the same purge, and there is one execution of that name
    assert running_again == finished_again == purge_id
    executions = api.stack.client("stepfunctions").list_executions(
        stateMachineArn=api.stack.ref("PurgeTrashStateMachine")
    )["executions"]
    assert [execution["name"] for execution in executions].count(purge_id) == 1
    workers.drain()


# ---------------------------------------------------------------- the daily run
def _users_in_two_shards(api: Api) -> list[User]:
    users = [api.new_user()]
    while len(users) < 2:
        candidate = api.new_user()
        if table.trash_shard(candidate.user_id) != table.trash_shard(users[0].user_id):
            users.append(candidate)
    return users


def test_the_scheduled_run_purges_the_expired_trash_of_every_shard_and_leaves_the_rest(
    api: Api, workers: Workers
) -> None:
    # Given two users of different shards, each with a note trashed 31 days ago and one trashed now
    users = _users_in_two_shards(api)
    expired, recent = {}, {}
    for user in users:
        expired[user.user_id] = _trashed_note(api, user)
        _expire(api, user, expired[user.user_id]["id"])
        recent[user.user_id] = _trashed_note(api, user)
    workers.drain()
    seq_before = {user.user_id: _last_seq(user) for user in users}

    # When the local stack runs the machine's daily schedule, twice for one tick (EventBridge
    # Scheduler invokes at least once), before the worker has any page
    runner = ScheduleRunner(api.stack, interval=300)
    (daily,) = runner.schedules
    runs = [runner.run(daily), runner.run(daily)]
    executions = [_purge(api, str(arn).rsplit(":", 1)[-1]) for arn in runs]
    workers.drain()

    # Then each run is an execution of its own, started with the schedule's input, which queried
    # all 16 shards and sent the expired notes, one page per shard that has any, in 86 transitions
    sfn = api.stack.client("stepfunctions")
    assert len({execution["executionArn"] for execution in executions}) == 2
    for execution in executions:
        entered = states_entered(sfn, execution["executionArn"])
        assert execution["status"] == "SUCCEEDED"
        assert json.loads(execution["input"]) == {}
        assert [entered.count(state) for state in ("Query", "FirstPage", "SendPage")] == [16, 16, 2]
        assert len(entered) == 3 + 16 + 1 + 16 * 4 + 2
        assert sorted(_sent_pages(api, execution["executionArn"])) == sorted([note["id"]] for note in expired.values())
    # And the expired notes are deleted, once each; the others are still in the trash
    for user in users:
        assert _state(api, user, expired[user.user_id]["id"]) == "deleted"
        assert _state(api, user, recent[user.user_id]["id"]) == "trashed"
        assert _last_seq(user) == seq_before[user.user_id] + 1


def test_a_scheduled_function_is_invoked_with_its_input(api: Api, user: User) -> None:
    # Given a schedule whose target is a function, and whose input is what that function handles
    note = _trashed_note(api, user)
    page = {"notes": [{"user_id": {"S": user.user_id}, "id": {"S": note["id"]}, "trashed_v": {"N": "2"}}]}
    records = events.fixture("trash_purge_worker")
    records["Records"][0]["body"] = json.dumps(page)
    hourly = tpl.Schedule(
        target="TrashPurgeWorkerFunction",
        target_type="AWS::Serverless::Function",
        event="Hourly",
        event_type="ScheduleV2",
        expression="rate(1 hour)",
        input=json.dumps(records),
        name=None,
    )

    # When it runs
    assert ScheduleRunner(api.stack, interval=300).run(hourly) is None

    # Then the function did what its input asked
    assert _state(api, user, note["id"]) == "deleted"


# ---------------------------------------------------------------- failures
def _throttled() -> Exception:
    return SQSException("RequestThrottled", "injected: too many requests")


def test_when_the_queue_keeps_failing_the_purge_fails_and_raises_its_alarm(
    api: Api, user: User, workers: Workers
) -> None:
    # Given a note in the trash, and SQS refusing every message
    note = _trashed_note(api, user)
    _quiet(api, workers)
    with moto_failing(SQSBackend, "send_message", _throttled) as injected:
        # When the user empties the trash
        execution = _purge(api, _empty_trash(api, user))

    # Then the send was tried 1 + 3 times, the execution failed, and the note is still in the trash
    assert len(injected) == 1 + 3
    assert execution["status"] == "FAILED"
    assert execution["error"] == "TrashPurgeFailed"
    workers.drain()
    assert _state(api, user, note["id"]) == "trashed"
    # And the failed execution counts toward the alarm on this machine's failures
    (alarm,) = api.stack.client("cloudwatch").describe_alarms(AlarmNames=[api.stack.ref("PurgeTrashFailuresAlarm")])[
        "MetricAlarms"
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": api.stack.ref("PurgeTrashStateMachine")}]

    # When an operator starts it again with its input (docs/operations.md)
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("PurgeTrashStateMachine")
    again = sfn.start_execution(stateMachineArn=machine, name=f"retry-{uuid.uuid4()}", input=execution["input"])
    assert _purge(api, again["executionArn"].rsplit(":", 1)[-1])["status"] == "SUCCEEDED"
    workers.drain()

    # Then the note is deleted
    assert _state(api, user, note["id"]) == "deleted"


def test_when_the_queue_fails_once_the_retry_hands_the_page_on(api: Api, user: User, workers: Workers) -> None:
    note = _trashed_note(api, user)
    _quiet(api, workers)
    with moto_failing(SQSBackend, "send_message", _throttled, times=1) as injected:
        execution = _purge(api, _empty_trash(api, user))
    workers.drain()

    assert len(injected) == 1
    assert execution["status"] == "SUCCEEDED"
    assert _state(api, user, note["id"]) == "deleted"


def test_a_page_the_worker_keeps_failing_ends_in_the_dead_letter_queue(api: Api, user: User) -> None:
    # Given a page of the trash on the queue, and DynamoDB failing every read of the worker
    note = _trashed_note(api, user)
    purge_queue = _PurgeQueue(api)
    purge_queue.deliver()
    page = purge_queue.send(user, [note])
    with failing(table._dynamodb(), "BatchGetItem", "InternalServerError", 500):
        # When the worker fails it as many times as the redrive policy allows (maxReceiveCount 5)
        for _ in range(6):
            purge_queue.worker.poll_once()

    # Then the page waits in the dead-letter queue and the note is still in the trash
    assert page in purge_queue.parked()
    assert purge_queue.waiting() == 0
    assert _state(api, user, note["id"]) == "trashed"


def test_a_page_delivered_twice_deletes_its_notes_once(api: Api, user: User) -> None:
    # Given a page of two notes, sent twice (SQS delivers at least once)
    notes = [_trashed_note(api, user), _trashed_note(api, user)]
    purge_queue = _PurgeQueue(api)
    purge_queue.send(user, notes)
    purge_queue.send(user, notes)
    seq_before = _last_seq(user)

    # When the worker has both
    assert purge_queue.deliver() == 2

    # Then each note was deleted once: two changes, one delete-note execution each
    assert _last_seq(user) == seq_before + 2
    assert [_state(api, user, note["id"]) for note in notes] == ["deleted", "deleted"]
    sfn, machine = api.stack.client("stepfunctions"), api.stack.ref("DeleteNoteStateMachine")
    names = [execution["name"] for execution in sfn.list_executions(stateMachineArn=machine)["executions"]]
    for note in notes:
        assert names.count(workflows.note_cleanup_name(user.user_id, note["id"], note["version"] + 1)) == 1
    assert purge_queue.waiting() == 0


def test_the_pages_of_an_account_being_deleted_are_dropped_without_failing(api: Api, user: User) -> None:
    # Given a page of the user's trash on the queue, and the account being deleted since
    note = _trashed_note(api, user)
    purge_queue = _PurgeQueue(api)
    purge_queue.deliver()
    page = purge_queue.send(user, [note])
    table.mark_deleting(user.user_id, user.claims["iat"], table.Deletion("d1", "account-d1"))
    seq_before = _last_seq(user)

    # When the worker has it
    assert purge_queue.deliver() == 1

    # Then it is done with (neither retried nor parked), and wrote nothing: the account's own
    # deletion takes the notes
    assert purge_queue.waiting() == 0
    assert page not in purge_queue.parked()
    assert _last_seq(user) == seq_before
    assert "trash_shard" in _item(api, user, note["id"])
