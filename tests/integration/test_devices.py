"""Devices that name themselves (`device_id` in push and batch bodies, the Device-Id header of
PATCH): a change a device sends again on an old base version after its answer was lost, with later
edits folded in, is judged against what that device last sent. It never conflicts with itself,
never doubles its own words, and never overwrites or loses what other devices wrote meanwhile."""

import uuid
from typing import Any

import pytest

from tests.support.api import Api, Reply, User

PHONE, LAPTOP = "phone-1", "laptop-2"
LINES = "omicron epsilon rho\nalpha beta gamma\n"
# The case: the phone's push inserted 東京16 and xi39 (applied, answer lost), then the
# phone deleted "omicron" and sent its text on the old base.
FIRST_EDIT = "omicron 東京16 epsilon xi39 rho\nalpha beta gamma\n"
FOLDED_EDIT = "東京16 epsilon xi39 rho\nalpha beta gamma\n"


def _push(api: Api, user: User, *changes: dict[str, Any], device: str | None = PHONE) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"changes": list(changes)} | ({"device_id": device} if device else {})
    reply = api.call("sync_push", user, body=body)
    assert reply.status == 200, reply.body
    results: list[dict[str, Any]] = reply.body["results"]
    return results


def _upsert(note_id: str, base: int | None, **fields: Any) -> dict[str, Any]:
    return {"op": "upsert", "id": note_id, "base_version": base, **fields}


def _created(api: Api, user: User, content: str = LINES, device: str | None = PHONE) -> str:
    note_id = str(uuid.uuid4())
    (result,) = _push(api, user, _upsert(note_id, None, title="t", content=content), device=device)
    assert (result["status"], result["note"]["version"]) == ("applied", 1)
    return note_id


def _note(api: Api, user: User, note_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_get", user, note_id=note_id).body
    return body


def _batch(api: Api, user: User, body: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api.call("notes_batch", user, body=body)
    assert reply.status == 200, reply.body
    results: list[dict[str, Any]] = reply.body["results"]
    return results


def _patch(api: Api, user: User, note_id: str, base: int, device: str | None, **fields: Any) -> Reply:
    headers = {"if-match": f'"{base}"'} | ({"device-id": device} if device else {})
    return api.call("notes_update", user, note_id=note_id, body=fields, headers=headers)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("device", ["", "x" * 65, "has space", "é", "a/b", "abc\n", 7, True])
def test_a_push_or_batch_device_id_that_is_not_1_to_64_of_the_allowed_characters_is_422(
    api: Api, user: User, device: Any
) -> None:
    change = _upsert(str(uuid.uuid4()), None, title="t", content="c")

    pushed = api.call("sync_push", user, body={"changes": [change], "device_id": device})
    batched = api.call("notes_batch", user, body={"create": [{"title": "t", "content": "c"}], "device_id": device})

    for reply in (pushed, batched):
        assert (reply.status, reply.problem_type) == (422, "validation-error")
        assert [error["pointer"] for error in reply.body["errors"]] == ["/device_id"]
    assert _pull_ids(api, user) == []  # nothing was written


@pytest.mark.parametrize("device", ["", "x" * 65, "has space", "a/b", "ü"])
def test_a_patch_device_id_header_that_is_not_valid_is_422_naming_the_header(api: Api, user: User, device: str) -> None:
    note_id = _created(api, user)

    reply = api.call(
        "notes_update",
        user,
        note_id=note_id,
        body={"content": "changed"},
        headers={"if-match": '"1"', "device-id": device},
    )

    assert (reply.status, reply.problem_type) == (422, "validation-error")
    assert reply.body["errors"] == [{"header": "Device-Id", "detail": "1 to 64 characters of A-Z a-z 0-9 _ -"}]
    assert _note(api, user, note_id)["version"] == 1


def test_a_device_id_of_64_allowed_characters_is_accepted_everywhere(api: Api, user: User) -> None:
    device = "Az09_-" * 10 + "abcd"
    note_id = _created(api, user, device=device)

    batched = _batch(api, user, {"update": [{"id": note_id, "base_version": 1, "title": "b"}], "device_id": device})
    patched = _patch(api, user, note_id, 2, device, title="c")

    assert batched[0]["status"] == "updated"
    assert (patched.status, patched.body["version"]) == (200, 3)


def _pull_ids(api: Api, user: User) -> list[str]:
    return [change["id"] for change in api.call("sync_pull", user, query={}).body["changes"]]


# ---------------------------------------------------------------- lost answers
def test_a_device_that_folded_an_edit_into_a_change_whose_answer_it_lost_never_doubles_its_words(
    api: Api, user: User
) -> None:
    # Given the phone's push of 東京16 and xi39 on version 1, applied (version 2), its answer lost
    note_id = _created(api, user)
    (lost,) = _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT))
    assert (lost["status"], lost["note"]["version"]) == ("applied", 2)

    # When the phone deletes "omicron" and sends its text, still on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, content=FOLDED_EDIT))

    # Then its text is the note's, exactly: 東京16 once (no merge was needed: only the phone wrote)
    assert result["status"] == "applied"
    assert (result["note"]["content"], result["note"]["version"]) == (FOLDED_EDIT, 3)
    assert "merged_fields" not in result
    assert _note(api, user, note_id)["content"] == FOLDED_EDIT


