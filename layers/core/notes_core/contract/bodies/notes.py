"""Bodies of the notes routes (/v1/notes*) and the sync routes (/v1/sync)."""

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID

import msgspec
from msgspec import Meta

from notes_core.contract.bodies.base import MAX_ECHOED_CHARS, Reply, Request, parse_item, validation_error
from notes_core.domain import errors
from notes_core.domain.note import (
    DEVICE_ID_PATTERN,
    MAX_CONTENT_CHARS,
    MAX_TITLE_CHARS,
    NOTE_FIELDS,
    FieldValue,
    MediaStatus,
    Note,
    Revision,
)

Title = Annotated[str, Meta(max_length=MAX_TITLE_CHARS)]
Content = Annotated[str, Meta(max_length=MAX_CONTENT_CHARS)]
# A version is a JSON integer (2.0 is 2, as JSON Schema reads it); true, 1.5 or "1" are refused.
Version = Annotated[int, Meta(ge=1, le=2**53, description="A note version, as in the note's `version`.")]
Timestamp = Annotated[str, Meta(extra_json_schema={"format": "date-time"}, description="RFC 3339, UTC.")]

MAX_BATCH_ITEMS = 25
MAX_PUSH_CHANGES = 100

DeviceId = Annotated[
    str,
    Meta(
        pattern=DEVICE_ID_PATTERN,
        description="The app's own id for this installation (1 to 64 of A-Z a-z 0-9 _ -, made once): the server "
        "then judges a change sent again on an old base version, after a lost answer, against what this device "
        "last sent, so it never conflicts with itself nor doubles its own words (docs/sync-protocol.md).",
    ),
]
ConflictReason = Annotated[
    Literal["merge-budget"],
    Meta(
        description="Why a conflict that is not about the texts: `merge-budget`, the request had no time left to merge "
        "this change with the changes made since its base (its texts are large, or the push held many). Nothing of "
        "it was applied: send it again in a push of its own."
    ),
]


def _item(name: str) -> Meta:
    """A batch or push item: the schema it must meet to apply, as a plain $ref (code generators
    then type the list with the item's model). The body itself takes any object there."""
    return Meta(extra_json_schema={"$ref": f"#/components/schemas/{name}"})


def _checked_one_by_one(answered: str, most: int) -> Meta:
    """Items are checked one by one: one bad item fails only itself, which no schema can say."""
    return Meta(
        max_length=most,
        description=f"Each item is checked on its own: one that breaks its schema is answered `{answered}`, with a "
        "422 problem naming the fault, and the others still apply.",
    )


CreateItems = Annotated[
    list[Annotated[dict[str, Any], _item("BatchCreateItem")]], _checked_one_by_one("invalid", MAX_BATCH_ITEMS)
]
UpdateItems = Annotated[
    list[Annotated[dict[str, Any], _item("BatchUpdateItem")]], _checked_one_by_one("invalid", MAX_BATCH_ITEMS)
]
DeleteItems = Annotated[
    list[Annotated[dict[str, Any], _item("BatchDeleteItem")]], _checked_one_by_one("invalid", MAX_BATCH_ITEMS)
]
PushChanges = Annotated[
    list[Annotated[dict[str, Any], _item("PushChange")]], _checked_one_by_one("rejected", MAX_PUSH_CHANGES)
]
# A problem embedded in a batch or push result: the document's Problem.
ProblemObject = Annotated[dict[str, Any], Meta(extra_json_schema={"$ref": "#/components/schemas/Problem"})]


# "Title, content, trashed or several", as JSON Schema: not all three null or left out (a member set to
# null counts as left out). Written with `not`, not as an anyOf of `required`: code generators read
# an anyOf beside `properties` as a union of partial schemas and lose the members (openapi-python-
# client 0.29 made classes without `id`); they ignore `not`, which validators (schemathesis) honour.
_SETS_A_FIELD: dict[str, Any] = {"not": {"properties": {name: {"type": "null"} for name in NOTE_FIELDS}}}


class MediaSummary(Reply):
    media_id: str
    status: MediaStatus
    content_type: str
    size: Annotated[int, Meta(description="Bytes: as declared until ready, then the uploaded object's.")]


