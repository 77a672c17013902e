"""The trash: emptying it, and the purge that deletes notes emptied from it or expired there.

A note goes to the trash and comes back through its `trashed` field, like any edit (see
notes_core.engine.changes). DELETE /v1/trash starts the purge-trash state machine for the notes in the
trash at that moment (those trashed at or before the user's current change sequence number); the
scheduled run of the same machine, every day, finds the notes whose time in the trash is up
(purge_after, in the trash-expiry index). Either way, the machine sends each note to the
trash-purge queue, whose worker deletes it as DELETE /v1/notes/{id} does, but only if it is still
in the trash it was found in: a note restored meanwhile stays.
"""

import hashlib
from collections import defaultdict
from typing import Any

from notes_core.contract.bodies.notes import EmptyTrashReply
from notes_core.data import table, workflows
from notes_core.domain import errors
from notes_core.domain.caller import Caller, system_caller
from notes_core.engine import changes
from notes_core.runtime.config import NotesSettings, load_settings
from notes_core.runtime.observability import logger

_settings = load_settings(NotesSettings)


def empty_trash(caller: Caller) -> EmptyTrashReply:
    """Delete for good every note in the trash now (asynchronously). Asked again before anything
    else is written, the same emptying answers (its execution is named from the sequence number)."""
    user = table.get_user(caller.user_id)
    if user.refuses(caller.issued_at):
        raise errors.TokenRefused()
    purge_id = f"trash-{hashlib.sha256(caller.user_id.encode()).hexdigest()[:24]}-{user.last_seq}"
    workflows.start_trash_purge(purge_id, {"user_id": caller.user_id, "up_to_seq": user.last_seq})
    return EmptyTrashReply(purge_id=purge_id)


def purge(message: dict[str, Any]) -> None:
    """One message of the trash-purge queue: a page of trashed notes as the purge-trash machine
    found them, items of the index it read: {"notes": [{"user_id": {"S"}, "id": {"S"},
    "trashed_v": {"N"}}, ...]}. Each user's are deleted in that user's own changes (a failure
    fails the message, which SQS delivers again: what was deleted the first time is a replay)."""
    by_user: dict[str, list[changes.Change]] = defaultdict(list)
    for item in message["notes"]:
        change = changes.PurgeTrashed(item["id"]["S"], int(item["trashed_v"]["N"]))
        by_user[item["user_id"]["S"]].append(change)
    for user_id, purges in by_user.items():
        try:
            outcomes = changes.apply(system_caller(user_id), purges, _settings)
        except errors.TokenRefused:
            logger.info("the account is being deleted: its notes go with it", extra={"user_id": user_id})
            continue
        changes.finish_deletions(user_id, outcomes)
