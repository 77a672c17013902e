"""Bodies of the notes routes (/v1/notes*) and the sync routes (/v1/sync)."""

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import Field, ModelWrapValidatorHandler, PrivateAttr, StringConstraints, model_validator

from notes_core.models import Reply, Request
from notes_core.note import MAX_CONTENT_CHARS, MAX_TITLE_CHARS, MediaStatus, Note

Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
Content = Annotated[str, StringConstraints(max_length=MAX_CONTENT_CHARS)]
# strict: a version is a JSON integer; true, 1.0 or "1" are refused rather than read as 1.
Version = Annotated[int, Field(strict=True, ge=1, le=2**53, description="A note version, as in the note's `version`.")]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="RFC 3339, UTC.")]

MAX_BATCH_ITEMS = 25
MAX_PUSH_CHANGES = 100


class MediaSummary(Reply):
    media_id: str
    status: MediaStatus
    content_type: str
    size: int = Field(description="Bytes: as declared until ready, then the uploaded object's.")


class NoteReply(Reply):
    id: str
    title: str
    content: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(description="1 on create, +1 on every change.")
    deleted: bool = Field(description="True for a tombstone: title and content are purged.")
    media: list[MediaSummary] = Field(default_factory=list, description="Images attached to the note.")

    @classmethod
    def of(cls, note: Note) -> "NoteReply":
        return cls(
            id=note.id,
            title=note.title,
            content=note.content,
            created_at=note.created_at,
            updated_at=note.updated_at,
            version=note.version,
            deleted=note.deleted,
            media=[]
            if note.deleted
            else [
                MediaSummary(media_id=m.media_id, status=m.status, content_type=m.content_type, size=m.size)
                for m in note.media
            ],
        )


class CreateNoteRequest(Request):
    id: UUID | None = Field(default=None, description="The client's own id for the note (retry-safe).")
    title: Title
    content: Content


class NoteEdit(Request):
    """The fields a change sets; those left out are left as they are."""

    title: Title | None = None
    content: Content | None = None

    def fields(self) -> dict[str, str]:
        return {name: value for name, value in (("title", self.title), ("content", self.content)) if value is not None}


class UpdateNoteRequest(NoteEdit):
    base_version: Version | None = Field(default=None, description="Alternative to the If-Match header.")

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.fields():
            raise ValueError("send title, content or both")
        return self


class NotesPageReply(Reply):
    notes: list[NoteReply]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


# ---------------------------------------------------------------- batch
class BatchCreateItem(CreateNoteRequest):
    pass


class BatchUpdateItem(UpdateNoteRequest):
    id: UUID
    base_version: Version


class BatchDeleteItem(Request):
    id: UUID
    base_version: Version | None = None


class BatchRequest(Request):
    """Items are checked one by one, so one bad item never fails the others. Results come in
    request order: the lists in the order the body gives them, each list in its own order."""

    _order: tuple[str, ...] = PrivateAttr(default=("create", "update", "delete"))

    create: list[dict[str, Any]] = Field(
        default_factory=list, json_schema_extra={"items": {"$ref": "#/components/schemas/BatchCreateItem"}}
    )
    update: list[dict[str, Any]] = Field(
        default_factory=list, json_schema_extra={"items": {"$ref": "#/components/schemas/BatchUpdateItem"}}
    )
    delete: list[dict[str, Any]] = Field(
        default_factory=list, json_schema_extra={"items": {"$ref": "#/components/schemas/BatchDeleteItem"}}
    )

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        request = handler(data)
        if isinstance(data, dict):
            request._order = tuple(key for key in data if key in ("create", "update", "delete"))
        return request

    def order(self) -> tuple[str, ...]:
        return self._order

    @model_validator(mode="after")
    def _at_most_25(self) -> Self:
        count = len(self.create) + len(self.update) + len(self.delete)
        if count > MAX_BATCH_ITEMS:
            raise ValueError(f"at most {MAX_BATCH_ITEMS} items in all, not {count}")
        return self


def _absent_when_none(value: object) -> bool:
    return value is None


class BatchResult(Reply):
    id: str | None
    status: Literal["created", "updated", "deleted", "conflict", "invalid", "not_found"]
    note: NoteReply | None = Field(default=None, exclude_if=_absent_when_none)
    problem: dict[str, Any] | None = Field(default=None, exclude_if=_absent_when_none)


class BatchReply(Reply):
    results: list[BatchResult]


# ---------------------------------------------------------------- sync
class PushChange(NoteEdit):
    op: Literal["upsert", "delete"]
    id: UUID
    base_version: Version | None = Field(description="The version the change was made on; null creates.")

    @model_validator(mode="after")
    def _fits_its_op(self) -> Self:
        if self.op == "delete" and (self.title is not None or self.content is not None):
            raise ValueError("a delete carries no title or content")
        if self.op == "upsert" and self.base_version is None and (self.title is None or self.content is None):
            raise ValueError("a create (base_version null) needs title and content")
        if self.op == "upsert" and self.title is None and self.content is None:
            raise ValueError("send title, content or both")
        return self


class PushRequest(Request):
    changes: list[dict[str, Any]] = Field(
        max_length=MAX_PUSH_CHANGES,
        json_schema_extra={"items": {"$ref": "#/components/schemas/PushChange"}},
    )


class PushResult(Reply):
    id: str | None
    status: Literal["applied", "conflict", "rejected"]
    note: NoteReply | None = Field(
        default=None,
        exclude_if=_absent_when_none,
        description="The server's note after the change (or the conflicting copy).",
    )
    problem: dict[str, Any] | None = Field(default=None, exclude_if=_absent_when_none)


class PushReply(Reply):
    results: list[PushResult]


class PullReply(Reply):
    changes: list[NoteReply] = Field(description="Notes and tombstones changed after the cursor, in commit order.")
    cursor: str = Field(description="Pass as `cursor` on the next pull.")
    has_more: bool
