"""How a change from a device that names itself is judged, without AWS: against what the device
last sent (notes_core.engine.changes, "Devices"), and what the note and its revisions keep of it."""

import time
from typing import Any

import pytest

from notes_core.data import table
from notes_core.domain.note import DEVICES_PER_NOTE, MAX_CONTENT_CHARS, MAX_TITLE_CHARS, Media, Note, Revision
from notes_core.engine import changes
from notes_core.runtime import deadline

PHONE, LAPTOP = "phone", "laptop"
NOW = "2026-11-25T12:00:00.000Z"


class _Judge:
    """Changes judged one after another against the note each leaves, as one request would: its
    clock keeps the revisions written on the way (a fresh clock forgets them, as a new request
    that could not read them would)."""

    def __init__(self) -> None:
        self.clock = changes._Clock(
            now=NOW,
            epoch=1_764_000_000,
            tombstone_expires_at=2_000_000_000,
            trash_seconds=86400,
            revision_expires_at=2_000_000_000,
            revision_slots=100,
        )
        self.note: Note | None = None
        self.seq = 0

    @property
    def current(self) -> Note:
        assert self.note is not None
        return self.note

    def __call__(self, change: changes.Change) -> changes.Outcome:
        self.seq += 1
        outcome, write = changes._judge_one("user", change, self.note, self.seq, self.clock)
        if write is not None:
            self.note = write.note
        return outcome


def _created(content: str = "one two three", device: str = PHONE) -> _Judge:
    judge = _Judge()
    assert judge(changes.Create("note", "title", content, device=device)).status is changes.Status.CREATED
    return judge


def test_a_device_sending_its_text_again_on_the_old_base_gets_it_exactly() -> None:
    # Given the phone's edit on version 1, applied at 2 (its answer lost)
    judge = _created("omicron epsilon rho")
    judge(changes.Update("note", 1, {"content": "omicron 東京16 epsilon xi39 rho"}, PHONE))

    # When it sends its text with "omicron" deleted, on version 1
    outcome = judge(changes.Update("note", 1, {"content": "東京16 epsilon xi39 rho"}, PHONE))

    # Then that is the note's text: nothing merged, nothing doubled
    assert (outcome.status, outcome.merged_fields) == (changes.Status.UPDATED, ())
    assert judge.current.content == "東京16 epsilon xi39 rho"


def test_without_the_device_the_same_change_is_judged_against_its_base_version() -> None:
    judge = _created("omicron epsilon rho")
    judge(changes.Update("note", 1, {"content": "omicron 東京16 epsilon xi39 rho"}))

    outcome = judge(changes.Update("note", 1, {"content": "東京16 epsilon xi39 rho"}))

    # The content changed since version 1: merged with the text at 1 (or refused), as before
    assert outcome.merged_fields == ("content",) or outcome.status is changes.Status.CONFLICT


def test_a_value_equal_to_what_the_device_last_sent_is_not_an_edit_of_it() -> None:
    # Given the phone's title (version 2, answer lost), then the laptop's title (3)
    judge = _created()
    judge(changes.Update("note", 1, {"title": "phone"}, PHONE))
    judge(changes.Update("note", 2, {"title": "laptop"}, LAPTOP))

    # When the phone folds a content edit into its unanswered change
    outcome = judge(changes.Update("note", 1, {"title": "phone", "content": "new"}, PHONE))

    # Then the content applies, the laptop's title stays
    assert outcome.status is changes.Status.UPDATED
    assert (judge.current.title, judge.current.content) == ("laptop", "new")


def test_what_a_device_sent_in_a_merged_change_is_kept_by_its_revision_and_merged_with_next() -> None:
    # Given the laptop's edit of the end (2), and the phone's edit of the start on 1, merged (3)
    judge = _created("one two three four five")
    judge(changes.Update("note", 1, {"content": "one two three four FIVE"}, LAPTOP))
    merged = judge(changes.Update("note", 1, {"content": "ONE two three four five"}, PHONE))
    assert merged.merged_fields == ("content",)
    revision = judge.clock.revisions[("note", 3)]
    assert (revision.content, revision.sent_by, revision.sent_content) == (
        "ONE two three four FIVE",
        PHONE,
        "ONE two three four five",
    )

    # When the phone sends its text again with "two" changed, on version 1
    outcome = judge(changes.Update("note", 1, {"content": "ONE TWO three four five"}, PHONE))

    # Then its change merges with what it sent: the laptop's word kept, the phone's once each
    assert outcome.merged_fields == ("content",)
    assert judge.current.content == "ONE TWO three four FIVE"