def test_a_device_that_empties_a_text_it_filled_in_a_lost_push_gets_the_empty_text(api: Api, user: User) -> None:
    # Given a note created empty, whose content the phone set to "xy" in a push whose answer it lost
    note_id = _created(api, user, content="")
    _push(api, user, _upsert(note_id, 1, content="xy"))

    # When the phone, having emptied it again, sends "" on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, content=""))

    # Then the deletion is in: the content is empty
    assert (result["status"], result["note"]["content"]) == ("applied", "")


def test_the_exact_replay_of_a_lost_push_answers_applied_with_nothing_doubled(api: Api, user: User) -> None:
    note_id = _created(api, user)
    first = _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT))
    other = _created(api, user)  # something else written since: the replay is judged change by change

    again = _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT), _upsert(other, 1, title="x"))

    assert (again[0]["status"], again[0]["note"]["content"]) == ("applied", FIRST_EDIT)
    assert again[0]["note"]["version"] == first[0]["note"]["version"] == 2


def test_a_device_never_conflicts_with_its_own_lost_change_of_a_title(api: Api, user: User) -> None:
    # Given the phone's title change on version 1, applied, its answer lost
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, title="first"))

    # When the phone changes the title again and the content too, still on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, title="second", content="new text"))

    # Then both apply: the title it changed since is its own
    assert result["status"] == "applied"
    assert (result["note"]["title"], result["note"]["content"]) == ("second", "new text")


def test_fields_a_device_sends_again_unchanged_leave_what_others_wrote_since(api: Api, user: User) -> None:
    # Given the phone's title change, applied (answer lost), then the laptop's title and trash
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, title="phone title"))
    laptop = _push(api, user, _upsert(note_id, 2, title="laptop title", trashed=True), device=LAPTOP)
    assert laptop[0]["note"]["version"] == 3

    # When the phone folds a content edit into its unanswered change: the same title, on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, title="phone title", content="phone text"))

    # Then its content applies and the laptop's title and trash stay: the phone did not change them
    assert result["status"] == "applied"
    note = result["note"]
    assert (note["title"], note["content"], note["trashed"]) == ("laptop title", "phone text", True)


def test_a_device_still_conflicts_with_another_devices_change_of_the_same_field(api: Api, user: User) -> None:
    # Given the phone's title change (answer lost), then the laptop's, made on top of it
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, title="phone title"))
    _push(api, user, _upsert(note_id, 2, title="laptop title"), device=LAPTOP)

    # When the phone changes the title again, on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, title="phone again"))

    # Then that is the conflict it always was: the laptop's title is not overwritten
    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["title"])
    assert _note(api, user, note_id)["title"] == "laptop title"


