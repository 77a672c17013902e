"""One user can never read, change, sync or delete another user's notes, on any route."""

import uuid
from typing import Any

import pytest

from tests.support.api import Api, User


@pytest.fixture
def owner(api: Api) -> User:
    return api.new_user()


@pytest.fixture
def intruder(api: Api) -> User:
    return api.new_user()


@pytest.fixture
def note(api: Api, owner: User) -> dict[str, Any]:
    reply = api.call("notes_create", owner, body={"title": "owner's", "content": "private"})
    assert reply.status == 201
    body: dict[str, Any] = reply.body
    return body


def _unchanged(api: Api, owner: User, note: dict[str, Any]) -> None:
    assert api.call("notes_get", owner, note_id=note["id"]).body == note


def test_get_update_and_delete_of_anothers_note_are_404(
    api: Api, owner: User, intruder: User, note: dict[str, Any]
) -> None:
    replies = [
        api.call("notes_get", intruder, note_id=note["id"]),
        api.call("notes_update", intruder, note_id=note["id"], body={"title": "x"}, headers={"if-match": '"1"'}),
        api.call("notes_delete", intruder, note_id=note["id"], headers={"if-match": None}),
    ]

    assert [reply.status for reply in replies] == [404, 404, 404]
    _unchanged(api, owner, note)


def test_list_and_pull_show_none_of_anothers_notes(api: Api, owner: User, intruder: User, note: dict[str, Any]) -> None:
    listed = api.call("notes_list", intruder, query={})
    pulled = api.call("sync_pull", intruder, query={})

    assert listed.body["notes"] == []
    assert pulled.body["changes"] == []


def test_batch_cannot_touch_anothers_note(api: Api, owner: User, intruder: User, note: dict[str, Any]) -> None:
    reply = api.call(
        "notes_batch",
        intruder,
        body={"update": [{"id": note["id"], "base_version": 1, "title": "x"}], "delete": [{"id": note["id"]}]},
    )

    assert [result["status"] for result in reply.body["results"]] == ["not_found", "not_found"]
    assert all("note" not in result for result in reply.body["results"])
    _unchanged(api, owner, note)


def test_push_cannot_touch_anothers_note(api: Api, owner: User, intruder: User, note: dict[str, Any]) -> None:
    reply = api.call(
        "sync_push",
        intruder,
        body={
            "changes": [
                {"op": "upsert", "id": note["id"], "base_version": 1, "title": "x"},
                {"op": "delete", "id": note["id"], "base_version": None},
            ]
        },
    )

    assert [result["status"] for result in reply.body["results"]] == ["rejected", "rejected"]
    assert all("note" not in result for result in reply.body["results"])
    _unchanged(api, owner, note)


def test_the_same_id_in_two_accounts_is_two_notes(api: Api, owner: User, intruder: User, note: dict[str, Any]) -> None:
    # When another user creates a note with the same id
    reply = api.call("notes_create", intruder, body={"id": note["id"], "title": "mine", "content": "mine"})

    # Then it is that user's own note, and the owner's is untouched
    assert reply.status == 201
    assert reply.body["content"] == "mine"
    _unchanged(api, owner, note)


def test_a_cursor_from_another_account_reveals_nothing(api: Api, owner: User, intruder: User) -> None:
    api.call("notes_create", owner, body={"id": str(uuid.uuid4()), "title": "a", "content": "b"})
    cursor = api.call("sync_pull", owner, query={}).body["cursor"]

    reply = api.call("sync_pull", intruder, query={"cursor": cursor})

    assert reply.status == 200
    assert reply.body["changes"] == []
