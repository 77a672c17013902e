"""GET and POST /v1/sync: the changes feed and pushes of a device's changes."""

import time
import uuid
from typing import Any

import pytest

from local.functions import LAMBDA_RESPONSE_BYTES
from notes_core.contract import cursors
from notes_core.data import table
from notes_core.domain.note import MAX_CONTENT_CHARS, MAX_TITLE_CHARS
from tests.support.api import Api, User
from tests.support.calls import counting


def _push(api: Api, user: User, *changes: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api.call("sync_push", user, body={"changes": list(changes)})
    assert reply.status == 200, reply.body
    results: list[dict[str, Any]] = reply.body["results"]
    return results


def _pull_all(api: Api, user: User, cursor: str | None = None, limit: int = 200) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    while True:
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        reply = api.call("sync_pull", user, query=query)
        assert reply.status == 200, reply.body
        changes += reply.body["changes"]
        cursor = reply.body["cursor"]
        if not reply.body["has_more"]:
            assert cursor is not None
            return changes, cursor


def _upsert(note_id: str, base: int | None, **fields: str | bool) -> dict[str, Any]:
    return {"op": "upsert", "id": note_id, "base_version": base, **fields}


def test_pull_returns_every_change_in_commit_order_page_by_page(api: Api, user: User) -> None:
    # Given five created notes, the first then edited and the second deleted
    ids = [str(uuid.uuid4()) for _ in range(5)]
    _push(api, user, *(_upsert(note_id, None, title=f"n{i}", content="c") for i, note_id in enumerate(ids)))
    _push(api, user, _upsert(ids[0], 1, title="edited"), {"op": "delete", "id": ids[1], "base_version": 1})

    # When a new device pulls from the beginning, two changes at a time
    changes, _ = _pull_all(api, user, limit=2)

    # Then it gets each note's latest state once, in the order the changes were committed
    assert [(change["id"], change["version"], change["deleted"]) for change in changes] == [
        (ids[2], 1, False),
        (ids[3], 1, False),
        (ids[4], 1, False),
        (ids[0], 2, False),
        (ids[1], 2, True),
    ]


def test_pulling_from_the_cursor_returns_only_what_changed_since(api: Api, user: User) -> None:
    first = str(uuid.uuid4())
    _push(api, user, _upsert(first, None, title="a", content="b"))
    _, cursor = _pull_all(api, user)

    second = str(uuid.uuid4())
    _push(api, user, _upsert(second, None, title="c", content="d"))
    changes, next_cursor = _pull_all(api, user, cursor)
    nothing, same_cursor = _pull_all(api, user, next_cursor)

    assert [change["id"] for change in changes] == [second]
    assert nothing == []
    assert cursors.read_feed_cursor(same_cursor)[0] == cursors.read_feed_cursor(next_cursor)[0]


def test_push_answers_applied_conflict_or_rejected_per_change(api: Api, user: User) -> None:
    # Given a note at version 2, changed in its content by another device
    note_id = str(uuid.uuid4())
    _push(api, user, _upsert(note_id, None, title="t", content="c"))
    _push(api, user, _upsert(note_id, 1, content="theirs"))
    created = str(uuid.uuid4())

    # When a device pushes a create, a merge, a conflicting edit, an invalid change and a delete of nothing
    results = _push(
        api,
        user,
        _upsert(created, None, title="new", content="x"),
        _upsert(note_id, 1, title="mine"),
        _upsert(note_id, 1, content="mine too"),
        {"op": "upsert", "id": note_id, "base_version": 1, "colour": "red"},
        {"op": "delete", "id": str(uuid.uuid4()), "base_version": 1},
    )

    # Then each change has its own answer, in order
    assert [result["status"] for result in results] == ["applied", "applied", "conflict", "rejected", "rejected"]
    assert results[1]["note"]["title"] == "mine"
    assert results[1]["note"]["content"] == "theirs"
    assert results[2]["note"]["content"] == "theirs"
    assert results[2]["conflicting_fields"] == ["content"]  # as a 412 on PATCH names them
    assert "conflicting_fields" not in results[1]
    assert results[3]["problem"]["status"] == 422
    assert results[4]["problem"]["status"] == 404


def _as_answered(result: dict[str, Any], note_id: str) -> dict[str, Any]:
    """A push result without what differs from note to note: the id and the server's clock."""
    note = {key: value for key, value in (result.get("note") or {}).items() if not key.endswith("_at")}
    return {**result, "id": "<id>" if result["id"] == note_id else result["id"], "note": {**note, "id": "<id>"}}


def test_create_update_and_delete_answer_as_the_deprecated_upserts_they_replace(api: Api, user: User) -> None:
    # Given one note changed with the ops of the document (create, update, delete), and another with
    # the first form (upsert, delete), step by step the same: create, edit, trash, a stale edit, delete
    new, old = str(uuid.uuid4()), str(uuid.uuid4())
    steps: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"op": "create", "title": "t", "content": "one two"}, _upsert(old, None, title="t", content="one two")),
        ({"op": "update", "base_version": 1, "content": "ONE two"}, _upsert(old, 1, content="ONE two")),
        ({"op": "update", "base_version": 2, "trashed": True}, _upsert(old, 2, trashed=True)),
        ({"op": "update", "base_version": 1, "content": "one TWO!"}, _upsert(old, 1, content="one TWO!")),
        ({"op": "update", "base_version": 1, "content": "uno"}, _upsert(old, 1, content="uno")),
        ({"op": "delete", "base_version": 4}, {"op": "delete", "id": old, "base_version": 4}),
        ({"op": "update", "base_version": 5, "title": "late"}, _upsert(old, 5, title="late")),
    ]

    # When each step is pushed in both forms
    answers = [(_push(api, user, {**step, "id": new}), _push(api, user, legacy)) for step, legacy in steps]

    # Then every step is answered the same (a merge and a conflict included), note for note
    assert [result["status"] for (result,), _ in answers] == [
        "applied",
        "applied",
        "applied",
        "applied",
        "conflict",
        "applied",
        "conflict",
    ]
    assert answers[3][0][0]["merged_fields"] == ["content"]
    for (by_op,), (by_upsert,) in answers:
        assert _as_answered(by_op, new) == _as_answered(by_upsert, old)