def test_a_merged_change_whose_sent_text_is_no_longer_kept_makes_the_next_a_conflict() -> None:
    judge = _created("one two three four five")
    judge(changes.Update("note", 1, {"content": "one two three four FIVE"}, LAPTOP))
    judge(changes.Update("note", 1, {"content": "ONE two three four five"}, PHONE))
    judge.clock.revisions.clear()  # a later request that found no revision (overwritten, expired)

    outcome = judge(changes.Update("note", 1, {"content": "ONE TWO three four five"}, PHONE))

    assert (outcome.status, outcome.conflicting_fields) == (changes.Status.CONFLICT, ("content",))


def test_a_note_remembers_the_devices_that_wrote_last_and_forgets_the_oldest() -> None:
    # Given a note the phone wrote first, then ten other devices
    judge = _created()
    judge(changes.Update("note", 1, {"title": "phone"}, PHONE))
    for number in range(DEVICES_PER_NOTE):
        judge(changes.Update("note", 2 + number, {"trashed": number % 2 == 0}, f"device-{number}"))
    assert len(judge.current.sent) == DEVICES_PER_NOTE
    assert PHONE not in judge.current.sent

    # When the phone sends another title on version 1
    outcome = judge(changes.Update("note", 1, {"title": "phone again"}, PHONE))

    # Then it is judged as a change without device id: the title changed since version 1
    assert (outcome.status, outcome.conflicting_fields) == (changes.Status.CONFLICT, ("title",))


def test_a_change_from_the_device_that_deleted_the_note_is_a_replay_and_from_another_not_found() -> None:
    judge = _created()
    deleted = judge(changes.Delete("note", 1, PHONE))
    assert judge.current.deleted_by == PHONE

    mine = judge(changes.Update("note", 1, {"content": "edited before the delete"}, PHONE))
    theirs = judge(changes.Update("note", 1, {"content": "edited"}, LAPTOP))

    assert (mine.status, mine.replayed, mine.note) == (changes.Status.DELETED, True, deleted.note)
    assert theirs.status is changes.Status.NOT_FOUND


def test_a_create_sent_again_by_its_device_is_judged_as_its_edit() -> None:
    judge = _created("draft")
    judge(changes.Update("note", 1, {"trashed": True}, LAPTOP))

    again = judge(changes.Create("note", "title", "draft", device=PHONE))
    folded = judge(changes.Create("note", "title", "draft, finished", device=PHONE))
    other = judge(changes.Create("note", "title", "something else", device="tablet"))  # never wrote it

    assert (again.status, again.replayed) == (changes.Status.CREATED, True)
    assert folded.status is changes.Status.UPDATED
    assert (judge.current.content, judge.current.trashed) == ("draft, finished", True)
    assert (other.status, other.conflicting_fields) == (changes.Status.CONFLICT, ("content", "trashed"))


def test_a_device_deletes_on_an_old_base_only_what_it_saw() -> None:
    judge = _created("one two three")
    judge(changes.Update("note", 1, {"content": "one two three four"}, PHONE))
    assert judge(changes.Delete("note", 1, PHONE)).status is changes.Status.DELETED

    merged = _created("one two three four five")
    merged(changes.Update("note", 1, {"content": "one two three four FIVE"}, LAPTOP))
    merged(changes.Update("note", 1, {"content": "ONE two three four five"}, PHONE))
    outcome = merged(changes.Delete("note", 1, PHONE))

    assert (outcome.status, outcome.conflicting_fields) == (changes.Status.CONFLICT, ("content",))