def test_a_merged_change_of_a_device_then_its_folded_change_keep_every_word_once(api: Api, user: User) -> None:
    # Given the laptop's edit of the second line (version 2), and the phone's edit of the first on
    # version 1, merged with it (version 3), the phone's answer lost
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, content="omicron epsilon rho\nalpha beta gamma delta\n"), device=LAPTOP)
    (merged,) = _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT))
    assert merged["merged_fields"] == ["content"]
    assert merged["note"]["content"] == "omicron 東京16 epsilon xi39 rho\nalpha beta gamma delta\n"

    # When the phone deletes "omicron" and sends its text on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, content=FOLDED_EDIT))

    # Then its edit merges with the note as it stands: the laptop's word kept, the phone's once
    assert (result["status"], result["merged_fields"]) == ("applied", ["content"])
    assert result["note"]["content"] == "東京16 epsilon xi39 rho\nalpha beta gamma delta\n"


def test_a_device_that_folds_edits_into_its_unanswered_create_updates_the_note(api: Api, user: User) -> None:
    # Given the phone's create, applied, its answer lost; then the laptop trashed the note
    note_id = str(uuid.uuid4())
    create = _upsert(note_id, None, title="t", content="draft")
    _push(api, user, create)
    _push(api, user, _upsert(note_id, 1, trashed=True), device=LAPTOP)

    # When the phone sends its create again with the text it wrote since
    (result,) = _push(api, user, create | {"content": "draft, finished"})

    # Then it is an update of the note: its text, and the laptop's trash kept (the phone never
    # changed `trashed`: the create's false is what it sent before)
    assert result["status"] == "applied"
    note = result["note"]
    assert (note["content"], note["trashed"], note["version"]) == ("draft, finished", True, 3)


def test_a_create_sent_again_unchanged_after_others_edited_is_answered_as_applied(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())
    create = _upsert(note_id, None, title="t", content="draft")
    _push(api, user, create)
    _push(api, user, _upsert(note_id, 1, content="the laptop's text"), device=LAPTOP)

    result, _ = _push(api, user, create, _upsert(str(uuid.uuid4()), None, title="x", content="y"))

    assert (result["status"], result["note"]["content"], result["note"]["version"]) == (
        "applied",
        "the laptop's text",
        2,
    )


def test_a_device_deletes_on_an_old_base_what_only_it_changed_since(api: Api, user: User) -> None:
    # Given the phone's content edit on version 1, applied, its answer lost
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT))

    # When the phone deletes the note, on version 1
    (result,) = _push(api, user, {"op": "delete", "id": note_id, "base_version": 1})

    # Then it is deleted: nothing changed since but the phone's own edit
    assert (result["status"], result["note"]["deleted"]) == ("applied", True)


def test_a_device_delete_never_drops_words_it_did_not_see(api: Api, user: User) -> None:
    # Given the phone's edit merged with the laptop's (answer lost): the laptop's words the phone never saw
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, content="omicron epsilon rho\nalpha beta gamma delta\n"), device=LAPTOP)
    _push(api, user, _upsert(note_id, 1, content=FIRST_EDIT))

    # When the phone deletes the note on version 1
    (result,) = _push(api, user, {"op": "delete", "id": note_id, "base_version": 1})

    # Then that is a conflict on the content: the laptop's words are not deleted unseen
    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["content"])


def test_an_edit_made_before_the_devices_own_delete_is_answered_as_the_replay_it_is(api: Api, user: User) -> None:
    # Given the phone's outbox: an edit, then the delete of the note, pushed and applied, the answer lost
    note_id = _created(api, user)
    outbox = [_upsert(note_id, 1, content="edited"), {"op": "delete", "id": note_id, "base_version": 1}]
    _push(api, user, *outbox)

    # When it pushes the outbox again, with a change it made since
    results = _push(api, user, *outbox, _upsert(str(uuid.uuid4()), None, title="new", content="note"))

    # Then the edit and the delete are applied (the tombstone answers both): no conflict with itself
    assert [(r["status"], r["note"]["deleted"]) for r in results[:2]] == [("applied", True), ("applied", True)]


