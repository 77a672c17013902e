"""The note as the domain sees it, and the clock it is stamped with."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

NOTE_FIELDS = ("title", "content")
MAX_TITLE_CHARS = 500
MAX_CONTENT_CHARS = 100_000
MAX_MEDIA_PER_NOTE = 5

MediaStatus = Literal["pending", "ready", "rejected"]


def now_rfc3339() -> str:
    """The server clock, RFC 3339 UTC with milliseconds: 2026-11-25T11:30:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Media:
    """An image attached to a note: reserved (pending) until its upload is checked, then ready or
    rejected. A pending reservation counts toward the note's five until `reserved_until`."""

    media_id: str
    status: MediaStatus
    content_type: str
    size: int
    created_at: str
    reserved_until: int  # epoch seconds; meaningful while pending
    etag: str = ""  # of the object accepted: another object under the key is not this image
    declared_size: int = 0  # what the slot was asked for (size becomes the object's once ready)

    def same_slot(self, content_type: str, declared_size: int) -> bool:
        """Whether a request for this media id with these values asks for this very slot."""
        return (self.content_type, self.declared_size or self.size) == (content_type, declared_size)

    def counts(self, now_epoch: int) -> bool:
        return self.status == "ready" or (self.status == "pending" and now_epoch < self.reserved_until)

    def key(self, user_id: str, note_id: str) -> str:
        return media_key(user_id, note_id, self.media_id)


def media_key(user_id: str, note_id: str, media_id: str) -> str:
    return f"media/{user_id}/{note_id}/{media_id}"


def photo_key(user_id: str) -> str:
    return f"photos/{user_id}/profile"


@dataclass(frozen=True)
class Note:
    """One user's note, or its tombstone once deleted (content purged, `deleted` true; its
    `media` stay listed until the delete-note state machine has deleted their objects).

    `version` counts every change (1 on create); `field_versions` holds the version at which each
    user field last changed, so an edit based on an older version can tell whether the fields it
    touches changed since (a conflict) or not (a merge). `seq` is the user's change sequence
    number of the note's latest change: the changes feed is ordered by it.
    """

    user_id: str
    id: str
    title: str
    content: str
    created_at: str
    updated_at: str
    version: int
    seq: int
    field_versions: dict[str, int]
    deleted: bool = False
    expires_at: int | None = None  # tombstones only: when the table's TTL may remove it
    media: tuple[Media, ...] = ()

    def value(self, name: str) -> str:
        value: str = getattr(self, name)
        return value

    def changed_since(self, base_version: int, names: tuple[str, ...] = NOTE_FIELDS) -> tuple[str, ...]:
        """The fields among `names` changed by a version after `base_version`."""
        return tuple(name for name in names if self.field_versions.get(name, 0) > base_version)

    def with_fields(self, fields: dict[str, str], seq: int, now: str) -> "Note":
        version = self.version + 1
        versions = dict(self.field_versions) | dict.fromkeys(fields, version)
        return replace(
            self,
            title=fields.get("title", self.title),
            content=fields.get("content", self.content),
            version=version,
            seq=seq,
            updated_at=now,
            field_versions=versions,
        )

    def find_media(self, media_id: str) -> Media | None:
        return next((media for media in self.media if media.media_id == media_id), None)

    def with_media(self, media: tuple[Media, ...], seq: int, now: str) -> "Note":
        """A change of the note's images only: a new version, no user field changed."""
        return replace(self, media=media, version=self.version + 1, seq=seq, updated_at=now)

    def tombstone(self, seq: int, now: str, expires_at: int) -> "Note":
        version = self.version + 1
        return replace(
            self,
            title="",
            content="",
            deleted=True,
            version=version,
            seq=seq,
            updated_at=now,
            expires_at=expires_at,
            field_versions=dict.fromkeys(NOTE_FIELDS, version),
        )


def new_note(user_id: str, note_id: str, title: str, content: str, seq: int, now: str) -> Note:
    return Note(
        user_id=user_id,
        id=note_id,
        title=title,
        content=content,
        created_at=now,
        updated_at=now,
        version=1,
        seq=seq,
        field_versions=dict.fromkeys(NOTE_FIELDS, 1),
    )