# ---------------------------------------------------------------- what the items hold
def _largest_note() -> Note:
    """A note as large as the API lets it be: its text all four-byte characters, five images, and
    the most devices with the longest ids, each remembered for every field."""
    note = Note(
        user_id="u" * 36,
        id="n" * 36,
        title="😀" * MAX_TITLE_CHARS,
        content="😀" * MAX_CONTENT_CHARS,
        created_at=NOW,
        updated_at=NOW,
        version=2**40,
        seq=2**40,
        field_versions={"title": 2**40, "content": 2**40, "trashed": 2**40},
        media=tuple(
            Media(f"{n:036d}", "pending", "image/jpeg", 10 * 2**20, NOW, 2**40, "e" * 34, 10 * 2**20) for n in range(5)
        ),
        text_versions=tuple(range(2**40, 2**40 + 100)),
    )
    for number in range(DEVICES_PER_NOTE):
        note = note.with_sent(f"{number:064d}", {"title": "t", "content": "c", "trashed": True})
    return note


def test_the_largest_note_item_fits_dynamodbs_item_limit() -> None:
    assert table.item_bytes(table.note_item(_largest_note())) <= table.MAX_ITEM_BYTES


def test_a_revision_keeps_the_content_a_device_sent_only_while_its_item_fits() -> None:
    def revision(content: str, sent: str) -> dict[str, Any]:
        kept = Revision("note", 3, NOW, "title", content, 0, sent_by=PHONE, sent_content=sent)
        return table.revision_item("user", kept, 3)

    fits = revision("a" * MAX_CONTENT_CHARS, "b" * MAX_CONTENT_CHARS)
    too_large = revision("😀" * MAX_CONTENT_CHARS, "😃" * MAX_CONTENT_CHARS)

    assert (fits["sent_by"]["S"], len(fits["sent_content"]["S"])) == (PHONE, MAX_CONTENT_CHARS)
    assert not {"sent_by", "sent_content"} & set(too_large)
    assert table.item_bytes(fits) <= table.MAX_ITEM_BYTES


# ---------------------------------------------------------------- merge budget
class _Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


def test_without_an_invocation_there_is_no_deadline_and_within_one_its_time_runs() -> None:
    assert deadline.remaining() == float("inf")
    with deadline.of_invocation(_Context(10)):
        assert 9 < deadline.remaining() <= 10
    assert deadline.remaining() == float("inf")


def test_a_merge_is_computed_once_per_request_however_many_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[tuple[str, ...]] = []

    def merge(*texts: str) -> str:
        computed.append(texts)
        return "merged"

    monkeypatch.setattr(changes, "merge", merge)
    merges = changes._Merges()

    first = merges.merge("base", "current", "edited")
    second = merges.merge("base", "current", "edited")  # the next attempt, reading the same texts

    assert (first, second, len(computed)) == ("merged", "merged", 1)


def test_a_merge_the_time_left_would_not_cover_is_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "merge", lambda *texts: pytest.fail("merged without the time for it"))
    text = "x" * 100_000
    estimate = 3 * len(text) * changes.MERGE_SECONDS_PER_CHAR

    with (
        deadline.of_invocation(_Context(changes.ANSWER_RESERVE_SECONDS + estimate / 2)),
        pytest.raises(changes.MergeOverBudget),
    ):
        changes._Merges().merge(text, text + "a", text + "b")


def test_a_slow_merge_raises_the_estimate_of_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a merge of three texts of RATE_SAMPLE_CHARS that took over three times the first estimate
    text = "x" * changes.RATE_SAMPLE_CHARS
    first_estimate = 3 * len(text) * changes.MERGE_SECONDS_PER_CHAR

    def slow_merge(*texts: str) -> str:
        time.sleep(first_estimate * 3.5)
        return "merged"

    monkeypatch.setattr(changes, "merge", slow_merge)
    merges = changes._Merges()
    merges.merge(text, text, text)

    # When the time left would cover the next as first estimated, but not at the rate seen
    monkeypatch.setattr(deadline, "remaining", lambda: changes.ANSWER_RESERVE_SECONDS + first_estimate * 2)

    # Then it is not started
    with pytest.raises(changes.MergeOverBudget):
        merges.merge(text + "a", text + "b", text + "c")
