"""A note's revision history: its text at every version that changed the title or the content.

Each such change keeps the note's new text as a revision, in the same transaction (see
notes_core.engine.changes), in slot version mod RevisionsPerNote, overwriting what the slot held: a
note keeps at most that many, none older than RevisionRetentionDays. A revision is answered only
while it is in its slot (not overwritten) and not expired, and only while its note is neither
deleted nor another user's (revisions live under the caller's own partition key).
"""

import time

from notes_core.contract import cursors
from notes_core.contract.bodies.notes import NoteReply, RevisionReply, RevisionsPageReply, RevisionSummary
from notes_core.data import table
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.domain.note import Revision
from notes_core.engine import changes
from notes_core.runtime.config import NotesSettings, load_settings
from notes_core.usecases.notes import Precondition, changed_note

_settings = load_settings(NotesSettings)


def list_revisions(caller: Caller, note_id: str, limit: int, cursor: str | None) -> RevisionsPageReply:
    """The note's revisions, newest first, after the version a previous page ended at."""
    live, revisions = table.read_revisions(caller.user_id, note_id)
    if not live:
        raise errors.NotFound("No such note.")
    before = cursors.read_revision_cursor(cursor) if cursor else None
    now = int(time.time())
    kept = sorted(
        (r for r in revisions if r.expires_at > now and (before is None or r.version < before)),
        key=lambda revision: revision.version,
        reverse=True,
    )
    page = kept[:limit]
    return RevisionsPageReply(
        revisions=[
            RevisionSummary(version=r.version, updated_at=r.updated_at, title=r.title, preview=r.preview) for r in page
        ],
        next_cursor=cursors.revision_cursor(page[-1].version) if len(kept) > limit else None,
    )


def _revision(caller: Caller, note_id: str, version: int) -> Revision:
    note, revision = table.read_revision(caller.user_id, note_id, version % _settings.revisions_per_note)
    if note is None or note.deleted:
        raise errors.NotFound("No such note.")
    if revision is None or revision.version != version or revision.expires_at <= int(time.time()):
        raise errors.NotFound("No such revision: unknown, expired or overwritten by a later one.")
    return revision


def get_revision(caller: Caller, note_id: str, version: int) -> RevisionReply:
    return RevisionReply.of(_revision(caller, note_id, version))


def restore(caller: Caller, note_id: str, version: int, if_match: Precondition) -> NoteReply:
    """Set the note's title and content to the revision's, as a new change (itself a revision).

    Based on the version If-Match names (412 when the text changed since), else on the note as it
    stands. Asked again, the text is already the revision's: the same note is answered."""
    revision = _revision(caller, note_id, version)
    base = None if if_match is None or if_match == "*" else if_match
    change = changes.Update(note_id, base, {"title": revision.title, "content": revision.content})
    (outcome,) = changes.apply(caller, [change], _settings)
    return changed_note(outcome)