class NoteReply(Reply):
    id: str
    title: str
    content: str
    created_at: Timestamp
    updated_at: Timestamp
    version: Annotated[int, Meta(description="1 on create, +1 on every change.")]
    deleted: Annotated[bool, Meta(description="True for a tombstone: title and content are purged.")]
    trashed: Annotated[bool, Meta(description="In the trash: out of the default list, kept whole, restorable.")]
    trashed_at: Annotated[Timestamp, Meta(description="When it went to the trash (server clock); null if not.")] | None
    media: Annotated[list[MediaSummary], Meta(description="Images attached to the note.")]

    @classmethod
    def of(cls, note: Note) -> Self:
        return cls(
            id=note.id,
            title=note.title,
            content=note.content,
            created_at=note.created_at,
            updated_at=note.updated_at,
            version=note.version,
            deleted=note.deleted,
            trashed=note.trashed,
            trashed_at=note.trashed_at,
            media=[]
            if note.deleted
            else [
                MediaSummary(media_id=m.media_id, status=m.status, content_type=m.content_type, size=m.size)
                for m in note.media
            ],
        )


MergedFields = Annotated[
    list[Annotated[str, Meta(extra_json_schema={"enum": ["content"]})]],
    Meta(
        description="Fields changed since the edit's base that were merged with it, word by word: the note "
        "holds both edits. Replace the device's copy with this note."
    ),
]


class UpdatedNoteReply(NoteReply, omit_defaults=True):
    """The note after an update; `merged_fields` when the edit was merged with changes made since
    its base (absent otherwise)."""

    merged_fields: MergedFields | None = None


class CreateNoteRequest(Request, kw_only=True):
    id: Annotated[UUID, Meta(description="The client's own id for the note (retry-safe).")] | None = None
    title: Title
    content: Content
    trashed: Annotated[bool, Meta(description="Created in the trash (trashed on a device before it synced).")] = False


class NoteEdit(Request, kw_only=True):
    """The fields a change sets; those left out are left as they are."""

    title: Title | None = None
    content: Content | None = None
    trashed: Annotated[bool, Meta(description="true moves the note to the trash, false restores it.")] | None = None

    def fields(self) -> dict[str, FieldValue]:
        named: tuple[tuple[str, FieldValue | None], ...] = (
            ("title", self.title),
            ("content", self.content),
            ("trashed", self.trashed),
        )
        return {name: value for name, value in named if value is not None}


class Edit(NoteEdit):
    """An edit of a note that sets one field at least."""

    # What __post_init__ checks, for the document (tools/openapi adds it to the model's schema).
    schema_rules: ClassVar[dict[str, Any]] = _SETS_A_FIELD

    def __post_init__(self) -> None:
        if not self.fields():
            raise ValueError("send title, content, trashed or several")


class UpdateNoteRequest(Edit):
    base_version: Annotated[Version, Meta(description="Alternative to the If-Match header.")] | None = None


# Answers holding notes (pages, batch and push results) stay well under Lambda's 6 MB response
# limit whatever the notes hold (past it, Lambda drops the answer and API Gateway answers 500).
PAGE_BYTES = 5 * 1024 * 1024


def _payload_bytes(encoded: bytes) -> int:
    """What a JSON body takes in Lambda's response payload, where it is a string: every quote and
    backslash gains a backslash (a note of quotes takes twice its JSON), and python3.12's runtime
    writes every other character as it is (local.functions.response_payload_bytes)."""
    return len(encoded) + encoded.count(b'"') + encoded.count(b"\\")


def _most_payload_bytes(note: NoteReply) -> int:
    """An upper bound of the note's size in the payload: a byte of text takes at most 7 (\\\\u0001);
    the ids, times and flags take under 512 bytes, and each image entry under 200."""
    return 7 * (len(note.title.encode()) + len(note.content.encode())) + 512 + 200 * len(note.media)


def page_of(notes: Sequence[Note]) -> list[NoteReply]:
    """The replies of as many of the notes, from the first, as fit in PAGE_BYTES of payload (one
    at least); the rest belong on the next page."""
    replies = [NoteReply.of(note) for note in notes]
    if sum(_most_payload_bytes(reply) for reply in replies) <= PAGE_BYTES:  # only then measure each exactly
        return replies
    budget = PAGE_BYTES
    for index, reply in enumerate(replies):
        budget -= _payload_bytes(msgspec.json.encode(reply)) + 1
        if budget < 0 and index > 0:
            return replies[:index]
    return replies