def test_a_push_may_mix_the_ops_and_a_replay_answers_the_same(api: Api, user: User) -> None:
    # Given a push of a create, an edit of it and an upsert create, whose answer was lost
    note_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    push = [
        {"op": "create", "id": note_id, "title": "t", "content": "c", "trashed": True},
        {"op": "update", "id": note_id, "base_version": 1, "title": "t2", "trashed": False},
        _upsert(other, None, title="o", content="o"),
    ]
    first = _push(api, user, *push)

    # When it is sent again
    again = _push(api, user, *push)

    # Then each applied once, in order, and the replay answers the same outcomes, each with the
    # note as it stands now
    assert [(result["status"], result["note"]["version"]) for result in first] == [
        ("applied", 1),
        ("applied", 2),
        ("applied", 1),
    ]
    assert first[0]["note"]["trashed"] is True
    assert (first[1]["note"]["title"], first[1]["note"]["trashed"]) == ("t2", False)
    assert [result["status"] for result in again] == ["applied"] * 3
    assert again[0]["note"] == again[1]["note"] == first[1]["note"]
    assert again[2] == first[2]


def test_a_replayed_push_takes_effect_once_and_answers_the_same(api: Api, user: User) -> None:
    # Given a push the server applied but whose answer was lost
    note_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    _push(api, user, _upsert(other, None, title="o", content="o"))
    push = [
        _upsert(note_id, None, title="t", content="c"),
        _upsert(other, 1, title="o2"),
        {"op": "delete", "id": other, "base_version": 2},
    ]
    first = _push(api, user, *push)
    _, cursor = _pull_all(api, user)

    # When the device pushes it again
    again = _push(api, user, *push)

    # Then it gets the same outcomes (each note as it stands now) and nothing new is in the feed
    assert [result["status"] for result in first] == ["applied"] * 3
    assert [result["status"] for result in again] == ["applied"] * 3
    assert again[0] == first[0]
    assert again[1]["note"] == again[2]["note"] == first[2]["note"]  # the note the push deleted
    assert _pull_all(api, user, cursor)[0] == []


