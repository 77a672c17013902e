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
3. commit the writes with the next sequence numbers, in as few transactions as the limits allow
   (one for up to 99 notes), each conditioned on the counter not having moved. If it moved,
   everything not yet committed is judged again against fresh reads.
So a change replayed after a lost response takes effect once, and nothing is overwritten silently.

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

from aws_lambda_powertools.metrics import MetricUnit

from notes_core import errors, table, workflows
from notes_core.caller import Caller
from notes_core.config import NotesSettings
from notes_core.merge import merge
from notes_core.note import (
    MAX_CONTENT_CHARS,
    MAX_MEDIA_PER_NOTE,
    NOTE_FIELDS,
    TEXT_FIELDS,
    FieldValue,
    Media,
    MediaStatus,
    Note,
    Revision,
    new_note,
    now_rfc3339,
)
from notes_core.observability import metrics

MAX_ATTEMPTS = 20  # with full-jitter backoff capped at 0.25 s: a few seconds of contention at most
MAX_TRANSACTION_BYTES = 3_500_000  # DynamoDB allows 4 MB per transaction; keep a margin


@dataclass(frozen=True)
class Create:
    note_id: str
    title: str
    content: str
    trashed: bool = False


@dataclass(frozen=True)
class Update:
    note_id: str
    base_version: int | None  # None: the note as it stands (a restore without If-Match)
    fields: dict[str, FieldValue]


@dataclass(frozen=True)
class Delete:
    note_id: str
    base_version: int | None  # None: whatever changed since


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
_WRITTEN = (Status.CREATED, Status.UPDATED, Status.DELETED)


@dataclass(frozen=True)
class Outcome:
    status: Status
    note: Note | None  # the note after the change; in a conflict, the server's copy
    replayed: bool = False  # already applied before: nothing was written this time
    conflicting_fields: tuple[str, ...] = ()
    merged_fields: tuple[str, ...] = ()  # fields whose text was merged with changes made since the base

    @property
    def code(self) -> str:
        """One character, for the counter item's record of the last request."""
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


def apply(
    caller: Caller, changes: Sequence[Change], settings: NotesSettings, digest: str | None = None
) -> list[Outcome]:
    """The outcome of each change, in order (see the module docstring)."""
    outcomes: list[Outcome | None] = [None] * len(changes)
    settled = 0
    for attempt in range(MAX_ATTEMPTS):
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
        base_texts = _merge_bases(caller.user_id, changes[settled:], notes, settings)
        steps = _judge(caller.user_id, changes, settled, counter.last_seq, notes, settings, base_texts)
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
                    table.commit(caller.user_id, expected_seq, caller.issued_at, writes, record)
                    expected_seq = next_seq
                for step in chunk:
                    outcomes[step.index] = step.outcome
                settled = chunk[-1].index + 1
            _count(outcomes)
            return [outcome for outcome in outcomes if outcome is not None]
        except table.WriteRefused:
            raise errors.TokenRefused() from None
        except table.SequenceMoved:
            time.sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))  # another write won: read again
    raise errors.WriteContention("Too many concurrent writes to these notes; retry the request.")


def _replayed(code: str, note: Note | None) -> Outcome:
    if code == MERGED_CODE:
        return Outcome(Status.UPDATED, note, replayed=True, merged_fields=("content",))
    return Outcome(_STATUS_OF_CODE[code], note, replayed=True)


