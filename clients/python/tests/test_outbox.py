"""The outbox state machine (sync guide, "The outbox, step by step"), on the store alone: the
answers are written as the server answers them (docs/openapi.json, PushResult)."""

import json
from pathlib import Path
from typing import Any

import pytest

from notes_sync_client.models import TAKE_SERVER, Conflict, Resolution, SyncReport, keep_device_text, merged
from notes_sync_client.store import Store

DEVICE = "device-1"


def server_note(note_id: str, version: int, title: str = "t", content: str = "c", **more: Any) -> dict[str, Any]:
    return {
        "id": note_id,
        "title": title,
        "content": content,
        "version": version,
        "deleted": more.get("deleted", False),
        "trashed": more.get("trashed", False),
        "trashed_at": None,
        "created_at": "2026-11-25T11:30:00.123Z",
        "updated_at": "2026-11-25T11:30:00.123Z",
        "media": [],
    }


def applied(note: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"id": note["id"], "status": "applied", "note": note, **more}


def conflict(note: dict[str, Any] | None, note_id: str, fields: list[str], **more: Any) -> dict[str, Any]:
    result = {"id": note_id, "status": "conflict", "conflicting_fields": fields, **more}
    return result | ({"note": note} if note is not None else {"note_omitted": True})


def changes(body: str | None) -> list[dict[str, Any]]:
    assert body is not None
    sent: list[dict[str, Any]] = json.loads(body)["changes"]
    return sent


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.sqlite3")


def test_an_edit_before_the_first_push_folds_into_the_create(store: Store) -> None:
    # Given a note created on the device and edited before any push
    note_id = store.create("Plan", "draft")
    store.edit(note_id, {"content": "draft 2"})

    # When the push is made
    sent = changes(store.push_body(DEVICE))

    # Then one create carries the edit
    assert sent == [{"op": "create", "id": note_id, "title": "Plan", "content": "draft 2"}]


def test_a_note_created_and_deleted_before_its_first_push_sends_nothing(store: Store) -> None:
    note_id = store.create("Plan", "draft")

    store.delete(note_id)

    assert store.push_body(DEVICE) is None
    assert store.note(note_id) is None


def test_an_edit_while_the_create_is_in_flight_goes_on_top_based_on_version_1(store: Store) -> None:
    # Given a create sent, its answer not there yet
    note_id = store.create("Plan", "draft")
    first = store.push_body(DEVICE)

    # When the note is edited meanwhile
    store.edit(note_id, {"content": "draft 2"})

    # Then the push in flight is unchanged and sent again byte for byte; the edit waits, on version 1
    assert store.push_body(DEVICE) == first
    store.finish_push([applied(server_note(note_id, 1, "Plan", "draft"))], keep_device_text, SyncReport())
    assert changes(store.push_body(DEVICE)) == [
        {"op": "update", "id": note_id, "base_version": 1, "content": "draft 2"}
    ]


def test_the_push_in_flight_survives_the_process(tmp_path: Path) -> None:
    # Given a push made (kept, then the process died before or after sending it)
    store = Store(tmp_path / "state.sqlite3")
    note_id = store.create("Plan", "draft")
    body = store.push_body(DEVICE)
    store.close()

    # When the profile is opened again and an edit is made before syncing
    again = Store(tmp_path / "state.sqlite3")
    again.edit(note_id, {"title": "Plan B"})

    # Then the same body is sent first, and the edit only after its answer
    assert again.push_body(DEVICE) == body
    assert [entry.state for entry in again.outbox()] == ["in_flight", "pending"]


def test_edits_of_a_change_in_flight_stack_on_the_same_base(store: Store) -> None:
    # Given a note at version 3 on the device, an edit of it in flight
    note_id = store.create("Plan", "v1")
    store.push_body(DEVICE)
    store.finish_push([applied(server_note(note_id, 3, "Plan", "v3"))], keep_device_text, SyncReport())
    store.edit(note_id, {"content": "v3 + a"})
    store.push_body(DEVICE)

    # When two more edits are made
    store.edit(note_id, {"content": "v3 + a + b"})
    store.edit(note_id, {"title": "New"})

    # Then they fold into one pending change on top, on the base the device had (3), never into the one in flight
    pending = [entry for entry in store.outbox() if entry.state == "pending"]
    assert [(e.base_version, e.fields) for e in pending] == [(3, {"content": "v3 + a + b", "title": "New"})]