def test_a_replayed_push_whose_changes_depend_on_each_other_answers_the_same(api: Api, user: User) -> None:
    # Given a push that created a note and then edited it, whose answer was lost
    note_id = str(uuid.uuid4())
    push = [_upsert(note_id, None, title="t", content="c"), _upsert(note_id, 1, content="c2")]
    first = _push(api, user, *push)

    # When it is sent again
    again = _push(api, user, *push)

    # Then both changes are answered applied again (the create is not mistaken for a conflict)
    assert [result["status"] for result in again] == [result["status"] for result in first] == ["applied"] * 2
    assert again[1] == first[1]


def test_an_edit_to_a_note_deleted_elsewhere_is_a_conflict_with_the_tombstone(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())
    _push(api, user, _upsert(note_id, None, title="t", content="c"))
    _push(api, user, {"op": "delete", "id": note_id, "base_version": None})

    (result,) = _push(api, user, _upsert(note_id, 1, title="late edit"))

    assert result["status"] == "conflict"
    assert result["note"]["deleted"] is True
    assert result["conflicting_fields"] == ["title"]


def test_a_create_of_an_id_taken_with_other_content_names_the_fields_that_differ(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())
    _push(api, user, _upsert(note_id, None, title="t", content="c"))

    (result,) = _push(api, user, _upsert(note_id, None, title="t", content="other"))

    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["content"])


def test_a_push_over_99_changes_is_split_and_applied_in_order(api: Api, user: User) -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]

    results = _push(api, user, *(_upsert(note_id, None, title=str(i), content="c") for i, note_id in enumerate(ids)))
    changes, _ = _pull_all(api, user, limit=500)

    assert [result["status"] for result in results] == ["applied"] * 100
    assert [change["id"] for change in changes] == ids


def test_one_push_may_change_a_note_twice(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())

    results = _push(api, user, _upsert(note_id, None, title="t", content="c"), _upsert(note_id, 1, content="c2"))

    assert [(result["status"], result["note"]["version"]) for result in results] == [("applied", 1), ("applied", 2)]


@pytest.mark.parametrize(
    "body",
    [{"changes": [{"op": "upsert"}] * 101}, {"changes": "x"}, {"changes": [], "device": "a"}, {}],
    ids=["over-100", "not-a-list", "unknown-field", "no-changes"],
)
def test_malformed_pushes_are_422(api: Api, user: User, body: dict[str, Any]) -> None:
    assert api.call("sync_push", user, body=body).status == 422


def test_an_empty_push_is_answered_with_no_results_and_writes_nothing(api: Api, user: User) -> None:
    # Given a client whose outbox is empty, pushing before it pulls as it always does
    before = api.call("sync_pull", user).body

    # When it pushes no changes
    with counting(table._dynamodb()) as calls:
        reply = api.call("sync_push", user, body={"changes": []})

    # Then the answer has no results, like an empty batch, and nothing is written: the one read
    # is the counter item's, which still refuses a token older than a sign-out
    assert (reply.status, reply.body) == (200, {"results": []})
    assert calls.operations == {"BatchGetItem": 1}
    assert api.call("sync_pull", user, query={"cursor": before["cursor"]}).body["changes"] == []


def test_a_cursor_older_than_the_tombstone_retention_is_410(api: Api, user: User) -> None:
    ninety_one_days_ago = int(time.time()) - 91 * 86400

    reply = api.call("sync_pull", user, query={"cursor": cursors.feed_cursor(0, ninety_one_days_ago)})

    assert reply.status == 410
    assert reply.body["type"].endswith("/resync-required")


@pytest.mark.parametrize(
    "query", [{"cursor": "%%%"}, {"cursor": "eyJzIjotMSwidCI6MH0"}, {"limit": "0"}, {"limit": "501"}]
)
def test_bad_pull_parameters_are_400(api: Api, user: User, query: dict[str, str]) -> None:
    assert api.call("sync_pull", user, query=query).status == 400


# Characters JSON writes as 6 bytes (\u0001, 7 in Lambda's payload), and as 2 (\", 4 in the payload).
@pytest.mark.parametrize("character", ["\x01", '"'], ids=["control-characters", "quotes"])
def test_a_page_of_long_notes_stays_under_the_lambda_response_limit(api: Api, user: User, character: str) -> None:
    # Given 70 notes of 100,000 characters that JSON and Lambda's payload escape
    content = character * 100_000
    for start in range(0, 70, 5):
        _push(api, user, *(_upsert(str(uuid.uuid4()), None, title=str(start + i), content=content) for i in range(5)))

    # When a device pulls them 500 at a time
    sizes, count, cursor = [], 0, None
    while True:
        reply = api.call("sync_pull", user, query={"limit": "500"} | ({"cursor": cursor} if cursor else {}))
        sizes.append(api.last_payload_bytes)
        count += len(reply.body["changes"])
        cursor = reply.body["cursor"]
        if not reply.body["has_more"]:
            break

    # Then every page is under Lambda's 6 MB response payload and all notes arrive
    assert count == 70
    assert max(sizes) <= LAMBDA_RESPONSE_BYTES
    assert len(sizes) > 1