def within_page_bytes[Result: (BatchResult, PushResult)](results: list[Result]) -> list[Result]:
    """Every result, in order, each with its note while the answer fits in PAGE_BYTES of payload;
    from the first note that would not fit on, the results carry none and say so (`note_omitted`),
    and the client pulls those notes. What each result says besides its note always fits: a refused
    item echoes at most MAX_ECHOED_CHARS of what the client wrote
    (notes_core.contract.bodies.base)."""
    bare = [
        msgspec.structs.replace(result, note=None, note_omitted=True) if result.note is not None else result
        for result in results
    ]
    bare_sizes = [_payload_bytes(msgspec.json.encode(result)) + 1 for result in bare]
    budget = PAGE_BYTES - sum(bare_sizes)
    if sum(_most_payload_bytes(result.note) for result in results if result.note is not None) <= budget:
        return results  # only then measure each exactly
    for index, result in enumerate(results):
        if result.note is not None:
            budget -= _payload_bytes(msgspec.json.encode(result)) + 1 - bare_sizes[index]
            if budget < 0:
                return results[:index] + bare[index:]
    return results


class NotesPageReply(Reply):
    notes: list[NoteReply]
    next_cursor: Annotated[str, Meta(description="Pass as `cursor` for the next page; null on the last page.")] | None


# ---------------------------------------------------------------- batch
class BatchCreateItem(CreateNoteRequest):
    pass


class BatchUpdateItem(Edit):
    id: UUID
    base_version: Version


class BatchDeleteItem(Request):
    id: UUID
    base_version: Version | None = None


class BatchRequest(Request):
    """Items are checked one by one, so one bad item never fails the others. Results come in
    request order: the lists in the order the body gives them, each list in its own order."""

    # Each list holds 25 at most; the 25 in all that __post_init__ checks is beyond JSON Schema.
    create: CreateItems = []
    update: UpdateItems = []
    delete: DeleteItems = []
    device_id: DeviceId | None = None

    def __post_init__(self) -> None:
        count = len(self.create) + len(self.update) + len(self.delete)
        if count > MAX_BATCH_ITEMS:
            raise ValueError(f"at most {MAX_BATCH_ITEMS} items in all, not {count}")


ConflictingFields = Annotated[
    list[Annotated[str, Meta(extra_json_schema={"enum": list(NOTE_FIELDS)})]],
    Meta(description="With a conflict: the fields changed since the base version (or that differ from the server's)."),
]


ResultId = Annotated[
    str,
    Meta(
        description="The note's id; for a refused item, its `id` as sent when that is a string of at most "
        f"{MAX_ECHOED_CHARS} characters (null otherwise: results come in request order)."
    ),
]
NoteOmitted = Annotated[
    bool,
    Meta(
        description="True when this result's `note` was left out to keep the answer under the platform's 6 MB "
        "response limit (from the first result that would not fit on, none carries its note): the outcome stands, "
        "pull to get the note (the feed has it). Absent otherwise."
    ),
]


class BatchResult(Reply, omit_defaults=True):
    id: ResultId | None
    status: Literal["created", "updated", "deleted", "conflict", "invalid", "not_found"]
    note: NoteReply | None = None
    note_omitted: NoteOmitted = False
    conflicting_fields: ConflictingFields | None = None
    merged_fields: MergedFields | None = None
    conflict_reason: ConflictReason | None = None
    problem: ProblemObject | None = None


class BatchReply(Reply):
    results: list[BatchResult]


# ---------------------------------------------------------------- sync
# A push change is one of four kinds, told apart by `op`: a tagged union, which the document states
# as a oneOf with a discriminator, so that code generators make one type per kind.
class PushCreate(Request, tag_field="op", tag="create", kw_only=True):
    """Create the note, with the id the device gave it."""

    id: UUID
    title: Title
    content: Content
    trashed: Annotated[bool, Meta(description="Created in the trash (false when left out).")] = False


class PushUpdate(BatchUpdateItem, tag_field="op", tag="update"):
    """Set the fields sent (one at least) of the note, on the version the device's copy is based on;
    the fields left out (or null) are left as they are."""


