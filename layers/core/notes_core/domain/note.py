"""The note as the domain sees it, and the clock it is stamped with."""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

# The fields a client sets, each with the version it last changed at: edits to different fields
# merge, an edit to a field changed since its base is a conflict. `trashed` is one of them.
NOTE_FIELDS = ("title", "content", "trashed")
TEXT_FIELDS = ("title", "content")  # the text a revision keeps
FieldValue = str | bool
MAX_TITLE_CHARS = 500
MAX_CONTENT_CHARS = 100_000
MAX_MEDIA_PER_NOTE = 5
# What an app may call its installation (`device_id`, Device-Id): 1 to 64 of A-Z a-z 0-9 _ -. The
# lookahead keeps Python's `$` from admitting a final newline (ECMA-262's never does).
DEVICE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}(?!\n)$"
# The devices a note remembers what they last sent (notes_core.engine.changes, "Devices"): those whose
# applied changes are the most recent. A device forgotten past that is judged as one without id.
DEVICES_PER_NOTE = 10

MediaStatus = Literal["pending", "ready", "rejected"]


def now_rfc3339() -> str:
    """The server clock, RFC 3339 UTC with milliseconds: 2026-11-25T11:30:00.123Z."""
    return rfc3339(datetime.now(UTC))


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds; such strings sort as their times do."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rfc3339_after(moment: str, seconds: float) -> str:
    return rfc3339(datetime.fromisoformat(moment) + timedelta(seconds=seconds))


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


def value_digest(value: FieldValue) -> str:
    """A field's value, as a short digest: what a note keeps of the values devices sent."""
    text = ("b:true" if value else "b:false") if isinstance(value, bool) else "s:" + value
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Sent:
    """One field of the last applied change of a device that set it: the version the change
    produced, and the digest of the value the device sent (a merged content differs from the note's
    content at that version; its revision keeps what was sent)."""

    version: int
    digest: str


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
    trashed: bool = False
    trashed_at: str | None = None  # RFC 3339, while trashed
    trashed_seq: int | None = None  # the change sequence number that trashed it: the trash's order
    purge_after: str | None = None  # RFC 3339, while trashed: when the scheduled purge deletes it
    # The versions whose text a revision keeps, oldest first (as many as there are slots): the
    # text at any version is the newest of these at or before it.
    text_versions: tuple[int, ...] = ()
    # What each device last sent of each field, in its applied changes: {device id: {field: Sent}},
    # at most DEVICES_PER_NOTE devices.
    sent: dict[str, dict[str, Sent]] = field(default_factory=dict)
    deleted_by: str | None = None  # tombstones: the device whose change deleted the note, if it named itself

    def text_version_at(self, version: int) -> int | None:
        """The version whose revision holds the text the note had at `version`, if kept."""
        return max((kept for kept in self.text_versions if kept <= version), default=None)

    def value(self, name: str) -> FieldValue:
        value: FieldValue = getattr(self, name)
        return value

    def with_fields(self, fields: dict[str, FieldValue], seq: int, now: str, trash_seconds: float) -> "Note":
        """The note with `fields` changed, at the next version. Trashing stamps when (and when the
        scheduled purge may delete it, `trash_seconds` later); restoring clears both."""
        version = self.version + 1
        versions = dict(self.field_versions) | dict.fromkeys(fields, version)
        trashed = bool(fields.get("trashed", self.trashed))
        trash = (self.trashed_at, self.trashed_seq, self.purge_after)
        if trashed != self.trashed:
            trash = (now, seq, rfc3339_after(now, trash_seconds)) if trashed else (None, None, None)
        return replace(
            self,
            title=str(fields.get("title", self.title)),
            content=str(fields.get("content", self.content)),
            trashed=trashed,
            trashed_at=trash[0],
            trashed_seq=trash[1],
            purge_after=trash[2],
            version=version,
            seq=seq,
            updated_at=now,
            field_versions=versions,
        )

    def sent_after(self, device: str | None, version: int) -> dict[str, Sent]:
        """The fields `device` set in applied changes that produced a version after `version`: what
        it last sent of each."""
        if device is None:
            return {}
        return {name: sent for name, sent in self.sent.get(device, {}).items() if sent.version > version}

    def with_sent(self, device: str | None, fields: dict[str, FieldValue]) -> "Note":
        """The note remembering that `device` sent `fields` in the change that produced this version.
        A device new to a note that remembers DEVICES_PER_NOTE already takes the place of the one
        whose last applied change is the oldest."""
        if device is None or not fields:
            return self
        remembered = dict(self.sent)
        mine = dict(remembered.pop(device, {}))
        mine.update({name: Sent(self.version, value_digest(value)) for name, value in fields.items()})
        while len(remembered) >= DEVICES_PER_NOTE:
            del remembered[min(remembered, key=lambda other: max(s.version for s in remembered[other].values()))]
        remembered[device] = mine
        return replace(self, sent=remembered)

    def find_media(self, media_id: str) -> Media | None:
        return next((media for media in self.media if media.media_id == media_id), None)

    def with_media(self, media: tuple[Media, ...], seq: int, now: str) -> "Note":
        """A change of the note's images only: a new version, no user field changed."""
        return replace(self, media=media, version=self.version + 1, seq=seq, updated_at=now)

    def tombstone(self, seq: int, now: str, expires_at: int, device: str | None = None) -> "Note":
        version = self.version + 1
        return replace(
            self,
            deleted_by=device,
            sent={},
            title="",
            content="",
            trashed=False,
            trashed_at=None,
            trashed_seq=None,
            purge_after=None,
            deleted=True,
            version=version,
            seq=seq,
            updated_at=now,
            expires_at=expires_at,
            field_versions=dict.fromkeys(NOTE_FIELDS, version),
        )


def new_note(
    user_id: str,
    note_id: str,
    title: str,
    content: str,
    seq: int,
    now: str,
    trashed: bool = False,
    trash_seconds: float = 0,
) -> Note:
    """A note at version 1 (created already in the trash when `trashed`: a device trashed it
    before it ever synced)."""
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
        trashed=trashed,
        trashed_at=now if trashed else None,
        trashed_seq=seq if trashed else None,
        purge_after=rfc3339_after(now, trash_seconds) if trashed else None,
    )


@dataclass(frozen=True)
class Revision:
    """A note's text at one version: kept for every version that changed the title or the
    content, in one of the note's slots (version mod the slots per note), until overwritten by a
    later version of the same slot or expired. When the change was a device's whose content was
    merged, the content it sent too (`sent_content`, by `sent_by`): its next change may be based
    on that text."""

    note_id: str
    version: int
    updated_at: str
    title: str
    content: str
    expires_at: int  # epoch seconds; expired revisions are not answered
    sent_by: str | None = None
    sent_content: str | None = None

    @classmethod
    def of(cls, note: Note, expires_at: int) -> "Revision":
        return cls(note.id, note.version, note.updated_at, note.title, note.content, expires_at)

    def content_sent(self, device: str, digest: str) -> str | None:
        """The content `device` sent with the digest `digest`, if this revision holds it: the
        note's content at this version, or the content the device sent in a change merged here."""
        if value_digest(self.content) == digest:
            return self.content
        if self.sent_by == device and self.sent_content is not None and value_digest(self.sent_content) == digest:
            return self.sent_content
        return None