def _merge_bases(
    user_id: str, changes: Sequence[Change], notes: dict[str, Note], settings: NotesSettings
) -> dict[tuple[str, int], str]:
    """The base texts that edits whose content changed since their base may merge with: {(note id,
    base version): the note's content at that version}, from the revisions that keep them.
    Nothing is read when no edit needs one, else one BatchGetItem for them all (one revision per
    note: a note's later edits in the same request merge with what the earlier ones left)."""
    bases: dict[tuple[str, int], int] = {}  # (note id, base version) -> version of the revision
    for change in changes:
        note = notes.get(change.note_id)
        if not isinstance(change, Update) or change.base_version is None or note is None or note.deleted:
            continue
        if "content" not in change.fields or note.field_versions.get("content", 0) <= change.base_version:
            continue  # the content did not change since the base: nothing to merge
        kept = note.text_version_at(change.base_version)
        if kept is not None:
            bases.setdefault((change.note_id, change.base_version), kept)
    wanted: dict[str, int] = {}
    for (note_id, _), kept in bases.items():
        wanted.setdefault(note_id, kept)
    if not wanted:
        return {}
    texts = table.read_revision_texts(user_id, wanted, settings.revisions_per_note, int(time.time()))
    return {base: texts[(base[0], kept)] for base, kept in bases.items() if (base[0], kept) in texts}


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
    base_texts: dict[tuple[str, int], str],
) -> list[_Step]:
    now = time.time()
    clock = _Clock(
        now=now_rfc3339(),
        epoch=int(now),
        tombstone_expires_at=int(now + settings.tombstone_seconds),
        trash_seconds=settings.trash_seconds,
        revision_expires_at=int(now + settings.revision_seconds),
        revision_slots=settings.revisions_per_note,
        texts=dict(base_texts),
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
    # Notes' content at versions an edit may be based on: {(note id, version): content}, read from
    # their revisions, and from the changes judged so far in this request.
    texts: dict[tuple[str, int], str] = field(default_factory=dict)

    def kept(self, note: Note, expected_version: int | None) -> table.NoteWrite:
        """The write of a note whose text changed: with the revision that keeps it (and the note
        knows it keeps it)."""
        kept = replace(note, text_versions=(*note.text_versions, note.version)[-self.revision_slots :])
        self.texts[(note.id, note.version)] = note.content
        revision = Revision.of(kept, self.revision_expires_at)
        return table.NoteWrite(kept, expected_version, revision, note.version % self.revision_slots)


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
    if current is None:
        note = new_note(
            user_id, change.note_id, change.title, change.content, seq, clock.now, change.trashed, clock.trash_seconds
        )
        write = clock.kept(note, expected_version=None)
        return Outcome(Status.CREATED, write.note), write
    requested: dict[str, FieldValue] = {"title": change.title, "content": change.content, "trashed": change.trashed}
    if not current.deleted and all(current.value(name) == value for name, value in requested.items()):
        return Outcome(Status.CREATED, current, replayed=True), None
    differing = tuple(name for name in NOTE_FIELDS if current.deleted or current.value(name) != requested[name])
    return Outcome(Status.CONFLICT, current, conflicting_fields=differing), None


def _judge_update(
    change: Update, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if current is None or current.deleted:  # a deletion purged every field the edit sets
        return Outcome(Status.NOT_FOUND, current, conflicting_fields=tuple(change.fields) if current else ()), None
    base = current.version if change.base_version is None else change.base_version
    different = {name: value for name, value in change.fields.items() if current.value(name) != value}
    stale = current.changed_since(base, tuple(different))
    if base > current.version or (stale and stale != ("content",)):
        return Outcome(Status.CONFLICT, current, conflicting_fields=stale or tuple(different)), None
    merged_fields: tuple[str, ...] = ()
    if stale:  # only the content changed since the base: merge the two edits of the text
        base_text = clock.texts.get((current.id, base))
        merged = merge(base_text, current.content, str(different["content"])) if base_text is not None else None
        if merged is None or len(merged) > MAX_CONTENT_CHARS:  # overlapping edits, or a text too long to keep
            return Outcome(Status.CONFLICT, current, conflicting_fields=stale), None
        merged_fields = ("content",)
        different["content"] = merged
        if merged == current.content:  # the edit is already in (a replay of a merged edit)
            del different["content"]
    if not different:
        return Outcome(Status.UPDATED, current, replayed=True, merged_fields=merged_fields), None
    note = current.with_fields(different, seq, clock.now, clock.trash_seconds)
    if set(different) & set(TEXT_FIELDS):
        write = clock.kept(note, expected_version=current.version)
        return Outcome(Status.UPDATED, write.note, merged_fields=merged_fields), write
    return Outcome(Status.UPDATED, note), table.NoteWrite(note, expected_version=current.version)


def _judge_delete(
    change: Delete | PurgeTrashed, current: Note | None, seq: int, clock: _Clock
) -> tuple[Outcome, table.NoteWrite | None]:
    if current is None:
        return Outcome(Status.NOT_FOUND, None), None
    if current.deleted:
        return Outcome(Status.DELETED, current, replayed=True), None
    match change:
        case PurgeTrashed(_, trashed_version):
            if not current.trashed or current.field_versions.get("trashed") != trashed_version:
                return Outcome(Status.CONFLICT, current, conflicting_fields=("trashed",)), None  # restored since
        case Delete(_, base_version) if base_version is not None:
            stale = current.changed_since(base_version)
            if base_version > current.version or stale:
                return Outcome(Status.CONFLICT, current, conflicting_fields=stale), None
    note = current.tombstone(seq, clock.now, clock.tombstone_expires_at)
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
