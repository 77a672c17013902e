"""The notes routes: one note at a time, pages of notes, and batches of up to 25 changes."""

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

from notes_core.contract import cursors
from notes_core.contract.bodies.base import echoed_id, parse_item
from notes_core.contract.bodies.notes import (
    BatchCreateItem,
    BatchDeleteItem,
    BatchReply,
    BatchRequest,
    BatchResult,
    BatchUpdateItem,
    CreateNoteRequest,
    NoteReply,
    NotesPageReply,
    UpdatedNoteReply,
    UpdateNoteRequest,
    page_of,
    within_page_bytes,
)
from notes_core.contract.problems import problem_document
from notes_core.data import table
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.engine import changes
from notes_core.runtime.config import NotesSettings, load_settings

_settings = load_settings(NotesSettings)

Precondition = int | Literal["*"] | None


def _apply_one(caller: Caller, change: changes.Change) -> changes.Outcome:
    (outcome,) = changes.apply(caller, [change], _settings)
    return outcome


def _conflict(outcome: changes.Outcome) -> errors.PreconditionFailed:
    assert outcome.note is not None
    if outcome.conflict_reason is not None:  # the merge did not fit the time left
        return errors.PreconditionFailed(
            "There was no time left to merge this edit with the changes made since its base; send it again.",
            note=NoteReply.of(outcome.note),
            conflicting_fields=list(outcome.conflicting_fields),
            conflict_reason=outcome.conflict_reason,
        )
    return errors.PreconditionFailed(
        f"The note is at version {outcome.note.version} and these fields changed since: "
        f"{', '.join(outcome.conflicting_fields) or 'none the client knew of'}.",
        note=NoteReply.of(outcome.note),
        conflicting_fields=list(outcome.conflicting_fields),
    )


def changed_note(outcome: changes.Outcome) -> UpdatedNoteReply:
    """The note after an update or delete (with the fields merged, if any): 404 when there is
    none, 412 with the server's copy."""
    if outcome.status is changes.Status.NOT_FOUND:
        raise errors.NotFound("No such note.")
    if outcome.status is changes.Status.CONFLICT:
        raise _conflict(outcome)
    assert outcome.note is not None
    reply = UpdatedNoteReply.of(outcome.note)
    reply.merged_fields = list(outcome.merged_fields) or None
    return reply


def create_note(caller: Caller, request: CreateNoteRequest) -> tuple[NoteReply, bool]:
    """The note, and whether it is new (False: a replay of an earlier create)."""
    note_id = str(request.id or uuid.uuid4())
    outcome = _apply_one(caller, changes.Create(note_id, request.title, request.content, request.trashed))
    assert outcome.note is not None
    if outcome.status is changes.Status.CONFLICT:
        raise errors.AlreadyExists("A note with this id exists with other content.", note=NoteReply.of(outcome.note))
    return NoteReply.of(outcome.note), not outcome.replayed


def get_note(caller: Caller, note_id: str) -> NoteReply:
    note = table.get_note(caller.user_id, note_id)
    if note is None or note.deleted:
        raise errors.NotFound("No such note.")
    return NoteReply.of(note)


def list_notes(caller: Caller, limit: int, cursor: str | None, trashed: bool = False) -> NotesPageReply:
    """Live notes, most recently changed first; or the trash, most recently trashed first."""
    before = cursors.read_list_cursor(cursor, trashed) if cursor else None
    notes, more = table.query_listed(caller.user_id, trashed, before, limit)
    page = page_of(notes)
    next_cursor = None
    if (more or len(page) < len(notes)) and notes:
        last = notes[len(page) - 1]
        position = last.trashed_seq if trashed and last.trashed_seq is not None else last.seq
        next_cursor = cursors.list_cursor(position, last.id, trashed)
    return NotesPageReply(notes=page, next_cursor=next_cursor)


def _base_version(if_match: Precondition, body_version: int | None) -> int | Literal["*"] | None:
    if if_match is not None and body_version is not None and if_match != body_version:
        raise errors.MalformedRequest("If-Match and base_version name different versions.")
    return if_match if if_match is not None else body_version


