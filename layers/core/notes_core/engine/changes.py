"""Applying a client's changes to its notes: the write side of the sync protocol.

Every write path (create, update, delete, batch, sync push) comes through `apply`:
1. read the user's counter item and the notes concerned, consistently (one BatchGetItem);
2. judge each change, in order, against the notes as they stand, earlier changes included:
   - a create of an id that exists with the same title and content is a replay: answered as
     applied, nothing written; with other content it is a conflict;
   - an update names the version it was made on; a field changed since that version is a
     conflict (answered with the server copy) unless it already holds the requested value;
     fields changed by nobody since merge; requested values already in place are a replay;
   - a delete with a base version conflicts when a field changed since; a second delete is a
     replay of the first;
   - a change from a device that names itself (see "Devices" below) is judged, field by field,
     against what that device last sent rather than the version it names;
   - a content merge is computed once per request, and only while the invocation has time for it
     (else the change is a conflict whose reason says so: "Merge budget" below);
3. commit the writes with the next sequence numbers, in as few transactions as the limits allow
   (one for up to 99 notes), each conditioned on the counter not having moved. If it moved,
   everything not yet committed is judged again against fresh reads, while the invocation has time
for another attempt (else 409 write-contention).
So a change replayed after a lost response takes effect once, and nothing is overwritten silently.

Devices. An app may name its installation (`device_id`, the Device-Id header of PATCH). A note
remembers, for each of the last DEVICES_PER_NOTE devices that changed it, what each field held
when the device last set it in an applied change: the version that change produced and a digest
of the value the device sent (the revision of a merged change keeps the content it sent). A device
whose answer was lost sends its next change on the old base version, often with newer edits
folded in; for each field it set in a change that produced a version after that base:
- a value equal to what it last sent is not an edit of the device (it just sent it again);
- otherwise the field changed for the device only if it no longer holds what the device last sent,
  and a content that did is merged three-way against the text the device sent, not the text at the
  base version. So the device never conflicts with itself and never doubles its own words.
Fields it never set since the base are judged against the base version as for anyone. A create of
an existing note by the device that wrote it is judged as such an edit of all three fields, and a
change by the device that deleted the note is answered as the replay it is. A device forgotten (an
eleventh device changed the note since) is judged as a change without device id.

Merge budget. The invocation's remaining time (notes_core.runtime.deadline) bounds the merging: a merge
whose estimated cost (by the size of its texts) would leave less than ANSWER_RESERVE_SECONDS to
commit and answer is not started, and its change is a conflict with `conflict_reason`
"merge-budget" (sent again alone, it gets the whole budget). A merge computed in one attempt is
reused by the next.

A request of several changes (batch, push) may also name itself by a digest of its body. The
counter item keeps the outcomes of the user's last such request that wrote anything, in the same
transaction as its last write. Sent again unchanged before anything else was written, it gets the
same outcomes back (with the notes as they stand now), even where its own changes depend on each
other (a create and an edit of the same note, which judged one by one again would no longer
look like replays).
"""

import hashlib
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.data import table, workflows
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.domain.note import (
    MAX_CONTENT_CHARS,
    MAX_MEDIA_PER_NOTE,
    NOTE_FIELDS,
    TEXT_FIELDS,
    FieldValue,
    Media,
    MediaStatus,
    Note,
    Revision,
    Sent,
    new_note,
    now_rfc3339,
    value_digest,
)
from notes_core.engine.merge import merge
from notes_core.runtime import deadline
from notes_core.runtime.config import NotesSettings
from notes_core.runtime.observability import metrics