class PushDelete(Request, tag_field="op", tag="delete", kw_only=True):
    """Delete the note: it becomes a tombstone."""

    # The first document let a delete carry title, content and trashed as null: still accepted, but
    # left out of the document (tools/openapi), where a member that can only be null breaks
    # openapi-fetch's request types (openapi-typescript issue 2717).
    undocumented: ClassVar[tuple[str, ...]] = NOTE_FIELDS

    id: UUID
    base_version: (
        Annotated[Version, Meta(description="The version the delete is based on; null deletes whatever changed since.")]
        | None
    )
    title: None = None
    content: None = None
    trashed: None = None


class PushUpsert(NoteEdit, tag_field="op", tag="upsert"):
    """Deprecated, still accepted with the same answers: the first form of create and update.
    `base_version` null creates (title and content required), an integer updates (one field at
    least). Send `create` or `update` instead."""

    deprecated: ClassVar[bool] = True  # for the document
    # What __post_init__ checks, for the document.
    schema_rules: ClassVar[dict[str, Any]] = {
        "if": {"properties": {"base_version": {"type": "null"}}},
        "then": {
            "required": ["title", "content"],
            "properties": {"title": {"type": "string"}, "content": {"type": "string"}},
        },
        "else": _SETS_A_FIELD,
    }

    id: UUID
    base_version: Annotated[Version, Meta(description="The version the change was made on; null creates.")] | None

    def __post_init__(self) -> None:
        if self.base_version is None and (self.title is None or self.content is None):
            raise ValueError("a create (base_version null) needs title and content")
        if not self.fields():
            raise ValueError("send title, content, trashed or several")


PushChange = PushCreate | PushUpdate | PushDelete | PushUpsert
_PUSH_CHANGES: dict[str, type[PushChange]] = {
    str(kind.__struct_config__.tag): kind for kind in (PushCreate, PushUpdate, PushDelete, PushUpsert)
}


def parse_push_change(raw: dict[str, Any], at: str) -> PushChange | errors.DomainError:
    """One change of a push, checked on its own (parse_item): the model its `op` names (converting
    to the union itself costs ~14 µs an item, msgspec building the union's converter each time;
    the member, ~0.8 µs), or, for a missing or unknown `op`, the union's own problem."""
    op = raw.get("op")
    kind = _PUSH_CHANGES.get(op) if isinstance(op, str) else None
    if kind is not None:
        return parse_item(kind, raw, at)
    try:
        msgspec.convert(raw, type=PushChange)
    except msgspec.ValidationError as refused:
        return validation_error(refused, at)
    raise AssertionError("the union takes no change without one of its ops")


class PushRequest(Request):
    changes: PushChanges
    device_id: DeviceId | None = None


class PushResult(Reply, omit_defaults=True):
    id: ResultId | None
    status: Literal["applied", "conflict", "rejected"]
    note: (
        Annotated[NoteReply, Meta(description="The server's note after the change (or the conflicting copy).")] | None
    ) = None
    note_omitted: NoteOmitted = False
    conflicting_fields: ConflictingFields | None = None
    merged_fields: MergedFields | None = None
    conflict_reason: ConflictReason | None = None
    problem: ProblemObject | None = None


class PushReply(Reply):
    results: list[PushResult]


class PullReply(Reply):
    changes: Annotated[
        list[NoteReply], Meta(description="Notes and tombstones changed after the cursor, in commit order.")
    ]
    cursor: Annotated[str, Meta(description="Pass as `cursor` on the next pull.")]
    has_more: bool


# ---------------------------------------------------------------- revisions and the trash
class RevisionSummary(Reply):
    version: Annotated[int, Meta(description="The note's version this text was written at.")]
    updated_at: Timestamp
    title: str
    preview: Annotated[str, Meta(description="The first 200 characters of the content.")]


class RevisionsPageReply(Reply):
    revisions: Annotated[list[RevisionSummary], Meta(description="Newest first.")]
    next_cursor: Annotated[str, Meta(description="Pass as `cursor` for the next page; null on the last page.")] | None


class RevisionReply(Reply):
    version: int
    updated_at: Timestamp
    title: str
    content: str

    @classmethod
    def of(cls, revision: Revision) -> "RevisionReply":
        return cls(
            version=revision.version, updated_at=revision.updated_at, title=revision.title, content=revision.content
        )


class EmptyTrashReply(Reply):
    purge_id: Annotated[
        str, Meta(description="Names this emptying (the purge-trash state machine's execution): asked again, the same.")
    ]
