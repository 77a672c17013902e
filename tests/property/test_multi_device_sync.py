"""Three devices of one user edit offline and sync at random: they write text, trash and restore
notes, delete them, and empty the trash (its purge runs later, as the purge-trash machine and its
worker would); some answers are lost after the server applied the change. Each names itself
(`device_id`). The first folds its new edits of a note into the change it keeps for it until that
change is answered (sent again on the old base, with everything since: one change per note); the
others add each edit to their outbox. After every push:
- a conflict is grounded in another device's write (or the trash's purge) after the change's base
  version: a device never conflicts with itself.
After a final sync of every device:
- every device holds exactly the server's notes (no duplicate, none missing, same versions, the
  same text and the same place in or out of the trash);
- no edit the server answered "applied" is missing: each field holds its latest applied value;
- every text ever applied to a note still there is its current text or one of its revisions;
- every edit a device made got an answer: applied, or a conflict carrying a server copy that
  changed since the version the edit was based on (so a refusal is never silent or groundless).

`make test` runs 200 examples (the same every run); `make soak` runs NOTES_SYNC_EXAMPLES (2,000), new each run.
"""

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from notes_core.contract.bodies.notes import NoteReply, PushRequest
from notes_core.data import table
from notes_core.domain.caller import Caller
from notes_core.usecases import sync, trash
from tests.support.stack import forget_user, shared_stack

DEVICES = 3
EXAMPLES = int(os.environ.get("NOTES_SYNC_EXAMPLES", "200"))
FIELDS = ("title", "content", "trashed")
TEXT_FIELDS = ("title", "content")
SENT = "_sent"  # a device's own mark on an outbox change that it pushed at least once
words = st.text(alphabet="abcxyz", min_size=0, max_size=4)


@dataclass
class LocalNote:
    title: str
    content: str
    version: int | None  # the server version this copy is based on; None: never pushed
    deleted: bool = False
    trashed: bool = False


@dataclass
class Device:
    name: str
    folds: bool  # one change per note, its later edits folded in; else each edit is a change of its own
    notes: dict[str, LocalNote] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None

    def live_ids(self) -> list[str]:
        return sorted(note_id for note_id, note in self.notes.items() if not note.deleted)


@dataclass(frozen=True)
class AppliedEdit:
    note_id: str
    name: str
    value: str | bool
    base_version: int
    version: int  # the version the server answered with