MAX_ATTEMPTS = 20  # with full-jitter backoff capped at 0.25 s: a few seconds of contention at most
MAX_TRANSACTION_BYTES = 3_500_000  # DynamoDB allows 4 MB per transaction; keep a margin
# What committing and answering may take once the last merge or attempt is done.
ANSWER_RESERVE_SECONDS = 2.0
# A merge's cost per character of its three texts, as first estimated; the request's own merges of
# texts of RATE_SAMPLE_CHARS or more raise it when slower (bench/merge_worst_cases.py).
MERGE_SECONDS_PER_CHAR = 1e-6
RATE_SAMPLE_CHARS = 10_000
ConflictReason = Literal["merge-budget"]
MERGE_BUDGET: ConflictReason = "merge-budget"  # the conflict of a change whose merge did not fit the time left


@dataclass(frozen=True)
class Create:
    note_id: str
    title: str
    content: str
    trashed: bool = False
    device: str | None = None  # the device that sent it, when it named itself


@dataclass(frozen=True)
class Update:
    note_id: str
    base_version: int | None  # None: the note as it stands (a restore without If-Match)
    fields: dict[str, FieldValue]
    device: str | None = None


@dataclass(frozen=True)
class Delete:
    note_id: str
    base_version: int | None  # None: whatever changed since
    device: str | None = None


@dataclass(frozen=True)
class PurgeTrashed:
    """Delete a note for good because it was emptied from the trash or expired there: only if it
    is still in the trash it was in then (`trashed_version`: the version that trashed it). A note
    restored meanwhile, even if trashed again since, is left alone."""

    note_id: str
    trashed_version: int


@dataclass(frozen=True)
class ReserveMedia:
    """Reserve a slot for an image about to be uploaded (refused once five count). Asked again for
    the same media id and values, the slot is the same: renewed while pending, as it stands once
    checked; asked with other values, a conflict on `media_id`."""

    note_id: str
    media: Media


@dataclass(frozen=True)
class SettleMedia:
    """The uploaded object (`etag`, `size` bytes) was checked: the image becomes ready, or rejected
    for good. A ready image's size is the object's, which may be less than was declared."""

    note_id: str
    media_id: str
    status: MediaStatus  # ready or rejected
    etag: str = ""
    size: int | None = None


@dataclass(frozen=True)
class RemoveMedia:
    note_id: str
    media_id: str


Change = Create | Update | Delete | PurgeTrashed | ReserveMedia | SettleMedia | RemoveMedia
# Images the user rejected stay listed (so the uploader learns why) for this long.
REJECTED_MEDIA_SECONDS = 86400


