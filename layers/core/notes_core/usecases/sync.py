"""The sync routes: pull the changes after a cursor, push a device's changes.

A feed cursor carries the sequence number read up to and `complete_since`: the time from which
the client's view is known complete. Any note the client holds that is deleted later has a
tombstone younger than that time, so while the cursor is younger than the tombstone retention the
client cannot miss a deletion; an older cursor gets 410 resync-required. A page that reaches the
end of the feed makes `complete_since` the time of the read; a page with more to come keeps the
incoming cursor's (a first page, without cursor, uses the time of the read: the client held
nothing before it).
"""

import time
from typing import Any

from notes_core.contract import cursors
from notes_core.contract.bodies.base import echoed_id
from notes_core.contract.bodies.notes import (
    NoteReply,
    PullReply,
    PushCreate,
    PushDelete,
    PushReply,
    PushRequest,
    PushResult,
    PushUpdate,
    page_of,
    parse_push_change,
    within_page_bytes,
)
from notes_core.contract.problems import problem_document
from notes_core.data import table
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.engine import changes
from notes_core.runtime.config import NotesSettings, load_settings

_settings = load_settings(NotesSettings)


def pull(caller: Caller, cursor: str | None, limit: int) -> PullReply:
    now = int(time.time())
    after_seq, complete_since = cursors.read_feed_cursor(cursor) if cursor else (0, now)
    if now - complete_since > _settings.tombstone_seconds:
        raise errors.ResyncRequired(
            "This cursor is older than the tombstone retention; discard local state and sync from the beginning."
        )
    notes, read_up_to, has_more = table.query_changes(caller.user_id, after_seq, limit, now)
    page = page_of(notes)
    if len(page) < len(notes):  # the rest comes on the next page
        read_up_to, has_more = notes[len(page) - 1].seq, True
    next_seq = read_up_to if read_up_to is not None else after_seq
    next_cursor = cursors.feed_cursor(next_seq, complete_since if has_more else now)
    return PullReply(changes=page, cursor=next_cursor, has_more=has_more)


def push(caller: Caller, request: PushRequest) -> PushReply:
    """Each change's result, in order: applied, conflict (with the server's copy) or rejected."""
    device = request.device_id
    parsed: list[changes.Change | PushResult] = [
        _change_or_rejection(raw, device, f"/changes/{index}") for index, raw in enumerate(request.changes)
    ]
    valid = [entry for entry in parsed if not isinstance(entry, PushResult)]
    body: object = request.changes if device is None else {"changes": request.changes, "device_id": device}
    digest = changes.request_digest("push", body)
    applied = changes.apply(caller, valid, _settings, digest)
    changes.finish_deletions(caller.user_id, applied)
    outcomes = iter(applied)
    results = [entry if isinstance(entry, PushResult) else _result(entry, next(outcomes)) for entry in parsed]
    return PushReply(results=within_page_bytes(results))


def _change_or_rejection(raw: dict[str, Any], device: str | None, at: str) -> changes.Change | PushResult:
    change = parse_push_change(raw, at)
    if isinstance(change, errors.DomainError):
        return PushResult(id=echoed_id(raw), status="rejected", problem=problem_document(change))
    note_id = str(change.id)
    if isinstance(change, PushCreate):
        return changes.Create(note_id, change.title, change.content, change.trashed, device)
    if isinstance(change, PushUpdate):
        return changes.Update(note_id, change.base_version, change.fields(), device)
    if isinstance(change, PushDelete):
        return changes.Delete(note_id, change.base_version, device)
    # The deprecated upsert: base_version null creates (the model requires title and content then).
    if change.base_version is None:
        return changes.Create(note_id, change.title or "", change.content or "", bool(change.trashed), device)
    return changes.Update(note_id, change.base_version, change.fields(), device)


def _result(change: changes.Change, outcome: changes.Outcome) -> PushResult:
    note = NoteReply.of(outcome.note) if outcome.note is not None else None
    if outcome.status is changes.Status.NOT_FOUND and note is None:
        problem = problem_document(errors.NotFound("No such note: it never existed or its tombstone expired."))
        return PushResult(id=change.note_id, status="rejected", problem=problem)
    if outcome.status in (changes.Status.CONFLICT, changes.Status.NOT_FOUND):  # NOT_FOUND here: deleted meanwhile
        return PushResult(
            id=change.note_id,
            status="conflict",
            note=note,
            conflicting_fields=list(outcome.conflicting_fields),
            conflict_reason=outcome.conflict_reason,
        )
    return PushResult(id=change.note_id, status="applied", note=note, merged_fields=list(outcome.merged_fields) or None)
