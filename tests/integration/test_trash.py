"""The trash: `trashed` is a note field like title and content, set, merged and synced the same way;
trashed notes leave the default list for their own, and keep everything until purged."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import Api, Reply, User
from tests.support.media import PNG, Workers, post_upload


def _create(api: Api, user: User, title: str = "t") -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_create", user, body={"title": title, "content": "c"}).body
    return body


def _patch(api: Api, user: User, note: dict[str, Any], body: dict[str, Any], base: int | None = None) -> Reply:
    version = note["version"] if base is None else base
    return api.call("notes_update", user, note_id=note["id"], body=body, headers={"if-match": f'"{version}"'})


def _listed(api: Api, user: User, **query: str) -> list[str]:
    return [note["id"] for note in api.call("notes_list", user, query=query).body["notes"]]


def test_trashing_moves_a_note_out_of_the_list_into_the_trash_whole(api: Api, user: User) -> None:
    # Given two notes
    kept, trashed = _create(api, user, "kept"), _create(api, user, "to trash")

    # When one is trashed
    before = datetime.now(UTC)
    reply = _patch(api, user, trashed, {"trashed": True})

    # Then it is answered trashed, with when (server clock); the list leaves it out, the trash has
    # it, and it is still read whole, with its text
    assert reply.status == 200
    assert (reply.body["trashed"], reply.body["title"], reply.body["version"]) == (True, "to trash", 2)
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(reply.body["trashed_at"]) <= datetime.now(UTC)
    assert _listed(api, user) == [kept["id"]]
    assert _listed(api, user, trashed="true") == [trashed["id"]]
    got = api.call("notes_get", user, note_id=trashed["id"])
    assert (got.status, got.body["trashed"], got.body["content"]) == (200, True, "c")


def test_restoring_puts_it_back_in_the_list(api: Api, user: User) -> None:
    note = _create(api, user)
    trashed = _patch(api, user, note, {"trashed": True}).body

    restored = _patch(api, user, trashed, {"trashed": False})

    assert (restored.body["trashed"], restored.body["trashed_at"]) == (False, None)
    assert _listed(api, user) == [note["id"]]
    assert _listed(api, user, trashed="true") == []


def test_the_feed_carries_trashing_and_restoring_like_any_change(api: Api, user: User) -> None:
    note = _create(api, user)
    cursor = api.call("sync_pull", user, query={}).body["cursor"]

    _patch(api, user, note, {"trashed": True})
    changes = api.call("sync_pull", user, query={"cursor": cursor}).body["changes"]

    assert [(change["id"], change["trashed"], change["version"]) for change in changes] == [(note["id"], True, 2)]


def test_a_batch_update_and_a_push_trash_too_and_a_push_can_create_in_the_trash(api: Api, user: User) -> None:
    # Given two notes
    first, second = _create(api, user), _create(api, user)
    created = str(uuid.uuid4())

    # When a batch trashes one, and a push trashes the other and creates a note already trashed
    batch = api.call("notes_batch", user, body={"update": [{"id": first["id"], "base_version": 1, "trashed": True}]})
    push = api.call(
        "sync_push",
        user,
        body={
            "changes": [
                {"op": "upsert", "id": second["id"], "base_version": 1, "trashed": True},
                {"op": "upsert", "id": created, "base_version": None, "title": "t", "content": "c", "trashed": True},
            ]
        },
    )

    # Then all three are in the trash, most recently trashed first
    assert batch.body["results"][0]["status"] == "updated"
    assert [result["status"] for result in push.body["results"]] == ["applied", "applied"]
    assert _listed(api, user, trashed="true") == [created, second["id"], first["id"]]
    assert _listed(api, user) == []


def test_trashing_on_one_device_and_editing_on_another_both_apply(api: Api, user: User) -> None:
    # Given a note both devices hold at version 1
    note = _create(api, user)

    # When one device trashes it and the other, still on version 1, edits its content
    _patch(api, user, note, {"trashed": True}, base=1)
    edited = _patch(api, user, note, {"content": "edited elsewhere"}, base=1)

    # Then both apply: the note is in the trash with the new content
    assert edited.status == 200
    assert (edited.body["trashed"], edited.body["content"], edited.body["version"]) == (True, "edited elsewhere", 3)


def test_trashing_it_again_from_a_stale_version_is_answered_as_it_stands(api: Api, user: User) -> None:
    # Given a note trashed by one device
    note = _create(api, user)
    trashed = _patch(api, user, note, {"trashed": True}, base=1).body

    # When another device, still on version 1, trashes it too
    again = _patch(api, user, note, {"trashed": True}, base=1)

    # Then nothing changes: it is where that device wanted it
    assert (again.status, again.body["version"], again.body["trashed_at"]) == (200, 2, trashed["trashed_at"])


def test_restoring_from_a_version_before_the_trashing_is_a_conflict(api: Api, user: User) -> None:
    # Given a note trashed at version 2, restored at 3, and trashed again at 4
    note = _create(api, user)
    for version, trashed in ((1, True), (2, False), (3, True)):
        _patch(api, user, note, {"trashed": trashed}, base=version)

    # When a device still on version 2 restores it
    stale = _patch(api, user, note, {"trashed": False}, base=2)

    # Then it is a conflict on trashed, answered with the server's note
    assert stale.status == 412
    assert stale.body["conflicting_fields"] == ["trashed"]
    assert stale.body["note"]["trashed"] is True


def test_the_trash_is_paged_most_recently_trashed_first(api: Api, user: User) -> None:
    notes = [_create(api, user, str(n)) for n in range(3)]
    for note in notes:
        _patch(api, user, note, {"trashed": True})

    first = api.call("notes_list", user, query={"trashed": "true", "limit": "2"}).body
    second = api.call("notes_list", user, query={"trashed": "true", "limit": "2", "cursor": first["next_cursor"]}).body

    assert [n["title"] for n in first["notes"]] == ["2", "1"]
    assert [n["title"] for n in second["notes"]] == ["0"]
    assert second["next_cursor"] is None


def test_a_cursor_of_one_list_is_not_a_cursor_of_the_other(api: Api, user: User) -> None:
    for _ in range(2):
        _patch(api, user, _create(api, user), {"trashed": True})
        _create(api, user)
    live_cursor = api.call("notes_list", user, query={"limit": "1"}).body["next_cursor"]

    reply = api.call("notes_list", user, query={"trashed": "true", "cursor": live_cursor})

    assert reply.status == 400


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", ""])
def test_trashed_is_true_or_false(api: Api, user: User, value: str) -> None:
    assert api.call("notes_list", user, query={"trashed": value}).status == 400


def test_a_trashed_note_keeps_its_images_and_its_revisions(api: Api, workers: Workers, user: User) -> None:
    # Given a note with a ready image and two revisions
    note = _create(api, user)
    upload = api.call(
        "media_request_upload", user, note_id=note["id"], body={"content_type": "image/png", "size": len(PNG)}
    )
    assert post_upload(upload.body["upload"], PNG) == 204
    workers.drain()
    note = _patch(api, user, api.call("notes_get", user, note_id=note["id"]).body, {"content": "c2"}).body

    # When it is trashed
    trashed = _patch(api, user, note, {"trashed": True}).body

    # Then its image is still ready, with a link, and its revisions are all there
    assert [media["status"] for media in trashed["media"]] == ["ready"]
    image = api.call("media_get", user, note_id=note["id"], media_id=upload.body["media_id"]).body
    assert "url" in image
    revisions = api.call("notes_revisions", user, note_id=note["id"], query={}).body["revisions"]
    assert [revision["preview"] for revision in revisions] == ["c2", "c"]


def test_another_users_trash_is_not_yours(api: Api, user: User) -> None:
    # Given a user with a note in the trash
    note = _create(api, user)
    _patch(api, user, note, {"trashed": True})
    intruder = api.new_user()

    # When another user lists the trash, or trashes or restores that note
    listed = api.call("notes_list", intruder, query={"trashed": "true"}).body["notes"]
    restored = api.call(
        "notes_update", intruder, note_id=note["id"], body={"trashed": False}, headers={"if-match": '"2"'}
    )

    # Then they see and change nothing
    assert listed == []
    assert restored.status == 404
    assert api.call("notes_get", user, note_id=note["id"]).body["trashed"] is True


def test_emptying_the_trash_starts_the_purge_of_the_callers_trash_up_to_now(api: Api, user: User) -> None:
    # Given a user with a note in the trash
    note = _create(api, user)
    _patch(api, user, note, {"trashed": True})
    sfn = api.stack.client("stepfunctions")

    # When the user empties the trash, and asks again (a retry after a lost answer)
    first = api.call("trash_empty", user)
    again = api.call("trash_empty", user)

    # Then both are accepted as the same purge: one execution, of this user's trash up to now
    assert (first.status, again.status) == (202, 202)
    assert first.body == again.body
    described = sfn.describe_execution(
        executionArn=api.stack.ref("PurgeTrashStateMachine").replace(":stateMachine:", ":execution:")
        + f":{first.body['purge_id']}"
    )
    assert described["input"] == f'{{"user_id": "{user.user_id}", "up_to_seq": 2}}'  # created at 1, trashed at 2
