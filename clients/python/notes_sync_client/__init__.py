"""notes-sync's reference client: the sync guide (docs/sync-protocol.md) as a library.

from notes_sync_client import Client
with Client("http://127.0.0.1:3000", "~/.notes-sync") as client:
    client.sign_in("ann@example.com", "Correct-Horse-1")
    note_id = client.create("Groceries", "milk, eggs")
    client.sync()
"""

from notes_sync_client.client import Client
from notes_sync_client.errors import ApiError, NotesSyncError, ProfileInUse, SignInRequired, Unavailable
from notes_sync_client.models import (
    KEEP_LOCAL,
    TAKE_SERVER,
    Conflict,
    KeptText,
    Media,
    Note,
    Resolution,
    SyncReport,
    keep_device_text,
    merged,
)
from notes_sync_client.transport import Backoff

__all__ = [
    "KEEP_LOCAL",
    "TAKE_SERVER",
    "ApiError",
    "Backoff",
    "Client",
    "Conflict",
    "KeptText",
    "Media",
    "Note",
    "NotesSyncError",
    "ProfileInUse",
    "Resolution",
    "SignInRequired",
    "SyncReport",
    "Unavailable",
    "keep_device_text",
    "merged",
]