def test_a_push_sent_again_after_another_write_is_judged_afresh(api: Api, user: User) -> None:
    # Given a push that changed a note's title, and a later edit of that title elsewhere
    note_id = str(uuid.uuid4())
    _push(api, user, _upsert(note_id, None, title="t", content="c"))
    push = [_upsert(note_id, 1, title="mine")]
    assert _push(api, user, *push)[0]["status"] == "applied"
    api.call("notes_update", user, note_id=note_id, body={"title": "theirs"}, headers={"if-match": '"2"'})

    # When the same push comes again
    (again,) = _push(api, user, *push)

    # Then it is not taken for a replay of the first: the title changed since, a conflict
    assert again["status"] == "conflict"
    assert again["note"]["title"] == "theirs"


# The largest note there is: title and content of control characters, each 6 bytes in JSON (\u0001)
# and 7 in Lambda's response payload, where the body is a string (\\u0001).
LARGEST_TITLE, LARGEST_CONTENT = "\x01" * MAX_TITLE_CHARS, "\x01" * MAX_CONTENT_CHARS


def test_a_push_answered_with_100_of_the_largest_notes_keeps_every_result_under_lambdas_limit(
    api: Api, user: User
) -> None:
    # Given the largest note there is
    note_id = str(uuid.uuid4())
    _push(api, user, _upsert(note_id, None, title=LARGEST_TITLE, content=LARGEST_CONTENT))

    # When a push of 100 changes is each answered with the whole note (moving it to the trash and back)
    changes = [{"op": "upsert", "id": note_id, "base_version": 1 + i, "trashed": i % 2 == 0} for i in range(100)]
    reply = api.call("sync_push", user, body={"changes": changes})

    # Then the answer stays under Lambda's 6 MB response payload, with every result, in order
    assert reply.status == 200
    assert api.last_payload_bytes <= LAMBDA_RESPONSE_BYTES
    results = reply.body["results"]
    assert [(result["id"], result["status"]) for result in results] == [(note_id, "applied")] * 100
    # And the first results carry their note; from the first that would not fit, none does, and each says so
    carried = sum(1 for result in results if "note" in result)
    assert 0 < carried < 100
    assert [result["note"]["version"] for result in results[:carried]] == list(range(2, 2 + carried))
    assert all("note_omitted" not in result for result in results[:carried])
    assert all("note" not in result and result["note_omitted"] is True for result in results[carried:])
    # And the device gets the note from the feed, as the last change left it
    pulled, _ = _pull_all(api, user)
    assert [(change["id"], change["version"], change["trashed"]) for change in pulled] == [(note_id, 101, False)]
    assert pulled[0]["content"] == LARGEST_CONTENT


def test_a_refused_change_echoes_its_id_only_when_it_is_short(api: Api, user: User) -> None:
    # Given a push refused change by change for its ids: 40 ids of 60,000 quotes (4.8 MB sent, each
    # quote \" in JSON and \\\" in Lambda's payload), then ids of 200 and 201 characters
    changes = [{"op": "delete", "id": '"' * 60_000, "base_version": None}] * 40
    changes += [{"op": "delete", "id": "x" * 200, "base_version": None}, {"op": "delete", "id": "y" * 201}]

    # When it is pushed
    reply = api.call("sync_push", user, body={"changes": changes})

    # Then every change is rejected with its problem, and only the short id is echoed: the answer
    # cannot grow past Lambda's limit with what the client wrote
    assert reply.status == 200
    assert api.last_payload_bytes < 100_000
    results = reply.body["results"]
    assert [(result["id"], result["status"]) for result in results] == [(None, "rejected")] * 40 + [
        ("x" * 200, "rejected"),
        (None, "rejected"),
    ]
    assert all(result["problem"]["status"] == 422 for result in results)
