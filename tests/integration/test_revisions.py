"""Revision history: every version that changed a note's title or content keeps its text, in a
bounded number of slots, for a bounded time; a revision can be read and restored."""

from typing import Any

import msgspec
import pytest

from notes_core.data import table
from notes_core.usecases import notes, revisions
from tests.support import events
from tests.support.api import Api, Reply, User
from tests.support.calls import counting


def _create(api: Api, user: User, content: str = "v1") -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_create", user, body={"title": "t", "content": content}).body
    return body


def _edit(api: Api, user: User, note: dict[str, Any], **fields: Any) -> dict[str, Any]:
    reply = api.call(
        "notes_update", user, note_id=note["id"], body=fields, headers={"if-match": f'"{note["version"]}"'}
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def _listed(api: Api, user: User, note_id: str, **query: str) -> dict[str, Any]:
    reply = api.call("notes_revisions", user, note_id=note_id, query=query)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def _at_version(api: Api, code_dir: str, user: User, note_id: str, version: int | str, **changed: Any) -> Reply:
    """The fixture of a route of one revision, as `user`, for the note's `version`."""
    event = events.as_caller(events.fixture(code_dir), user.access_token, user.claims)
    event = events.customised(event, note_id=note_id, **changed)
    event["pathParameters"]["version"] = str(version)
    return api.invoke(code_dir, event)


def _revision(api: Api, user: User, note_id: str, version: int | str) -> Reply:
    return _at_version(api, "notes_revision_get", user, note_id, version)


def _restore(api: Api, user: User, note_id: str, version: int, if_match: str | None = None) -> Reply:
    return _at_version(api, "notes_revision_restore", user, note_id, version, headers={"if-match": if_match})


def test_every_change_of_text_keeps_a_revision_and_nothing_else_does(api: Api, user: User) -> None:
    # Given a note created, retitled, trashed, restored and edited
    note = _create(api, user, "first text")
    note = _edit(api, user, note, title="second title")
    note = _edit(api, user, note, trashed=True)
    note = _edit(api, user, note, trashed=False)
    note = _edit(api, user, note, content="x" * 250)

    # When its revisions are listed
    listed = _listed(api, user, note["id"])

    # Then the versions that changed text are there, newest first, each with a 200-character preview
    assert [r["version"] for r in listed["revisions"]] == [5, 2, 1]
    assert [(r["title"], r["preview"]) for r in listed["revisions"]] == [
        ("second title", "x" * 200),
        ("second title", "first text"),
        ("t", "first text"),
    ]
    assert listed["next_cursor"] is None


def test_a_revision_is_read_whole_by_its_version(api: Api, user: User) -> None:
    note = _create(api, user, "é" * 300)
    _edit(api, user, note, content="later")

    reply = _revision(api, user, note["id"], 1)

    assert reply.status == 200
    assert reply.body == {"version": 1, "updated_at": note["updated_at"], "title": "t", "content": "é" * 300}


@pytest.mark.parametrize("version", [3, 0, "x", "1.0", "٣"])
def test_an_unknown_version_is_404(api: Api, user: User, version: int | str) -> None:
    note = _create(api, user)
    _edit(api, user, note, content="v2")

    assert _revision(api, user, note["id"], version).status == 404


def test_revisions_are_paged_newest_first(api: Api, user: User) -> None:
    note = _create(api, user)
    for n in range(2, 6):
        note = _edit(api, user, note, content=f"v{n}")

    first = _listed(api, user, note["id"], limit="2")
    second = _listed(api, user, note["id"], limit="2", cursor=first["next_cursor"])
    third = _listed(api, user, note["id"], limit="2", cursor=second["next_cursor"])

    assert [[r["version"] for r in page["revisions"]] for page in (first, second, third)] == [[5, 4], [3, 2], [1]]
    assert third["next_cursor"] is None


@pytest.fixture
def three_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """RevisionsPerNote=3, as REVISIONS_PER_NOTE=3 would give."""
    for module in (notes, revisions):
        monkeypatch.setattr(module, "_settings", msgspec.structs.replace(module._settings, revisions_per_note=3))


def test_a_note_keeps_at_most_its_slots_of_revisions(api: Api, user: User, three_slots: None) -> None:
    # Given a note written at five versions, with three slots
    note = _create(api, user)
    for n in range(2, 6):
        note = _edit(api, user, note, content=f"v{n}")

    # Then the last three are kept; the older ones were overwritten in their slots
    assert [r["version"] for r in _listed(api, user, note["id"])["revisions"]] == [5, 4, 3]
    assert [_revision(api, user, note["id"], v).status for v in (1, 2, 3)] == [404, 404, 200]
    slots = api.stack.client("dynamodb").query(
        TableName=api.stack.ref("NotesTable"),
        KeyConditionExpression="user_id = :user AND begins_with(id, :slots)",
        ExpressionAttributeValues={":user": {"S": user.user_id}, ":slots": {"S": f"{note['id']}#rev#"}},
    )["Items"]
    assert len(slots) == 3


def test_an_expired_revision_is_not_answered(api: Api, user: User) -> None:
    # Given a note whose first revision's time is up (the table's TTL may not have removed it yet)
    note = _create(api, user)
    _edit(api, user, note, content="v2")
    api.stack.client("dynamodb").update_item(
        TableName=api.stack.ref("NotesTable"),
        Key={"user_id": {"S": user.user_id}, "id": {"S": f"{note['id']}#rev#0001"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1000"}},
    )

    # Then it is neither listed nor read
    assert [r["version"] for r in _listed(api, user, note["id"])["revisions"]] == [2]
    assert _revision(api, user, note["id"], 1).status == 404


def test_keeping_a_revision_costs_no_request(api: Api, user: User) -> None:
    note = _create(api, user)

    with counting(table._dynamodb()) as calls:
        _edit(api, user, note, content="v2")

    assert dict(calls.operations) == {"BatchGetItem": 1, "TransactWriteItems": 1}


# ---------------------------------------------------------------- restore
def test_restoring_sets_the_text_back_as_a_new_change_that_is_itself_a_revision(api: Api, user: User) -> None:
    # Given a note written at three versions
    note = _create(api, user, "first")
    note = _edit(api, user, note, title="second", content="second")
    note = _edit(api, user, note, content="third")

    # When version 1 is restored
    reply = _restore(api, user, note["id"], 1)

    # Then the note has version 1's title and content at a new version, kept as a revision too
    assert reply.status == 200
    assert (reply.body["title"], reply.body["content"], reply.body["version"]) == ("t", "first", 4)
    assert reply.headers["etag"] == '"4"'
    assert [r["version"] for r in _listed(api, user, note["id"])["revisions"]] == [4, 3, 2, 1]


def test_a_retried_restore_answers_the_same(api: Api, user: User) -> None:
    note = _create(api, user, "first")
    note = _edit(api, user, note, content="second")
    first = _restore(api, user, note["id"], 1, if_match='"2"')

    again = _restore(api, user, note["id"], 1, if_match='"2"')

    assert (again.status, again.body) == (200, first.body)


def test_a_restore_based_on_a_version_whose_text_changed_since_is_a_conflict(api: Api, user: User) -> None:
    # Given a note a device holds at version 2, whose content another device changed at 3
    note = _create(api, user, "first")
    note = _edit(api, user, note, content="second")
    _edit(api, user, note, content="third")

    # When that device restores version 1 based on version 2
    reply = _restore(api, user, note["id"], 1, if_match='"2"')

    # Then it is a 412 with the server's copy, and nothing changed
    assert reply.status == 412
    assert reply.body["note"]["content"] == "third"
    assert reply.body["conflicting_fields"] == ["content"]


def test_a_restore_keeps_the_note_where_it_is_in_or_out_of_the_trash(api: Api, user: User) -> None:
    note = _create(api, user, "first")
    note = _edit(api, user, note, content="second")
    note = _edit(api, user, note, trashed=True)

    reply = _restore(api, user, note["id"], 1)

    assert (reply.body["content"], reply.body["trashed"]) == ("first", True)


def test_revisions_of_a_deleted_note_are_not_answered(api: Api, user: User) -> None:
    note = _create(api, user)
    api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})

    assert api.call("notes_revisions", user, note_id=note["id"], query={}).status == 404
    assert _revision(api, user, note["id"], 1).status == 404
    assert _restore(api, user, note["id"], 1).status == 404


def test_another_users_revisions_are_never_answered_nor_restored(api: Api, user: User) -> None:
    # Given a user's note with two revisions
    note = _create(api, user, "secret")
    _edit(api, user, note, content="more secret")
    intruder = api.new_user()

    # When another user lists, reads or restores them
    replies = [
        api.call("notes_revisions", intruder, note_id=note["id"], query={}),
        _revision(api, intruder, note["id"], 1),
        _restore(api, intruder, note["id"], 1),
    ]

    # Then every answer is 404 and the note is unchanged
    assert [reply.status for reply in replies] == [404, 404, 404]
    assert "secret" not in str([reply.body for reply in replies])
    assert api.call("notes_get", user, note_id=note["id"]).body["version"] == 2