class MultiDeviceSync(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        user_id = str(uuid.uuid4())
        self.caller = Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")
        self.devices = [Device(f"device-{number}", folds=number == 0) for number in range(DEVICES)]
        self.applied: list[AppliedEdit] = []
        self.edits_made = 0
        self.edits_answered = 0
        self.purges: list[dict[str, Any]] = []  # trash emptied, its purge not run yet
        # What the table holds, as far as the writes so far tell: each note's version, and who
        # wrote each version ({(note id, version): device name, or "purge"}).
        self.versions: dict[str, int] = {}
        self.authors: dict[tuple[str, int], str] = {}

    # ---------------------------------------------------------------- offline edits
    @rule(device=st.integers(0, DEVICES - 1), title=words, content=words)
    def create(self, device: int, title: str, content: str) -> None:
        note_id = str(uuid.uuid4())
        self.devices[device].notes[note_id] = LocalNote(title, content, version=None)
        self._queue(device, {"op": "upsert", "id": note_id, "base_version": None, "title": title, "content": content})

    @precondition(lambda self: any(device.live_ids() for device in self.devices))
    @rule(
        device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6), name=st.sampled_from(TEXT_FIELDS), value=words
    )
    def edit(self, device: int, which: int, name: str, value: str | bool) -> None:
        local = self.devices[device]
        if not local.live_ids():
            return
        note_id = local.live_ids()[which % len(local.live_ids())]
        note = local.notes[note_id]
        setattr(note, name, value)
        create = self._unsent_create(local, note_id)
        if create is not None:  # never sent: the create carries the edit
            create[name] = value
            return
        pending = self._pending(local, note_id)
        if local.folds and pending is not None and pending["op"] == "upsert":
            pending[name] = value  # folded into the change still unanswered, on its base
            return
        # A create sent without an answer may have landed: edit its version 1.
        self._queue(device, {"op": "upsert", "id": note_id, "base_version": note.version or 1, name: value})

    @precondition(lambda self: any(device.live_ids() for device in self.devices))
    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6), trashed=st.booleans())
    def trash_or_restore(self, device: int, which: int, trashed: bool) -> None:
        self.edit(device, which, "trashed", trashed)

    @rule()
    def empty_trash(self) -> None:
        """The trash as it is now is to be purged (the machine and the worker run later)."""
        found: list[dict[str, Any]] = []
        before = None
        while True:
            page, more = table.query_listed(self.caller.user_id, True, before, 100)
            found += [
                {"user_id": {"S": n.user_id}, "id": {"S": n.id}, "trashed_v": {"N": str(n.field_versions["trashed"])}}
                for n in page
            ]
            if not more:
                break
            before = (page[-1].trashed_seq or 0, page[-1].id)
        self.purges.append({"notes": found})

    @precondition(lambda self: bool(self.purges))
    @rule()
    def purge_runs(self) -> None:
        purge = self.purges.pop(0)
        trash.purge(purge)
        _, purged = table.read_for_write(self.caller.user_id, [note["id"]["S"] for note in purge["notes"]])
        self._written_by("purge", list(purged.values()))

    @precondition(lambda self: any(device.live_ids() for device in self.devices))
    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6))
    def delete(self, device: int, which: int) -> None:
        local = self.devices[device]
        if not local.live_ids():
            return
        note_id = local.live_ids()[which % len(local.live_ids())]
        note = local.notes[note_id]
        if self._unsent_create(local, note_id) is not None:  # never sent: it simply never existed
            self.edits_answered += sum(1 for change in local.outbox if change["id"] == note_id)
            local.outbox = [change for change in local.outbox if change["id"] != note_id]
            del local.notes[note_id]
            return
        note.deleted = True
        base = note.version or 1
        pending = self._pending(local, note_id)
        if local.folds and pending is not None:  # the delete takes the place of the unanswered change
            base = pending["base_version"] or 1
            local.outbox.remove(pending)
            self.edits_answered += 1
        self._queue(device, {"op": "delete", "id": note_id, "base_version": base})

    def _queue(self, device: int, change: dict[str, Any]) -> None:
        self.devices[device].outbox.append(change)
        self.edits_made += 1

    @staticmethod
    def _pending(local: Device, note_id: str) -> dict[str, Any] | None:
        """A folding device's one change of the note still in its outbox, if any."""
        return next((change for change in local.outbox if change["id"] == note_id), None)

    @staticmethod
    def _unsent_create(local: Device, note_id: str) -> dict[str, Any] | None:
        return next(
            (
                change
                for change in local.outbox
                if change["id"] == note_id and change["base_version"] is None and not change.get(SENT)
            ),
            None,
        )

    # ---------------------------------------------------------------- sync
    @rule(device=st.integers(0, DEVICES - 1), answer_lost=st.booleans())
    def sync(self, device: int, answer_lost: bool) -> None:
        self._sync(self.devices[device], answer_lost)

    def _sync(self, local: Device, answer_lost: bool = False) -> None:
        if local.outbox:
            for change in local.outbox:
                change[SENT] = True
            sent = [{key: value for key, value in change.items() if key != SENT} for change in local.outbox]
            results = sync.push(self.caller, PushRequest(changes=sent, device_id=local.name)).results
            self._written_by(local.name, [result.note for result in results if result.note is not None])
            self._check_conflicts_are_with_others(local.name, sent, results)
            self._record_applied(sent, results)
            if not answer_lost:
                local.outbox = []
                for result in results:
                    self.edits_answered += 1
                    assert result.status in ("applied", "conflict"), result
                    assert result.note is not None
                    self._adopt(local, result.note, keep_local_edits=False)
        self._pull(local)

    def _written_by(self, author: str, notes: list[Any]) -> None:
        """The versions of these notes (as the table holds them now) written since the last look
        are `author`'s: the machine runs one write at a time, and every one is looked at."""
        for note in notes:
            for version in range(self.versions.get(note.id, 0) + 1, note.version + 1):
                self.authors[(note.id, version)] = author
            self.versions[note.id] = max(self.versions.get(note.id, 0), note.version)

    def _check_conflicts_are_with_others(self, name: str, sent: list[dict[str, Any]], results: list[Any]) -> None:
        for change, result in zip(sent, results, strict=True):
            if result.status == "conflict":
                base = change["base_version"] or 0
                since = {self.authors.get((change["id"], v)) for v in range(base + 1, result.note.version + 1)}
                assert since - {name}, f"{name} conflicted with itself: {change} -> {result}"

    def _record_applied(self, sent: list[dict[str, Any]], results: list[Any]) -> None:
        for change, result in zip(sent, results, strict=True):
            if result.status == "conflict":
                assert result.note is not None
                assert change["base_version"] is None or result.note.version > change["base_version"]
            if result.status != "applied" or change["op"] != "upsert":
                continue
            base = change["base_version"] or 0
            for name in FIELDS:
                if name not in change:
                    continue
                if not result.note.deleted and getattr(result.note, name) != change[name]:
                    # Applied, yet not what the note holds: a value the device sent again, which an
                    # earlier change of its own applied and another device's superseded since.
                    assert self._applied_before(change["id"], name, change[name]), (change, result)
                    continue
                self.applied.append(AppliedEdit(change["id"], name, change[name], base, result.note.version))

    def _applied_before(self, note_id: str, name: str, value: str | bool) -> bool:
        return any((edit.note_id, edit.name, edit.value) == (note_id, name, value) for edit in self.applied)

    def _pull(self, local: Device) -> None:
        while True:
            page = sync.pull(self.caller, local.cursor, limit=5)
            for note in page.changes:
                self._adopt(local, note, keep_local_edits=True)
            local.cursor = page.cursor
            if not page.has_more:
                return

    @staticmethod
    def _adopt(local: Device, note: NoteReply, keep_local_edits: bool) -> None:
        if keep_local_edits and any(change["id"] == note.id for change in local.outbox):
            return  # the pending changes are pushed, and answered, first
        local.notes[note.id] = LocalNote(note.title, note.content, note.version, note.deleted, note.trashed)

    # ---------------------------------------------------------------- checks
    @invariant()
    def answers_never_exceed_edits(self) -> None:
        assert self.edits_answered <= self.edits_made

    def teardown(self) -> None:
        while self.purges:
            self.purge_runs()
        for _ in range(3):  # a conflict answered on one device may leave nothing to push; twice is enough
            for local in self.devices:
                self._sync(local)
        for local in self.devices:
            self._pull(local)
        server = self._server_notes()
        for local in self.devices:
            assert not local.outbox
            mine = {note_id: note for note_id, note in local.notes.items() if not note.deleted}
            assert {
                note_id: (note.title, note.content, note.trashed, note.version) for note_id, note in mine.items()
            } == {note_id: (note.title, note.content, note.trashed, note.version) for note_id, note in server.items()}
        self._check_applied_edits_survive(server)
        self._check_applied_texts_are_kept(server)
        assert self.edits_answered == self.edits_made
        forget_user(shared_stack(), self.caller.user_id)

    def _server_notes(self) -> dict[str, NoteReply]:
        notes: dict[str, NoteReply] = {}
        cursor = None
        while True:
            page = sync.pull(self.caller, cursor, limit=500)
            notes.update({note.id: note for note in page.changes})
            cursor = page.cursor
            if not page.has_more:
                return {note_id: note for note_id, note in notes.items() if not note.deleted}

    def _check_applied_texts_are_kept(self, server: dict[str, NoteReply]) -> None:
        """Each text applied to a note still there is its current text or a revision's (every
        version here is younger than the retention, and a note has fewer than 100)."""
        stack = shared_stack()
        for note_id, note in server.items():
            kept = {(name, getattr(note, name)) for name in TEXT_FIELDS}
            slots = stack.client("dynamodb").query(
                TableName=stack.ref("NotesTable"),
                KeyConditionExpression="user_id = :user AND begins_with(id, :slots)",
                ExpressionAttributeValues={":user": {"S": self.caller.user_id}, ":slots": {"S": f"{note_id}#rev#"}},
                ConsistentRead=True,
            )["Items"]
            kept |= {(name, slot[name]["S"]) for slot in slots for name in TEXT_FIELDS}
            for edit in self.applied:
                if edit.note_id == note_id and edit.name in TEXT_FIELDS:
                    assert (edit.name, edit.value) in kept, (note_id, edit)

    def _check_applied_edits_survive(self, server: dict[str, NoteReply]) -> None:
        latest: dict[tuple[str, str], AppliedEdit] = {}
        for edit in self.applied:
            key = (edit.note_id, edit.name)
            if key not in latest or edit.version >= latest[key].version:
                latest[key] = edit
        for (note_id, name), edit in latest.items():
            if note_id in server:
                assert getattr(server[note_id], name) == edit.value, (note_id, name, edit)


MultiDeviceSync.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_multi_device_sync = MultiDeviceSync.TestCase