class Status(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"

    @property
    def code(self) -> str:
        """One character, for the counter item's record of the last request."""
        return _CODES[self]


_CODES = {Status.CREATED: "c", Status.UPDATED: "u", Status.DELETED: "d", Status.CONFLICT: "x", Status.NOT_FOUND: "n"}
_STATUS_OF_CODE = {code: status for status, code in _CODES.items()}
MERGED_CODE = "m"  # an update whose content was merged: what its exact replay answers too
OVER_BUDGET_CODE = "b"  # a conflict for want of time to merge
_WRITTEN = (Status.CREATED, Status.UPDATED, Status.DELETED)


@dataclass(frozen=True)
class Outcome:
    status: Status
    note: Note | None  # the note after the change; in a conflict, the server's copy
    replayed: bool = False  # already applied before: nothing was written this time
    conflicting_fields: tuple[str, ...] = ()
    merged_fields: tuple[str, ...] = ()  # fields whose text was merged with changes made since the base
    conflict_reason: ConflictReason | None = None  # MERGE_BUDGET: the merge did not fit the time the request had left

    @property
    def code(self) -> str:
        """One character, for the counter item's record of the last request."""
        if self.conflict_reason == MERGE_BUDGET:
            return OVER_BUDGET_CODE
        return MERGED_CODE if self.merged_fields else self.status.code


@dataclass(frozen=True)
class _Step:
    index: int
    outcome: Outcome
    write: table.NoteWrite | None


def request_digest(kind: str, body: object) -> str:
    """A request's identity for exact replays: its kind and its body, canonically serialised."""
    canonical = json.dumps([kind, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MergeOverBudget(Exception):
    """The invocation has no time left for this merge."""


class _Merges:
    """The content merges of one request: each computed once whatever the attempts (keyed by its
    three texts' digests), and only while the invocation has time left for it."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str, str], str | None] = {}
        self._seconds_per_char = MERGE_SECONDS_PER_CHAR
        self.seconds = 0.0  # spent merging so far

    def merge(self, base: str, current: str, edited: str) -> str | None:
        """The merge's answer (notes_core.engine.merge); MergeOverBudget when it could not be
        computed in time."""
        key = (value_digest(base), value_digest(current), value_digest(edited))
        if key in self._done:
            return self._done[key]
        chars = len(base) + len(current) + len(edited)
        if deadline.remaining() - ANSWER_RESERVE_SECONDS < chars * self._seconds_per_char:
            raise MergeOverBudget
        started = time.monotonic()
        merged = merge(base, current, edited)
        took = time.monotonic() - started
        self.seconds += took
        if chars >= RATE_SAMPLE_CHARS:
            self._seconds_per_char = max(self._seconds_per_char, took / chars)
        self._done[key] = merged
        return merged


def apply(
    caller: Caller, changes: Sequence[Change], settings: NotesSettings, digest: str | None = None
) -> list[Outcome]:
    """The outcome of each change, in order (see the module docstring)."""
    outcomes: list[Outcome | None] = [None] * len(changes)
    settled = 0
    merges = _Merges()
    # The device that made the request (all its changes name the same one), on the counter item: the
    # realtime poke of these changes skips its connections.
    device = next((device for change in changes if (device := getattr(change, "device", None)) is not None), None)
    for attempt in range(MAX_ATTEMPTS):
        started, merging = time.monotonic(), merges.seconds
        counter, notes = table.read_for_write(caller.user_id, [change.note_id for change in changes[settled:]])
        if counter.refuses(caller.issued_at):
            raise errors.TokenRefused()
        recorded = counter.last_request
        if (
            digest
            and settled == 0
            and recorded
            and recorded.digest == digest
            and recorded.seq == counter.last_seq  # nothing written since: a true replay
            and len(recorded.outcomes) == len(changes)
        ):
            return [
                _replayed(code, notes.get(change.note_id))
                for code, change in zip(recorded.outcomes, changes, strict=True)
            ]
        revisions = _merge_bases(caller.user_id, changes[settled:], notes, settings)
        steps = _judge(caller.user_id, changes, settled, counter.last_seq, notes, settings, revisions, merges)
        chunks = list(_transactions(steps))
        last_writing = max((i for i, chunk in enumerate(chunks) if any(step.write for step in chunk)), default=-1)
        codes = "".join([outcome.code for outcome in outcomes[:settled] if outcome] + [s.outcome.code for s in steps])
        expected_seq = counter.last_seq
        try:
            for number, chunk in enumerate(chunks):
                writes = [step.write for step in chunk if step.write is not None]
                if writes:
                    next_seq = expected_seq + len(writes)  # a revision kept with a note takes no number
                    record = table.RequestRecord(digest, codes, next_seq) if digest and number == last_writing else None
                    table.commit(caller.user_id, expected_seq, caller.issued_at, writes, record, device)
                    expected_seq = next_seq
                for step in chunk:
                    outcomes[step.index] = step.outcome
                settled = chunk[-1].index + 1
            _count(outcomes)
            return [outcome for outcome in outcomes if outcome is not None]
        except table.WriteRefused:
            raise errors.TokenRefused() from None
        except table.SequenceMoved:
            # Another write won: read again, if there is time for an attempt like this one (its
            # merges, computed already, excepted) and the answer.
            pause = random.uniform(0, min(0.25, 0.01 * 2**attempt))
            took = time.monotonic() - started - (merges.seconds - merging)
            if deadline.remaining() < pause + took + ANSWER_RESERVE_SECONDS:
                break
            time.sleep(pause)
    raise errors.WriteContention("Too many concurrent writes to these notes; retry the request.")


def _replayed(code: str, note: Note | None) -> Outcome:
    if code == MERGED_CODE:
        return Outcome(Status.UPDATED, note, replayed=True, merged_fields=("content",))
    if code == OVER_BUDGET_CODE:
        return Outcome(
            Status.CONFLICT, note, replayed=True, conflicting_fields=("content",), conflict_reason=MERGE_BUDGET
        )
    return Outcome(_STATUS_OF_CODE[code], note, replayed=True)


def _merge_bases(
    user_id: str, changes: Sequence[Change], notes: dict[str, Note], settings: NotesSettings
) -> dict[tuple[str, int], Revision]:
    """The revisions holding the texts that edits whose content changed since may merge with:
    {(note id, version): revision}. Nothing is read when no edit needs one, else one BatchGetItem
    for them all (an edit judged after an earlier one of the same note in this request merges
    with what the earlier one left)."""
    wanted: set[tuple[str, int]] = set()
    for change in changes:
        note = notes.get(change.note_id)
        edit = _as_edit(change, note)
        if edit is None or note is None or "content" not in edit.fields:
            continue
        kept = _content_base_version(edit, note)
        if kept is not None:
            wanted.add((note.id, kept))
    if not wanted:
        return {}
    return table.read_revisions_at(user_id, wanted, settings.revisions_per_note, int(time.time()))


def _as_edit(change: Change, note: Note | None) -> Update | None:
    """The edit a change is judged as, if any: an update of a live note, or a create from the
    device that wrote the note already (its answer was lost), of all three fields."""
    if note is None or note.deleted:
        return None
    if isinstance(change, Update):
        return change
    if isinstance(change, Create) and change.device is not None and change.device in note.sent:
        fields: dict[str, FieldValue] = {"title": change.title, "content": change.content, "trashed": change.trashed}
        return Update(change.note_id, 0, fields, change.device)  # every field it sent since it created the note
    return None


def _content_base_version(edit: Update, note: Note) -> int | None:
    """The version whose revision holds the text the edit's content would be merged with, when
    the content changed since that text: what the device last sent, if it sent a content after
    the edit's base; else the text at the base."""
    base = note.version if edit.base_version is None else edit.base_version
    known = note.sent_after(edit.device, base).get("content")
    if known is not None:
        if known.digest in (value_digest(note.content), value_digest(edit.fields["content"])):
            return None  # the note holds what the device sent, or the device sent it again: no merge
        return note.text_version_at(known.version)
    if note.field_versions.get("content", 0) <= base:
        return None  # the content did not change since the base: nothing to merge
    return note.text_version_at(base)


def _changed_for(note: Note, name: str, base: int, known: Sent | None) -> bool:
    """Whether the field changed since the author of a change last saw it: since what the device
    last sent of it (`known`), or else since the change's base version."""
    if known is None:
        return note.field_versions.get(name, 0) > base
    return value_digest(note.value(name)) != known.digest


def _count(outcomes: Sequence[Outcome | None]) -> None:
    """Business metrics: changes written, and conflicts answered (a rising rate of conflicts is
    worth a look at the clients)."""
    done = [outcome for outcome in outcomes if outcome is not None]
    written = sum(1 for outcome in done if outcome.status in _WRITTEN and not outcome.replayed)
    metrics.add_metric(name="ChangesWritten", unit=MetricUnit.Count, value=written)
    metrics.add_metric(name="Conflicts", unit=MetricUnit.Count, value=sum(o.status is Status.CONFLICT for o in done))


def finish_deletions(user_id: str, outcomes: Sequence[Outcome]) -> None:
    """Start the delete-note state machine for every note these outcomes deleted, replays
    included: a retried delete whose first execution never started starts it now, and one that
    did start is not started twice (the execution's name comes from user, note and version)."""
    for outcome in outcomes:
        if outcome.status is Status.DELETED and outcome.note is not None:
            workflows.start_note_cleanup(user_id, outcome.note.id, outcome.note.version)


def _judge(
    user_id: str,
    changes: Sequence[Change],
    start: int,
    last_seq: int,
    notes: dict[str, Note],
    settings: NotesSettings,
    revisions: dict[tuple[str, int], Revision],
    merges: _Merges,
) -> list[_Step]:
    now = time.time()
    clock = _Clock(
        now=now_rfc3339(),
        epoch=int(now),
        tombstone_expires_at=int(now + settings.tombstone_seconds),
        trash_seconds=settings.trash_seconds,
        revision_expires_at=int(now + settings.revision_seconds),
        revision_slots=settings.revisions_per_note,
        revisions=dict(revisions),
        merges=merges,
    )
    state = dict(notes)
    seq = last_seq
    steps = []
    for index in range(start, len(changes)):
        change = changes[index]
        outcome, write = _judge_one(user_id, change, state.get(change.note_id), seq + 1, clock)
        if write is not None:
            seq += 1
            state[change.note_id] = write.note
        steps.append(_Step(index, outcome, write))
    return steps


@dataclass(frozen=True)
class _Clock:
    """What a request's changes are judged with: the time, and the settings that depend on it."""

    now: str  # RFC 3339, for the note's timestamps
    epoch: int  # for reservations
    tombstone_expires_at: int
    trash_seconds: float
    revision_expires_at: int
    revision_slots: int
    # The revisions an edit's content may be merged with: {(note id, version): revision}, read
    # from the table, and written by the changes judged so far in this request.
    revisions: dict[tuple[str, int], Revision] = field(default_factory=dict)
    merges: _Merges = field(default_factory=_Merges)

    def kept(
        self, note: Note, expected_version: int | None, sent_by: str | None = None, sent_content: str | None = None
    ) -> table.NoteWrite:
        """The write of a note whose text changed: with the revision that keeps it (and the note
        knows it keeps it), and the content a device sent when it was merged."""
        kept = replace(note, text_versions=(*note.text_versions, note.version)[-self.revision_slots :])
        revision = replace(Revision.of(kept, self.revision_expires_at), sent_by=sent_by, sent_content=sent_content)
        self.revisions[(note.id, note.version)] = revision
        return table.NoteWrite(kept, expected_version, revision, note.version % self.revision_slots)

    def base_text(self, note: Note, base: int, known: Sent | None, device: str | None) -> str | None:
        """The text an edit's content is merged with, if still kept: the content the device last
        sent (`known`), or else the note's content at the base version."""
        kept = note.text_version_at(base if known is None else known.version)
        revision = self.revisions.get((note.id, kept)) if kept is not None else None
        if revision is None:
            return None
        if known is None or device is None:
            return revision.content
        return revision.content_sent(device, known.digest)


def _judge_one(
    user_id: str, change: Change, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if isinstance(change, ReserveMedia | SettleMedia | RemoveMedia):
        return _judge_media(change, current, seq, clock)
    return _judge_note(user_id, change, current, seq, clock)


def _judge_note(
    user_id: str, change: Create | Update | Delete | PurgeTrashed, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    match change:
        case Create():
            return _judge_create(user_id, change, current, seq, clock)
        case Update():
            return _judge_update(change, current, seq, clock)
        case Delete() | PurgeTrashed():
            return _judge_delete(change, current, seq, clock)


def _judge_create(
    user_id: str, change: Create, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    requested: dict[str, FieldValue] = {"title": change.title, "content": change.content, "trashed": change.trashed}
    if current is None:
        note = new_note(
            user_id, change.note_id, change.title, change.content, seq, clock.now, change.trashed, clock.trash_seconds
        )
        write = clock.kept(note.with_sent(change.device, requested), expected_version=None)
        return Outcome(Status.CREATED, write.note), write
    if _deleted_by(current, change.device):
        return Outcome(Status.DELETED, current, replayed=True), None
    if not current.deleted and all(current.value(name) == value for name, value in requested.items()):
        return Outcome(Status.CREATED, current, replayed=True), None
    edit = _as_edit(change, current)
    if edit is not None:  # the device's create applied, its answer lost; it sent it again, edits folded in
        outcome, edit_write = _judge_update(edit, current, seq, clock)
        if outcome.status is Status.UPDATED and outcome.replayed and not outcome.merged_fields:
            return replace(outcome, status=Status.CREATED), None  # nothing the device sent changed since
        return outcome, edit_write
    differing = tuple(name for name in NOTE_FIELDS if current.deleted or current.value(name) != requested[name])
    return Outcome(Status.CONFLICT, current, conflicting_fields=differing), None


def _deleted_by(note: Note | None, device: str | None) -> bool:
    """Whether `device` deleted the note: any change of it the device sends now was made before
    (a device deletes its own copy with the note) and is answered as the replay it is."""
    return note is not None and note.deleted and device is not None and note.deleted_by == device


def _judge_update(
    change: Update, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if _deleted_by(current, change.device):
        return Outcome(Status.DELETED, current, replayed=True), None
    if current is None or current.deleted:  # a deletion purged every field the edit sets
        return Outcome(Status.NOT_FOUND, current, conflicting_fields=tuple(change.fields) if current else ()), None
    base = current.version if change.base_version is None else change.base_version
    known = current.sent_after(change.device, base)
    # A value equal to what the device last sent is not an edit of it (it folded later edits of
    # other fields into a change whose answer it lost, and sends this one again).
    edits = {
        name: value
        for name, value in change.fields.items()
        if name not in known or known[name].digest != value_digest(value)
    }
    different = {name: value for name, value in edits.items() if current.value(name) != value}
    stale = tuple(name for name in different if _changed_for(current, name, base, known.get(name)))
    if base > current.version or (stale and stale != ("content",)):
        return Outcome(Status.CONFLICT, current, conflicting_fields=stale or tuple(different)), None
    merged_fields: tuple[str, ...] = ()
    if stale:  # only the content changed since: merge the two edits of the text
        base_text = clock.base_text(current, base, known.get("content"), change.device)
        edited = str(edits["content"])
        try:
            merged = None if base_text is None else clock.merges.merge(base_text, current.content, edited)
        except MergeOverBudget:
            return Outcome(Status.CONFLICT, current, conflicting_fields=stale, conflict_reason=MERGE_BUDGET), None
        if merged is None or len(merged) > MAX_CONTENT_CHARS:  # overlapping edits, or a text too long to keep
            return Outcome(Status.CONFLICT, current, conflicting_fields=stale), None
        merged_fields = ("content",)
        different["content"] = merged
        if merged == current.content:  # the edit is already in (a replay of a merged edit)
            del different["content"]
            del edits["content"]  # and what the device last sent stays the text its next edit starts from
    if not different:
        return Outcome(Status.UPDATED, current, replayed=True, merged_fields=merged_fields), None
    note = current.with_fields(different, seq, clock.now, clock.trash_seconds).with_sent(change.device, edits)
    if set(different) & set(TEXT_FIELDS):
        sent_content = str(edits["content"]) if merged_fields and change.device is not None else None
        write = clock.kept(note, current.version, change.device if sent_content is not None else None, sent_content)
        return Outcome(Status.UPDATED, write.note, merged_fields=merged_fields), write
    return Outcome(Status.UPDATED, note), table.NoteWrite(note, expected_version=current.version)


def _judge_delete(
    change: Delete | PurgeTrashed, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if current is None:
        return Outcome(Status.NOT_FOUND, None), None
    if current.deleted:
        return Outcome(Status.DELETED, current, replayed=True), None
    device = change.device if isinstance(change, Delete) else None
    match change:
        case PurgeTrashed(_, trashed_version):
            if not current.trashed or current.field_versions.get("trashed") != trashed_version:
                return Outcome(Status.CONFLICT, current, conflicting_fields=("trashed",)), None  # restored since
        case Delete(_, base_version) if base_version is not None:
            known = current.sent_after(device, base_version)
            stale = tuple(name for name in NOTE_FIELDS if _changed_for(current, name, base_version, known.get(name)))
            if base_version > current.version or stale:
                return Outcome(Status.CONFLICT, current, conflicting_fields=stale), None
    note = current.tombstone(seq, clock.now, clock.tombstone_expires_at, device)
    return Outcome(Status.DELETED, note), table.NoteWrite(note, expected_version=current.version)


def _judge_media(
    change: ReserveMedia | SettleMedia | RemoveMedia, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if current is None or current.deleted:
        return Outcome(Status.NOT_FOUND, current), None
    match change:
        case ReserveMedia(_, reserved):
            held = current.find_media(reserved.media_id)
            if held is not None and (held.counts(clock.epoch) or held.status != "pending"):
                if not held.same_slot(reserved.content_type, reserved.declared_size):
                    return Outcome(Status.CONFLICT, current, conflicting_fields=("media_id",)), None
                if held.status != "pending":
                    return Outcome(Status.UPDATED, current, replayed=True), None
                renewed = replace(held, reserved_until=reserved.reserved_until)
                return _media_write(
                    current, tuple(renewed if item is held else item for item in current.media), seq, clock
                )
            # Expired reservations stop counting and are dropped here; so are old rejections.
            kept = tuple(
                item
                for item in current.media
                if item.media_id != reserved.media_id
                and (
                    item.counts(clock.epoch)
                    or (item.status == "rejected" and clock.epoch - item.reserved_until < REJECTED_MEDIA_SECONDS)
                )
            )
            if sum(item.counts(clock.epoch) for item in kept) >= MAX_MEDIA_PER_NOTE:
                return Outcome(Status.CONFLICT, current), None
            return _media_write(current, (*kept, reserved), seq, clock)
        case SettleMedia(_, media_id, status, etag, size):
            found = current.find_media(media_id)
            if found is None:
                return Outcome(Status.NOT_FOUND, current), None
            if (found.status, found.etag) == (status, etag):
                return Outcome(Status.UPDATED, current, replayed=True), None
            if found.status == "rejected":
                return Outcome(Status.CONFLICT, current), None
            settled = replace(found, status=status, etag=etag, size=found.size if size is None else size)
            return _media_write(
                current, tuple(settled if item is found else item for item in current.media), seq, clock
            )
        case RemoveMedia(_, media_id):
            if current.find_media(media_id) is None:
                return Outcome(Status.NOT_FOUND, current), None
            return _media_write(current, tuple(item for item in current.media if item.media_id != media_id), seq, clock)


def _media_write(current: Note, media: tuple[Media, ...], seq: int, clock: _Clock) -> tuple[Outcome, table.NoteWrite]:
    note = current.with_media(media, seq, clock.now)
    return Outcome(Status.UPDATED, note), table.NoteWrite(note, expected_version=current.version)


def _transactions(steps: list[_Step]) -> Iterator[list[_Step]]:
    """Consecutive steps grouped into transactions: at most 99 items (the counter is the 100th: a
    note, and the revision it keeps, are one item each), under the size limit, and no note twice
    (a transaction writes an item once)."""
    chunk: list[_Step] = []
    note_ids: set[str] = set()
    items = size = 0
    for step in steps:
        if step.write is not None:
            write_size = step.write.size()
            too_many = items + step.write.items > table.MAX_TRANSACTION_ITEMS - 1
            full = too_many or size + write_size > MAX_TRANSACTION_BYTES
            if note_ids and (full or step.write.note.id in note_ids):
                yield chunk
                chunk, note_ids, items, size = [], set(), 0, 0
            note_ids.add(step.write.note.id)
            items += step.write.items
            size += write_size
        chunk.append(step)
    if chunk:
        yield chunk