def test_an_answer_with_later_edits_waiting_keeps_the_devices_text(store: Store) -> None:
    note_id = store.create("Plan", "one")
    store.push_body(DEVICE)
    store.edit(note_id, {"content": "one two"})

    store.finish_push([applied(server_note(note_id, 1, "Plan", "one"))], keep_device_text, SyncReport())

    note = store.note(note_id)
    assert note is not None
    assert (note.content, note.version) == ("one two", None)


def test_an_answer_with_nothing_waiting_becomes_the_devices_copy(store: Store) -> None:
    note_id = store.create("Plan", "one")
    store.push_body(DEVICE)

    store.finish_push([applied(server_note(note_id, 1, "Plan", "one merged"))], keep_device_text, SyncReport())

    note = store.note(note_id)
    assert note is not None
    assert (note.content, note.version, store.outbox()) == ("one merged", 1, [])


def _at_version_3(store: Store) -> str:
    note_id = store.create("Plan", "base")
    store.push_body(DEVICE)
    store.finish_push([applied(server_note(note_id, 3, "Plan", "base"))], keep_device_text, SyncReport())
    return note_id


def test_a_conflict_keeps_the_devices_text_as_a_new_edit_on_the_servers_version(store: Store) -> None:
    # Given an edit answered with a conflict: the server's copy is at version 5
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)
    seen: list[Conflict] = []

    def handler(found: Conflict) -> Resolution:
        seen.append(found)
        return keep_device_text(found)

    # When the answer arrives
    store.finish_push(
        [conflict(server_note(note_id, 5, "Plan", "theirs"), note_id, ["content"])], handler, SyncReport()
    )

    # Then the app saw both texts, and the device's goes again, based on version 5
    assert [(c.local and c.local.content, c.server.content) for c in seen] == [("mine", "theirs")]
    assert changes(store.push_body(DEVICE)) == [{"op": "update", "id": note_id, "base_version": 5, "content": "mine"}]


def test_a_conflict_resolved_with_the_servers_copy_keeps_the_devices_text_aside(store: Store) -> None:
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)

    server = server_note(note_id, 5, "Plan", "theirs")
    store.finish_push([conflict(server, note_id, ["content"])], lambda _: TAKE_SERVER, SyncReport())

    note = store.note(note_id)
    assert note is not None
    assert (note.content, note.version, store.push_body(DEVICE)) == ("theirs", 5, None)
    assert [(kept.note_id, kept.content) for kept in store.kept_texts()] == [(note_id, "mine")]


def test_a_merge_made_by_the_app_goes_as_a_new_edit(store: Store) -> None:
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)

    server = server_note(note_id, 5, "Plan", "theirs")
    store.finish_push([conflict(server, note_id, ["content"])], lambda _: merged(content="theirs + mine"), SyncReport())

    assert changes(store.push_body(DEVICE)) == [
        {"op": "update", "id": note_id, "base_version": 5, "content": "theirs + mine"}
    ]


def test_a_conflict_with_a_note_deleted_elsewhere_brings_the_text_back_as_a_new_note(store: Store) -> None:
    # Given an edit answered conflict with a tombstone (deleted on another device)
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)
    tombstone = server_note(note_id, 4, "", "", deleted=True)

    # When the answer arrives
    store.finish_push([conflict(tombstone, note_id, ["content"])], keep_device_text, SyncReport())

    # Then the old note is gone here too and the device's text is a new note, created on the next push
    (created,) = changes(store.push_body(DEVICE))
    assert store.note(note_id) is None
    assert created == {"op": "create", "id": created["id"], "title": "Plan", "content": "mine"}
    assert created["id"] != note_id


def test_a_delete_that_met_another_devices_edit_gives_way_to_it(store: Store) -> None:
    note_id = _at_version_3(store)
    store.delete(note_id)
    assert changes(store.push_body(DEVICE)) == [{"op": "delete", "id": note_id, "base_version": 3}]

    server = server_note(note_id, 4, "Plan", "edited elsewhere")
    store.finish_push([conflict(server, note_id, ["content"])], keep_device_text, SyncReport())

    note = store.note(note_id)
    assert note is not None
    assert (note.content, note.deleted, store.push_body(DEVICE)) == ("edited elsewhere", False, None)


