"""Three devices of one user share notes of three lines, each device editing the words of its own
line offline, and sync at random; one push in ten loses its answer after the server applied it.
A device folds its new edits into the change it keeps for a note until that change is answered:
one change per note, sent again on the old base version with everything done since (the natural
client the issue describes), naming its device (`device_id`). After every push (its answers carry
the notes as the table holds them after it, even when the device never receives them):
- the pushing device's line of each note it changed is exactly the line it sent, if applied: no
  word doubled, none lost; no other line changed (a device never touches another's words);
- a conflict of a device's change needs another device's write to that note after the change's
  base version: a device never conflicts with itself.
After a final sync of every device, each holds the server's notes, whose lines are the devices'.
"""

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes_core.contract.bodies.notes import NoteReply, PushRequest
from notes_core.data import table
from notes_core.domain.caller import Caller
from notes_core.usecases import sync
from tests.support.stack import forget_user, shared_stack

DEVICES = 3
NOTES = 2
EXAMPLES = max(1, int(os.environ.get("NOTES_SYNC_EXAMPLES", "200")) // 10)  # 20 in `make test`
# Words of several scripts (a combining accent, CJK), each made unique by a number: one found twice is doubled.
VOCABULARY = ("xi", "東京", "omega", "cafe\u0301", "rho")


@dataclass
class Copy:
    content: str
    version: int  # the server version the device's copy is based on


@dataclass
class Device:
    name: str
    notes: dict[str, Copy] = field(default_factory=dict)
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)  # note id -> its one pending change
    cursors: dict[str, int] = field(default_factory=dict)  # note id -> where in its line it last typed
    cursor: str | None = None


def _lines(content: str) -> list[str]:
    return content.split("\n")


Edit = tuple[int, int | None, bool, str]  # note, cursor jump (None: where the user last typed), insert?, word
edits = st.tuples(
    st.integers(0, NOTES - 1), st.none() | st.integers(0, 10**6), st.booleans(), st.sampled_from(VOCABULARY)
)
# A round: each device, in some order, edits offline (zero to three edits), then syncs; the answer
# to its push is lost when its number is 0 (one in ten).
rounds = st.lists(
    st.tuples(
        st.permutations(range(DEVICES)),
        st.lists(st.tuples(st.lists(edits, max_size=3), st.integers(0, 9)), min_size=DEVICES, max_size=DEVICES),
    ),
    min_size=3,
    max_size=6,
)


