"""Concurrent edits of a note's content merge, word by word, when they changed different words:
the conflict is kept for the same words changed on both sides, and for a base no longer kept."""

import uuid
from typing import Any

import msgspec
import pytest

from notes_core.data import table
from notes_core.domain.note import MAX_CONTENT_CHARS
from notes_core.engine import changes
from notes_core.usecases import notes, sync
from tests.support import faults
from tests.support.api import Api, Reply, User
from tests.support.calls import counting

BASE = "Shoping list:\nmilk, eggs\n"
TYPO_FIXED = "Shopping list:\nmilk, eggs\n"
PARAGRAPH_ADDED = "Shoping list:\nmilk, eggs\n\nFor the party: cake.\n"
BOTH = "Shopping list:\nmilk, eggs\n\nFor the party: cake.\n"


def _create(api: Api, user: User, content: str = BASE) -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_create", user, body={"title": "list", "content": content}).body
    return body


def _patch(api: Api, user: User, note_id: str, base: int, **fields: Any) -> Reply:
    return api.call("notes_update", user, note_id=note_id, body=fields, headers={"if-match": f'"{base}"'})


def _push(api: Api, user: User, *changes: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = api.call("sync_push", user, body={"changes": list(changes)}).body["results"]
    return results


def test_edits_of_different_words_from_the_same_version_both_apply(api: Api, user: User) -> None:
    # Given a note two devices hold at version 1, one of which fixed a typo in the first line
    note = _create(api, user)
    assert _patch(api, user, note["id"], 1, content=TYPO_FIXED).status == 200

    # When the other, still on version 1, adds a paragraph at the end
    reply = _patch(api, user, note["id"], 1, content=PARAGRAPH_ADDED)

    # Then both edits are in the note, at a new version, and the answer says it merged the content
    assert reply.status == 200
    assert (reply.body["content"], reply.body["version"], reply.body["merged_fields"]) == (BOTH, 3, ["content"])
    assert reply.headers["etag"] == '"3"'
    assert api.call("notes_get", user, note_id=note["id"]).body["content"] == BOTH


def test_an_update_without_a_merge_has_no_merged_fields(api: Api, user: User) -> None:
    note = _create(api, user)

    reply = _patch(api, user, note["id"], 1, content=TYPO_FIXED)

    assert "merged_fields" not in reply.body


def test_edits_of_the_same_words_are_still_a_conflict(api: Api, user: User) -> None:
    note = _create(api, user)
    _patch(api, user, note["id"], 1, content="Shopping list:\nmilk, eggs\n")

    reply = _patch(api, user, note["id"], 1, content="Groceries:\nmilk, eggs\n")

    assert reply.status == 412
    assert reply.body["conflicting_fields"] == ["content"]
    assert reply.body["note"]["content"] == TYPO_FIXED


def test_a_merge_longer_than_a_note_may_be_is_a_conflict(api: Api, user: User) -> None:
    # Given a note ten characters short of the longest content, whose start one device lengthened
    base = "word " * ((MAX_CONTENT_CHARS - 10) // 5)
    note = _create(api, user, content=base)
    assert _patch(api, user, note["id"], 1, content="Intro: " + base).status == 200

    # When another, on version 1, lengthens its end: each edit fits, both together do not
    reply = _patch(api, user, note["id"], 1, content=base + "Outro.")

    # Then nothing is stored that a client could not have sent: the conflict, the first edit kept
    assert reply.status == 412
    assert reply.body["conflicting_fields"] == ["content"]
    assert api.call("notes_get", user, note_id=note["id"]).body["content"] == "Intro: " + base


def test_a_title_changed_since_is_a_conflict_whatever_the_content(api: Api, user: User) -> None:
    # Given a note whose title and content another device changed
    note = _create(api, user)
    _patch(api, user, note["id"], 1, title="shopping", content=TYPO_FIXED)

    # When a device on version 1 changes both too
    reply = _patch(api, user, note["id"], 1, title="my list", content=PARAGRAPH_ADDED)

    # Then titles are not merged: a conflict on both fields changed since
    assert reply.status == 412
    assert reply.body["conflicting_fields"] == ["title", "content"]


def test_an_exact_replay_of_a_merged_edit_answers_the_same_and_merges_nothing_twice(api: Api, user: User) -> None:
    note = _create(api, user)
    _patch(api, user, note["id"], 1, content=TYPO_FIXED)
    first = _patch(api, user, note["id"], 1, content=PARAGRAPH_ADDED)

    again = _patch(api, user, note["id"], 1, content=PARAGRAPH_ADDED)

    assert (again.status, again.body) == (200, first.body)
    assert api.call("notes_get", user, note_id=note["id"]).body["version"] == 3


def test_a_push_and_a_batch_merge_too(api: Api, user: User) -> None:
    # Given two notes whose first line another device fixed
    first, second = _create(api, user), _create(api, user)
    for note in (first, second):
        _patch(api, user, note["id"], 1, content=TYPO_FIXED)

    # When a device on version 1 adds a paragraph to each: one by push, one by batch
    pushed = _push(api, user, {"op": "upsert", "id": first["id"], "base_version": 1, "content": PARAGRAPH_ADDED})
    batched = api.call(
        "notes_batch", user, body={"update": [{"id": second["id"], "base_version": 1, "content": PARAGRAPH_ADDED}]}
    ).body["results"]

    # Then each is applied merged, and says so
    assert [(r["status"], r["merged_fields"], r["note"]["content"]) for r in pushed] == [("applied", ["content"], BOTH)]
    assert [(r["status"], r["merged_fields"], r["note"]["content"]) for r in batched] == [
        ("updated", ["content"], BOTH)
    ]


def test_a_push_replayed_after_a_lost_answer_answers_its_merges_the_same(api: Api, user: User) -> None:
    note = _create(api, user)
    _patch(api, user, note["id"], 1, content=TYPO_FIXED)
    change = {"op": "upsert", "id": note["id"], "base_version": 1, "content": PARAGRAPH_ADDED}
    first = _push(api, user, change)

    again = _push(api, user, change)

    assert again == first
    assert again[0]["merged_fields"] == ["content"]


def test_a_merge_finds_the_text_of_a_base_that_changed_no_text(api: Api, user: User) -> None:
    # Given a note trashed at version 2 (no text changed), which a device then holds
    note = _create(api, user)
    _patch(api, user, note["id"], 1, trashed=True)
    # ...and whose first line another device fixed at version 3
    _patch(api, user, note["id"], 2, content=TYPO_FIXED)

    # When the device on version 2 adds a paragraph
    reply = _patch(api, user, note["id"], 2, content=PARAGRAPH_ADDED)

    # Then the text at version 2 (version 1's revision) was the base: both edits are in
    assert (reply.status, reply.body["content"], reply.body["trashed"]) == (200, BOTH, True)


def test_a_base_no_longer_kept_is_a_conflict(api: Api, user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a note whose revisions are kept in two slots, written at three versions
    for module in (notes, sync):
        monkeypatch.setattr(module, "_settings", msgspec.structs.replace(module._settings, revisions_per_note=2))
    note = _create(api, user)
    _patch(api, user, note["id"], 1, content=TYPO_FIXED)
    _patch(api, user, note["id"], 2, title="renamed")

    # When a device on version 1 (whose text's slot version 3 overwrote) adds a paragraph
    reply = _patch(api, user, note["id"], 1, content=PARAGRAPH_ADDED)

    # Then without its base text there is no merge: the conflict it always was
    assert reply.status == 412
    assert reply.body["conflicting_fields"] == ["content"]


def test_a_merge_adds_one_read_for_a_whole_push(api: Api, user: User) -> None:
    # Given three notes whose first line another device fixed
    listed = [_create(api, user) for _ in range(3)]
    for note in listed:
        _patch(api, user, note["id"], 1, content=TYPO_FIXED)
    changes = [{"op": "upsert", "id": n["id"], "base_version": 1, "content": PARAGRAPH_ADDED} for n in listed]

    # When a push merges all three
    with counting(table._dynamodb()) as calls:
        results = _push(api, user, *changes)

    # Then it read their base revisions in one more request, and wrote once
    assert [result["merged_fields"] for result in results] == [["content"]] * 3
    assert dict(calls.operations) == {"BatchGetItem": 2, "TransactWriteItems": 1}


def test_an_edit_that_needs_no_merge_reads_no_revision(api: Api, user: User) -> None:
    note = _create(api, user)

    with counting(table._dynamodb()) as calls:
        _push(api, user, {"op": "upsert", "id": note["id"], "base_version": 1, "content": "new"})
        _push(api, user, {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "t", "content": "c"})

    assert dict(calls.operations) == {"BatchGetItem": 2, "TransactWriteItems": 2}


# ---------------------------------------------------------------- the time merges and retries may take
LONG_BASE = " ".join(f"w{number:05d}" for number in range(MAX_CONTENT_CHARS // 7))  # words of their own
LONG_START_CHANGED = "START0" + LONG_BASE[6:]
LONG_END_CHANGED = LONG_BASE[:-6] + "END999"
# Less time left than a merge of three 100,000-character texts is estimated to take, beyond what
# answering needs: the function's time is that short, not the test's.
SHORT_OF_TIME = changes.ANSWER_RESERVE_SECONDS + 0.05


def _long_note_changed_at_its_start(api: Api, user: User) -> str:
    note = _create(api, user, content=LONG_BASE)
    assert _patch(api, user, note["id"], 1, content=LONG_START_CHANGED).status == 200
    note_id: str = note["id"]
    return note_id


def test_a_merge_the_time_left_would_not_cover_is_a_conflict_that_says_so(api: Api, user: User) -> None:
    # Given a long note whose start another device changed (version 2)
    note_id = _long_note_changed_at_its_start(api, user)
    change = {"op": "upsert", "id": note_id, "base_version": 1, "content": LONG_END_CHANGED}

    # When a device on version 1 pushes an edit of its end, to a function with little time left
    short = api.call("sync_push", user, body={"changes": [change]}, timeout_seconds=SHORT_OF_TIME)

    # Then it is a conflict whose reason says so, with the server's copy; nothing of it is applied
    (result,) = short.body["results"]
    assert (short.status, result["status"], result["conflict_reason"]) == (200, "conflict", "merge-budget")
    assert (result["conflicting_fields"], result["note"]["version"]) == (["content"], 2)
    # ...and sent again to a function with its whole time, it merges
    (again,) = _push(api, user, change)
    assert (again["status"], again["merged_fields"]) == ("applied", ["content"])
    assert again["note"]["content"] == "START0" + LONG_BASE[6:-6] + "END999"


def test_a_patch_short_of_time_to_merge_is_a_412_that_says_why(api: Api, user: User) -> None:
    note_id = _long_note_changed_at_its_start(api, user)

    reply = api.call(
        "notes_update",
        user,
        note_id=note_id,
        body={"content": LONG_END_CHANGED},
        headers={"if-match": '"1"'},
        timeout_seconds=SHORT_OF_TIME,
    )

    assert (reply.status, reply.problem_type) == (412, "version-conflict")
    assert (reply.body["conflict_reason"], reply.body["conflicting_fields"]) == ("merge-budget", ["content"])


def test_a_batch_short_of_time_to_merge_answers_the_conflict_with_its_reason(api: Api, user: User) -> None:
    note_id = _long_note_changed_at_its_start(api, user)
    update = {"id": note_id, "base_version": 1, "content": LONG_END_CHANGED}

    reply = api.call("notes_batch", user, body={"update": [update]}, timeout_seconds=SHORT_OF_TIME)

    assert [(r["status"], r["conflict_reason"]) for r in reply.body["results"]] == [("conflict", "merge-budget")]


# What DynamoDB answers a transaction whose counter condition failed: another write took the sequence.
SEQUENCE_MOVED = {
    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
    "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
}


@pytest.mark.parametrize(("timeout", "attempts"), [(None, changes.MAX_ATTEMPTS), (SHORT_OF_TIME - 0.05, 1)])
def test_retries_under_contention_stop_with_409_while_there_is_time_to_answer(
    api: Api, user: User, timeout: float | None, attempts: int
) -> None:
    # Given writes that keep winning the user's sequence
    note = _create(api, user)
    client = table._dynamodb()
    tried: list[dict[str, Any]] = []
    event = "before-call.dynamodb.TransactWriteItems"
    client.meta.events.register(event, lambda **call: tried.append(call), unique_id="attempts")  # before the fault
    try:
        with faults.answering(client, "TransactWriteItems", SEQUENCE_MOVED, status=400):
            # When a push is tried by a function with its whole time, or with no more than answering needs
            reply = api.call(
                "sync_push",
                user,
                body={"changes": [{"op": "upsert", "id": note["id"], "base_version": 1, "content": "mine"}]},
                timeout_seconds=timeout,
            )
    finally:
        client.meta.events.unregister(event, unique_id="attempts")

    # Then it answers 409 write-contention (safe to retry): after every attempt its time allowed
    assert (reply.status, reply.problem_type) == (409, "write-contention")
    assert len(tried) == attempts