def test_a_merge_budget_conflict_is_sent_again_in_a_push_of_its_own(store: Store) -> None:
    # Given two edits pushed together, the first answered merge-budget
    first, second = _at_version_3(store), _at_version_3(store)
    store.edit(first, {"content": "long"})
    store.edit(second, {"content": "other"})
    store.push_body(DEVICE)
    answers = [
        conflict(server_note(first, 4), first, ["content"], conflict_reason="merge-budget"),
        applied(server_note(second, 4, "Plan", "other")),
    ]

    # When the answer arrives, and another edit is made
    store.finish_push(answers, keep_device_text, SyncReport())
    store.edit(second, {"content": "newer"})

    # Then the first change goes again unchanged, alone, before the newer one
    assert changes(store.push_body(DEVICE)) == [{"op": "update", "id": first, "base_version": 3, "content": "long"}]
    store.finish_push([applied(server_note(first, 4, "Plan", "long"))], keep_device_text, SyncReport())
    assert changes(store.push_body(DEVICE)) == [{"op": "update", "id": second, "base_version": 4, "content": "newer"}]


def test_a_conflict_without_its_note_waits_for_the_servers_copy(store: Store) -> None:
    # Given a conflict answered without the note (note_omitted), and an edit made since
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)
    store.finish_push([conflict(None, note_id, ["content"])], keep_device_text, SyncReport())
    store.edit(note_id, {"content": "mine, more"})

    # Then nothing of the note is sent until the copy comes
    assert store.push_body(DEVICE) is None
    assert store.held() == [note_id]

    # When the pull brings the note
    store.apply_page([server_note(note_id, 6, "Plan", "theirs")], "cursor-1", keep_device_text)

    # Then the conflict is resolved on it: the device's text, on version 6
    assert changes(store.push_body(DEVICE)) == [
        {"op": "update", "id": note_id, "base_version": 6, "content": "mine, more"}
    ]


def test_an_applied_answer_without_its_note_keeps_the_copy_until_the_pull(store: Store) -> None:
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})
    store.push_body(DEVICE)

    store.finish_push([{"id": note_id, "status": "applied", "note_omitted": True}], keep_device_text, SyncReport())
    kept = store.note(note_id)
    store.apply_page([server_note(note_id, 4, "Plan", "mine")], "cursor-1", keep_device_text)
    pulled = store.note(note_id)

    assert kept is not None
    assert pulled is not None
    assert (kept.content, kept.version, store.outbox()) == ("mine", 3, [])
    assert (pulled.content, pulled.version) == ("mine", 4)


def test_a_pulled_note_does_not_replace_a_copy_with_changes_waiting(store: Store) -> None:
    note_id = _at_version_3(store)
    store.edit(note_id, {"content": "mine"})

    store.apply_page([server_note(note_id, 4, "Plan", "theirs")], "cursor-1", keep_device_text)

    note = store.note(note_id)
    assert note is not None
    assert (note.content, note.version, store.meta("cursor")) == ("mine", 3, "cursor-1")


def test_a_resync_keeps_unsent_changes_and_drops_notes_the_feed_no_longer_has(store: Store) -> None:
    # Given a note edited here, a note the server forgot, and a note created here, not sent
    edited, forgotten = _at_version_3(store), _at_version_3(store)
    store.edit(edited, {"content": "mine"})
    new = store.create("New", "not sent")

    # When the device resyncs from the beginning and the feed has only the edited note
    store.start_resync()
    store.apply_page([server_note(edited, 7, "Plan", "theirs")], "cursor-9", keep_device_text)
    store.finish_resync()

    # Then the forgotten note is gone, the others and their changes stay
    assert store.note(forgotten) is None
    assert {note.id for note in store.notes()} == {edited, new}
    assert [entry.note_id for entry in store.outbox()] == [edited, new]


def test_the_push_is_at_most_100_changes_oldest_first(store: Store) -> None:
    ids = [store.create(f"n{number}", "c") for number in range(101)]

    first = changes(store.push_body(DEVICE))

    assert [change["id"] for change in first] == ids[:100]