class Scenario:
    def __init__(self) -> None:
        user_id = str(uuid.uuid4())
        self.caller = Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")
        self.devices = [Device(f"device-{number}") for number in range(DEVICES)]
        self.note_ids: list[str] = []
        self.words = 0
        # Who wrote each version of each note: {note id: {version: device name}}.
        self.authors: dict[str, dict[int, str]] = {}
        self.stored: dict[str, NoteReply] = {}

    def share_notes(self) -> None:
        """The first device creates the notes, every line its device's, and every device pulls them."""
        creates = []
        for _ in range(NOTES):
            note_id = str(uuid.uuid4())
            self.note_ids.append(note_id)
            lines = [
                f"{device.name} alpha{number} beta{number} gamma{number}" for number, device in enumerate(self.devices)
            ]
            creates.append(
                {"op": "upsert", "id": note_id, "base_version": None, "title": "t", "content": "\n".join(lines)}
            )
        results = sync.push(self.caller, PushRequest(changes=creates, device_id=self.devices[0].name)).results
        assert [result.status for result in results] == ["applied"] * NOTES
        self.stored = {note.id: note for note in (result.note for result in results) if note is not None}
        for note_id in self.note_ids:
            self.authors[note_id] = {1: self.devices[0].name}
        for device in self.devices:
            self.pull(device)

    # ---------------------------------------------------------------- offline edits of its own line
    def edit(self, device: int, note: int, jump: int | None, insert: bool, word: str) -> None:
        """Insert a word after the device's cursor in its line, or delete the word at it; the cursor
        stays where the user last typed unless it jumps."""
        local = self.devices[device]
        note_id = self.note_ids[note]
        copy = local.notes[note_id]
        lines = _lines(copy.content)
        words = lines[device].split(" ")
        cursor = local.cursors.get(note_id, 1) if jump is None else 1 + jump % (len(words) - 1)
        cursor = min(max(cursor, 1), len(words) - 1)  # never the line's first word: its device's name
        if insert:
            self.words += 1
            words.insert(cursor + 1, f"{word}{self.words}")
            local.cursors[note_id] = cursor + 1
        elif len(words) > 2:
            del words[cursor]
            local.cursors[note_id] = cursor - 1
        else:
            return
        lines[device] = " ".join(words)
        copy.content = "\n".join(lines)
        # Folded: the note's one pending change, on the version the copy is based on, with the text now.
        local.outbox[note_id] = {"op": "upsert", "id": note_id, "base_version": copy.version, "content": copy.content}

    # ---------------------------------------------------------------- sync
    def sync(self, number: int, answer_lost: bool = False) -> None:
        local = self.devices[number]
        if local.outbox:
            sent = list(local.outbox.values())
            results = sync.push(self.caller, PushRequest(changes=sent, device_id=local.name)).results
            for change, result in zip(sent, results, strict=True):
                self.check(number, change, result)
            if not answer_lost:
                for change, result in zip(sent, results, strict=True):
                    assert result.note is not None
                    # Applied or conflict, the server's copy becomes the device's.
                    local.notes[change["id"]] = Copy(result.note.content, result.note.version)
                    local.outbox.pop(change["id"])
        self.pull(local)

    def check(self, number: int, change: dict[str, Any], result: Any) -> None:
        """What one change of the device did to the note: its answer carries the note as the table
        holds it after the push (the device's only change of it), `before` as the last push left it
        (only pushes write)."""
        note_id, name = change["id"], self.devices[number].name
        before, after = self.stored[note_id], result.note
        self.stored[note_id] = after
        for version in range(before.version + 1, after.version + 1):
            self.authors[note_id][version] = name
        expected = _lines(before.content)
        if result.status == "applied":
            expected[number] = _lines(change["content"])[number]
        else:
            assert result.status == "conflict", result
            others = {author for version, author in self.authors[note_id].items() if version > change["base_version"]}
            assert others - {name}, f"{name} conflicted with itself: {result}"
        assert _lines(after.content) == expected, (name, change, result)
        words = after.content.split()
        assert len(words) == len(set(words)), words

    def pull(self, local: Device) -> None:
        while True:
            page = sync.pull(self.caller, local.cursor, limit=50)
            for note in page.changes:
                if note.id not in local.outbox:  # a pending change is pushed, and answered, first
                    local.notes[note.id] = Copy(note.content, note.version)
            local.cursor = page.cursor
            if not page.has_more:
                return

    def finish(self) -> None:
        """Every device syncs until nothing is left to push; all hold the server's notes."""
        for _ in range(2):  # a conflict answered on one device leaves nothing to push after it
            for number in range(DEVICES):
                self.sync(number)
        for local in self.devices:
            self.pull(local)
            assert not local.outbox
            _, stored = table.read_for_write(self.caller.user_id, self.note_ids)
            for note_id, note in stored.items():
                assert (local.notes[note_id].content, local.notes[note_id].version) == (note.content, note.version)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=rounds)
def test_devices_folding_edits_into_unanswered_changes_never_double_lose_or_conflict_with_themselves(
    rounds: list[tuple[list[int], list[tuple[list[Edit], int]]]],
) -> None:
    # Given notes of three lines, one a device's, which every device holds
    scenario = Scenario()
    scenario.share_notes()
    try:
        # When, round after round, each device edits its lines and syncs (pushes checked as they go)
        for order, plans in rounds:
            for number in order:
                planned, loss = plans[number]
                for note, jump, insert, word in planned:
                    scenario.edit(number, note, jump, insert, word)
                scenario.sync(number, answer_lost=loss == 0)
        # Then, all synced, every device holds what the table holds
        scenario.finish()
    finally:
        forget_user(shared_stack(), scenario.caller.user_id)