def test_another_device_does_not_inherit_what_a_device_sent(api: Api, user: User) -> None:
    # Given the phone's title change, applied
    note_id = _created(api, user)
    _push(api, user, _upsert(note_id, 1, title="phone title"))

    # When the laptop, on version 1, changes the title
    (result,) = _push(api, user, _upsert(note_id, 1, title="laptop title"), device=LAPTOP)

    # Then it conflicts: the phone's change is not the laptop's
    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["title"])


def test_without_device_id_a_change_on_an_old_base_is_judged_as_before(api: Api, user: User) -> None:
    # Given a title change on version 1 from an app that does not name its device
    note_id = _created(api, user, device=None)
    _push(api, user, _upsert(note_id, 1, title="first"), device=None)

    # When it sends another title change on version 1
    (result,) = _push(api, user, _upsert(note_id, 1, title="second"), device=None)

    # Then it is the conflict it always was
    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["title"])


def test_a_batch_names_its_device_too(api: Api, user: User) -> None:
    # Given the phone's batch create, then its batch edit on version 1, applied, its answer lost
    note_id = str(uuid.uuid4())
    _batch(api, user, {"create": [{"id": note_id, "title": "t", "content": LINES}], "device_id": PHONE})
    _batch(api, user, {"update": [{"id": note_id, "base_version": 1, "content": FIRST_EDIT}], "device_id": PHONE})

    # When the phone sends its folded edit on version 1
    (result,) = _batch(
        api, user, {"update": [{"id": note_id, "base_version": 1, "content": FOLDED_EDIT}], "device_id": PHONE}
    )

    # Then it applies, exactly
    assert (result["status"], result["note"]["content"]) == ("updated", FOLDED_EDIT)


def test_an_outbox_sent_again_with_a_change_more_applies_each_change_in_order(api: Api, user: User) -> None:
    # Given the phone's outbox of a create and two edits of the note, applied, the answer lost
    note_id = str(uuid.uuid4())
    outbox = [
        _upsert(note_id, None, title="t", content=LINES),
        _upsert(note_id, 1, content=FIRST_EDIT),
        _upsert(note_id, 1, title="titled"),
    ]
    _push(api, user, *outbox)

    # When it sends the outbox again with a change it made since (not the same push: judged change by change)
    results = _push(api, user, *outbox, _upsert(note_id, 1, content=FOLDED_EDIT))

    # Then every change applies, each judged against the one before it: the note holds the last text
    assert [result["status"] for result in results] == ["applied"] * 4
    note = _note(api, user, note_id)
    assert (note["title"], note["content"]) == ("titled", FOLDED_EDIT)


def test_a_patch_names_its_device_with_the_device_id_header(api: Api, user: User) -> None:
    note_id = _created(api, user)
    assert _patch(api, user, note_id, 1, PHONE, content=FIRST_EDIT).status == 200  # its answer lost

    reply = _patch(api, user, note_id, 1, PHONE, content=FOLDED_EDIT)

    assert (reply.status, reply.body["content"], reply.headers["etag"]) == (200, FOLDED_EDIT, '"3"')


def test_a_retry_after_another_device_superseded_the_edit_is_applied_with_the_newer_value(api: Api, user: User) -> None:
    # Given the phone's title change (answer lost), then the laptop's, made on top of it
    note_id = _created(api, user)
    change = _upsert(note_id, 1, title="phone title")
    _push(api, user, change)
    _push(api, user, _upsert(note_id, 2, title="laptop title"), device=LAPTOP)

    # When the phone retries its change, with another change (not the same push)
    result, _ = _push(api, user, change, _upsert(str(uuid.uuid4()), None, title="n", content="c"))

    # Then it is answered applied (it was, once), with the laptop's newer title, which stays
    assert (result["status"], result["note"]["title"], result["note"]["version"]) == ("applied", "laptop title", 3)
