"""The values the library hands to an app: notes, images, conflicts and their resolutions."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FieldValue = str | bool
FIELDS = ("title", "content", "trashed")


@dataclass(frozen=True)
class Media:
    """An image of a note (sync guide, "Images"): `pending` until the server checked the upload."""

    media_id: str
    status: str
    content_type: str
    size: int

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> "Media":
        return cls(str(raw["media_id"]), str(raw["status"]), str(raw["content_type"]), int(raw["size"]))


@dataclass(frozen=True)
class Note:
    """A note as this device holds it, or as the server answered it (sync guide, "The note").

    `version` is the server version this copy is based on (None: created on this device, its create
    not answered yet). `deleted` is a tombstone (the server's) or a delete not answered yet (ours)."""

    id: str
    title: str
    content: str
    trashed: bool = False
    version: int | None = None
    deleted: bool = False
    created_at: str | None = None
    updated_at: str | None = None
    trashed_at: str | None = None
    media: tuple[Media, ...] = ()

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> "Note":
        return cls(
            id=str(raw["id"]),
            title=str(raw["title"]),
            content=str(raw["content"]),
            trashed=bool(raw["trashed"]),
            version=int(raw["version"]),
            deleted=bool(raw["deleted"]),
            created_at=raw.get("created_at"),
            updated_at=raw.get("updated_at"),
            trashed_at=raw.get("trashed_at"),
            media=tuple(Media.from_api(item) for item in raw.get("media") or ()),
        )

    def value(self, name: str) -> FieldValue:
        found: FieldValue = getattr(self, name)
        return found


@dataclass(frozen=True)
class Conflict:
    """A change the server could not apply nor merge (sync guide, "Conflicts"). `local` is the
    device's copy with every edit it has not had answered (None: the device deleted the note);
    `server` is the server's copy (`server.deleted`: deleted on another device)."""

    note_id: str
    local: Note | None
    server: Note
    conflicting_fields: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """What to do with a conflict:

    - `keep="local"`: the device's text wins, as a new edit on the server's version (a note deleted on
      another device comes back as a new note, with a new id; a delete is sent again on that version);
    - `keep="server"`: take the server's copy; the device's text is kept aside (`Client.conflicts`);
    - `keep="fields"`: send `fields` (a merge made by the app or the user) as a new edit on the
      server's version."""

    keep: Literal["local", "server", "fields"]
    fields: Mapping[str, FieldValue] = field(default_factory=dict)


KEEP_LOCAL = Resolution("local")
TAKE_SERVER = Resolution("server")


def merged(**fields: FieldValue) -> Resolution:
    """A resolution sending these values as a new edit on the server's version."""
    return Resolution("fields", fields)


def keep_device_text(conflict: Conflict) -> Resolution:
    """The default: nothing is dropped. The device's text goes on top of the server's version (the
    server's text stays in the note's revisions); a note deleted on another device comes back as a
    new note. A delete that met another device's edit gives way to that edit."""
    return TAKE_SERVER if conflict.local is None else KEEP_LOCAL


ConflictHandler = Callable[[Conflict], Resolution]


@dataclass(frozen=True)
class KeptText:
    """The device's text of a conflict resolved with the server's copy (`keep="server"`)."""

    note_id: str
    title: str
    content: str
    server_version: int


@dataclass
class SyncReport:
    """What one `Client.sync` did."""

    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: int = 0
    rejected: list[str] = field(default_factory=list)
    pulled: int = 0
    resynced: bool = False
