"""The rules of the write side of the sync protocol, without AWS: how each change is judged
against the note as it stands, and how writes are grouped into transactions."""

import pytest

from notes_core.data import table
from notes_core.domain.note import FieldValue, Note, new_note
from notes_core.engine import changes

NOW = "2026-11-25T12:00:00.000Z"
EXPIRES = 2_000_000_000
TRASH_SECONDS = 30 * 86400


def _note(**fields: object) -> Note:
    """A note at version 3 whose title last changed at 2 and content at 3."""
    base = new_note("user", "note", "title", "content", seq=1, now=NOW)
    base = base.with_fields({"title": "title2"}, seq=2, now=NOW, trash_seconds=TRASH_SECONDS)
    base = base.with_fields({"content": "content3"}, seq=3, now=NOW, trash_seconds=TRASH_SECONDS)
    assert (base.version, base.field_versions) == (3, {"title": 2, "content": 3, "trashed": 1})
    return Note(**{**base.__dict__, **fields})


CLOCK = changes._Clock(
    now=NOW,
    epoch=1_764_000_000,
    tombstone_expires_at=EXPIRES,
    trash_seconds=TRASH_SECONDS,
    revision_expires_at=EXPIRES,
    revision_slots=100,
)


def _judge(change: changes.Change, current: Note | None) -> tuple[changes.Outcome, table.NoteWrite | None]:
    return changes._judge_one("user", change, current, 10, CLOCK)


def test_a_create_writes_version_1_and_must_not_exist_yet() -> None:
    outcome, write = _judge(changes.Create("note", "t", "c"), None)

    assert outcome.status is changes.Status.CREATED
    assert write is not None
    assert (write.note.version, write.note.seq, write.expected_version) == (1, 10, None)


def test_a_repeated_create_is_a_replay_and_other_content_a_conflict() -> None:
    current = new_note("user", "note", "t", "c", seq=1, now=NOW)

    replay, no_write = _judge(changes.Create("note", "t", "c"), current)
    conflict, no_write_either = _judge(changes.Create("note", "t", "other"), current)

    assert (replay.status, replay.replayed, no_write) == (changes.Status.CREATED, True, None)
    assert (conflict.status, no_write_either) == (changes.Status.CONFLICT, None)


@pytest.mark.parametrize(
    ("base", "fields", "status", "conflicting"),
    [
        (3, {"content": "mine"}, changes.Status.UPDATED, ()),
        (2, {"title": "mine"}, changes.Status.UPDATED, ()),  # content changed at 3: disjoint, merges
        (1, {"title": "mine"}, changes.Status.CONFLICT, ("title",)),  # title changed at 2
        (2, {"content": "mine"}, changes.Status.CONFLICT, ("content",)),
        (1, {"title": "title2", "content": "content3"}, changes.Status.UPDATED, ()),  # already so: a replay
        (1, {"title": "title2", "content": "mine"}, changes.Status.CONFLICT, ("content",)),
        (4, {"title": "mine"}, changes.Status.CONFLICT, ("title",)),  # a version the server never had
    ],
)
def test_an_update_merges_disjoint_fields_and_conflicts_on_changed_ones(
    base: int, fields: dict[str, FieldValue], status: changes.Status, conflicting: tuple[str, ...]
) -> None:
    outcome, write = _judge(changes.Update("note", base, fields), _note())

    assert outcome.status is status
    assert outcome.conflicting_fields == conflicting
    if status is changes.Status.CONFLICT:
        assert write is None
        assert outcome.note == _note()


def test_an_applied_update_bumps_the_version_of_the_fields_it_changed() -> None:
    _outcome, write = _judge(changes.Update("note", 2, {"title": "mine", "content": "content3"}), _note())

    assert write is not None
    assert write.expected_version == 3
    assert write.note.version == 4
    assert write.note.field_versions == {"title": 4, "content": 3, "trashed": 1}
    assert (write.note.title, write.note.content) == ("mine", "content3")


def test_updates_of_missing_or_deleted_notes_are_not_found() -> None:
    tombstone = _note().tombstone(seq=4, now=NOW, expires_at=EXPIRES)

    assert _judge(changes.Update("note", 3, {"title": "x"}), None)[0].status is changes.Status.NOT_FOUND
    assert _judge(changes.Update("note", 3, {"title": "x"}), tombstone)[0].note == tombstone


def test_a_delete_purges_and_expires_and_a_second_delete_is_a_replay() -> None:
    _outcome, write = _judge(changes.Delete("note", 3), _note())
    assert write is not None
    tombstone = write.note

    again, no_write = _judge(changes.Delete("note", 3), tombstone)

    assert (tombstone.title, tombstone.content, tombstone.deleted, tombstone.version) == ("", "", True, 4)
    assert tombstone.expires_at == EXPIRES
    assert (again.status, again.replayed, no_write) == (changes.Status.DELETED, True, None)


def test_a_delete_based_on_a_version_before_a_field_change_is_a_conflict() -> None:
    outcome, write = _judge(changes.Delete("note", 2), _note())

    assert (outcome.status, outcome.conflicting_fields, write) == (changes.Status.CONFLICT, ("content",), None)
    assert _judge(changes.Delete("note", None), _note())[0].status is changes.Status.DELETED


def _steps(*note_ids_and_sizes: tuple[str, int]) -> list[changes._Step]:
    steps = []
    for index, (note_id, size) in enumerate(note_ids_and_sizes):
        note = new_note("user", note_id, "", "x" * size, seq=index + 1, now=NOW)
        steps.append(changes._Step(index, changes.Outcome(changes.Status.CREATED, note), table.NoteWrite(note, None)))
    return steps


def test_99_notes_fit_one_transaction_and_the_100th_starts_another() -> None:
    chunks = list(changes._transactions(_steps(*((str(n), 10) for n in range(100)))))

    assert [len(chunk) for chunk in chunks] == [99, 1]


def test_a_note_written_twice_goes_into_two_transactions_in_order() -> None:
    chunks = list(changes._transactions(_steps(("a", 1), ("b", 1), ("a", 1), ("c", 1))))

    assert [[step.index for step in chunk] for chunk in chunks] == [[0, 1], [2, 3]]


def test_transactions_stay_under_the_size_limit() -> None:
    chunks = list(changes._transactions(_steps(*((str(n), 390_000) for n in range(20)))))

    assert all(
        sum(step.write.size() for step in chunk if step.write) <= changes.MAX_TRANSACTION_BYTES for chunk in chunks
    )
    assert sum(len(chunk) for chunk in chunks) == 20