def update_note(
    caller: Caller, note_id: str, request: UpdateNoteRequest, if_match: Precondition, device: str | None = None
) -> NoteReply:
    """The note after the edit (`device`: the Device-Id header). An edit the device made before
    its own delete of the note is answered like the note it deleted: 404."""
    base = _base_version(if_match, request.base_version)
    if base is None or base == "*":
        raise errors.PreconditionRequired("Send If-Match with the note's ETag, or base_version in the body.")
    outcome = _apply_one(caller, changes.Update(note_id, base, request.fields(), device))
    if outcome.status is changes.Status.DELETED:
        raise errors.NotFound("No such note.")
    return changed_note(outcome)


def delete_note(caller: Caller, note_id: str, if_match: Precondition) -> NoteReply:
    """The tombstone. Without If-Match (or with *) the note is deleted whatever changed."""
    base = _base_version(if_match, None)
    outcome = _apply_one(caller, changes.Delete(note_id, None if base == "*" else base))
    changes.finish_deletions(caller.user_id, [outcome])
    return changed_note(outcome)


# ---------------------------------------------------------------- batch
_BATCH_STATUS: dict[changes.Status, Literal["created", "updated", "deleted", "conflict", "not_found"]] = {
    changes.Status.CREATED: "created",
    changes.Status.UPDATED: "updated",
    changes.Status.DELETED: "deleted",
    changes.Status.CONFLICT: "conflict",
    changes.Status.NOT_FOUND: "not_found",
}


def _create(item: BatchCreateItem, device: str | None) -> changes.Change:
    return changes.Create(str(item.id or uuid.uuid4()), item.title, item.content, item.trashed, device)


def _update(item: BatchUpdateItem, device: str | None) -> changes.Change:
    return changes.Update(str(item.id), item.base_version, item.fields(), device)


def _delete(item: BatchDeleteItem, device: str | None) -> changes.Change:
    return changes.Delete(str(item.id), item.base_version, device)


_BATCH_KINDS: dict[str, tuple[type[Any], Callable[[Any, str | None], changes.Change]]] = {
    "create": (BatchCreateItem, _create),
    "update": (BatchUpdateItem, _update),
    "delete": (BatchDeleteItem, _delete),
}


def batch(caller: Caller, request: BatchRequest, order: Sequence[str]) -> BatchReply:
    """Each item's result, in request order (`order`: the lists as the body names them); an
    invalid item does not stop the others."""
    kinds = sorted((kind for kind in _BATCH_KINDS if kind in order), key=order.index)
    parsed: list[changes.Change | tuple[str | None, errors.DomainError]] = []
    for kind in kinds:
        model, to_change = _BATCH_KINDS[kind]
        for index, raw in enumerate(getattr(request, kind)):
            item = parse_item(model, raw, f"/{kind}/{index}")
            if isinstance(item, errors.DomainError):
                parsed.append((echoed_id(raw), item))
            else:
                parsed.append(to_change(item, request.device_id))
    valid = [entry for entry in parsed if not isinstance(entry, tuple)]
    body: list[Any] = [(kind, getattr(request, kind)) for kind in kinds]
    if request.device_id is not None:
        body.append(("device_id", request.device_id))
    digest = changes.request_digest("batch", body)
    applied = changes.apply(caller, valid, _settings, digest)
    changes.finish_deletions(caller.user_id, applied)
    outcomes = iter(applied)
    results = []
    for entry in parsed:
        if isinstance(entry, tuple):
            raw_id, problem = entry
            results.append(BatchResult(id=raw_id, status="invalid", problem=problem_document(problem)))
            continue
        outcome = next(outcomes)
        status = _BATCH_STATUS[outcome.status]
        note = NoteReply.of(outcome.note) if outcome.note is not None and status != "not_found" else None
        conflicting = list(outcome.conflicting_fields) if status == "conflict" else None
        results.append(
            BatchResult(
                id=entry.note_id,
                status=status,
                note=note,
                conflicting_fields=conflicting,
                merged_fields=list(outcome.merged_fields) or None,
                conflict_reason=outcome.conflict_reason if status == "conflict" else None,
            )
        )
    return BatchReply(results=within_page_bytes(results))
