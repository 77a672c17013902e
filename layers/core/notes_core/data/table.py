"""Data access to the notes table: each user's notes and the user's counter item.

Keys: `user_id` (Cognito sub) and `id`: a note's UUID; `<note id>#rev#<slot>` for the note's
revisions (its text at a version that changed it, in slot version mod RevisionsPerNote, each
overwritten in place); or USER_ITEM_ID for the counter item that holds the user's change sequence
`last_seq`, the sign-out cut-off, the deletion mark and the outcome of the user's last
multi-change request, so that its exact replay answers the same. Note items carry `seq` (index
by-seq: the changes feed); while live, `live_seq` (index live-by-seq: the notes list, which so
never reads a tombstone or a trashed note); while trashed, `trashed_seq` (index trash-by-seq: the
trash) and `trash_shard`, `purge_after` and `trashed_v` (global index trash-expiry: what the
scheduled purge deletes). Revision items carry none of these, so no index holds them.

Realtime: beside the counter, a user's open WebSocket connections (`#user#conn#<connection id>`:
the device that opened it, the issue time of its token, `expires_at` two hours on: the table's TTL,
API Gateway's longest connection) and the devices that registered a push token
(`#user#device#<device id>`: platform, token, SNS endpoint, when a silent push was last sent and
whether one is due at the end of its minute). Their ids sort after the counter's, so the
delete-account machine (which deletes every item after `#user`) deletes them too; they carry no
indexed attribute. The counter item names the device that made the last change (`last_device`,
set or removed by every write that moves `last_seq`): the stream of the table tells the poke
function whose connections not to poke.

The public auth routes' request counters (notes_core.usecases.request_limits) live in partitions of
their own, `#limit#<limit>#<key>`, which no Cognito sub (a UUID) can be, one item per window (`id`:
the window's start); they hold `requests` and `expires_at` (the table's TTL attribute) only, so no
index holds them and no user's query reads them. DynamoDB's error codes become the exceptions below;
nothing outside this module sees botocore.
"""

import hashlib
import json
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachable

from notes_core.data import aws
from notes_core.domain.note import Media, Note, Revision, Sent
from notes_core.runtime.config import TableSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USER_ITEM_ID = "#user"
CONNECTION_PREFIX = "#user#conn#"  # sorts after USER_ITEM_ID: deleted with the account
DEVICE_PREFIX = "#user#device#"
REALTIME_PREFIX = "#user#"  # both
LIMIT_PREFIX = "#limit#"  # partitions of the request counters (template.yaml grants by it: LeadingKeys)
FEED_INDEX = "by-seq"
LIVE_INDEX = "live-by-seq"
TRASH_INDEX = "trash-by-seq"
TRASH_SHARDS = 16  # partitions of the trash-expiry index, each holding a sixteenth of the users
REVISION_INFIX = "#rev#"
PREVIEW_CHARS = 200  # of a revision's content, kept apart so that a list of revisions reads no content
MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_ITEMS = 25
MAX_TRANSACTION_ITEMS = 100
# DynamoDB's item size limit: 400 KB, counted as in
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
MAX_ITEM_BYTES = 400 * 1024

_settings = load_settings(TableSettings)

Item = dict[str, Any]


@cache
def _dynamodb() -> "DynamoDBClient":
    """Built on first use: a function that never calls DynamoDB never pays for the client."""
    client: DynamoDBClient = aws.client("dynamodb")
    return client


# ---------------------------------------------------------------- what writes are checked against
@dataclass(frozen=True)
class Photo:
    """A profile photo: declared (pending, `at` = when the upload link expires) or accepted
    (`at` = when, `etag` = the accepted object's)."""

    content_type: str
    size: int
    at: int
    etag: str = ""


@dataclass(frozen=True)
class UserCounter:
    """The user's counter item: where the change sequence stands, who may still write, and the
    profile photo."""

    last_seq: int = 0
    signed_out_at: int | None = None  # tokens issued before this (epoch s) may not write
    deleting: bool = False  # the account is being deleted: nothing may write
    last_request: "RequestRecord | None" = None
    photo: Photo | None = None
    photo_pending: Photo | None = None

    def refuses(self, token_issued_at: int) -> bool:
        return self.deleting or (self.signed_out_at is not None and token_issued_at < self.signed_out_at)


@dataclass(frozen=True)
class RequestRecord:
    """A request that wrote: its digest, the outcome code of each of its changes, and the
    sequence number it left the counter at."""

    digest: str
    outcomes: str
    seq: int


class SequenceMoved(Exception):
    """Another write took the next sequence number (or changed a note) first: read again."""


class WriteRefused(Exception):
    """The caller's token predates a sign-out, or the account is being deleted."""


class CounterUnavailable(Exception):
    """A request counter could not be written for a reason of the table's own (throttled, failing or
    out of reach after the client's retries): nothing about the request is known."""


# What DynamoDB answers when the fault is its own and a retry may succeed: the throttling and
# internal-error codes of "Error handling with DynamoDB"
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
_TABLE_FAULTS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@dataclass(frozen=True)
class NoteWrite:
    """The new state of a note, valid only if the stored note is still at `expected_version`
    (None: only if no note has that id yet), and the revision it keeps, written in its slot in the
    same transaction (a Put over whatever the slot held: no read-modify-write)."""

    note: Note
    expected_version: int | None
    revision: Revision | None = None
    revision_slot: int = 0

    @property
    def items(self) -> int:
        """How many items of a transaction it takes."""
        return 1 if self.revision is None else 2

    def size(self) -> int:
        """A generous estimate of its items' size, for the 4 MB transaction limit."""
        text = len(self.note.title.encode()) + len(self.note.content.encode()) + 4096
        sent = len(self.revision.sent_content.encode()) if self.revision and self.revision.sent_content else 0
        return text * self.items + sent


# ---------------------------------------------------------------- items
def _key(user_id: str, item_id: str) -> Item:
    return {"user_id": {"S": user_id}, "id": {"S": item_id}}


def trash_shard(user_id: str) -> str:
    """The user's partition of the trash-expiry index."""
    return f"shard-{int(hashlib.sha256(user_id.encode()).hexdigest()[:8], 16) % TRASH_SHARDS:02d}"


def note_item(note: Note) -> Item:
    item: Item = {
        **_key(note.user_id, note.id),
        "title": {"S": note.title},
        "content": {"S": note.content},
        "created_at": {"S": note.created_at},
        "updated_at": {"S": note.updated_at},
        "version": {"N": str(note.version)},
        "seq": {"N": str(note.seq)},
        "deleted": {"BOOL": note.deleted},
        "fv": {"M": {name: {"N": str(version)} for name, version in note.field_versions.items()}},
        "media": {"M": {media.media_id: _media_item(media) for media in note.media}},
        "trashed": {"BOOL": note.trashed},
        "tv": {"L": [{"N": str(version)} for version in note.text_versions]},
    }
    if note.sent:
        item["sent"] = {"S": _sent_text(note.sent)}
    if note.deleted:
        item["expires_at"] = {"N": str(note.expires_at)}
        if note.deleted_by is not None:
            item["deleted_by"] = {"S": note.deleted_by}
        # What the delete-note state machine hands to the cleanup queue (a JSON list, [] when done).
        item["media_keys"] = {"S": json.dumps([media.key(note.user_id, note.id) for media in note.media])}
    elif note.trashed:
        item["trashed_at"] = {"S": str(note.trashed_at)}
        item["trashed_seq"] = {"N": str(note.trashed_seq)}
        item["trash_shard"] = {"S": trash_shard(note.user_id)}
        item["purge_after"] = {"S": str(note.purge_after)}
        item["trashed_v"] = {"N": str(note.field_versions["trashed"])}
    else:
        item["live_seq"] = {"N": str(note.seq)}
    return item


def _sent_text(sent: dict[str, dict[str, Sent]]) -> str:
    """What devices sent, as one JSON string ({device: {field: [version, digest]}}): never queried,
    and one string is much cheaper to read than as many nested attributes."""
    return json.dumps(
        {device: {name: [s.version, s.digest] for name, s in fields.items()} for device, fields in sent.items()},
        separators=(",", ":"),
    )


def _sent_of(text: str) -> dict[str, dict[str, Sent]]:
    return {
        device: {name: Sent(int(version), str(digest)) for name, (version, digest) in fields.items()}
        for device, fields in json.loads(text).items()
    }


def item_bytes(value: Item) -> int:
    """An item's size as DynamoDB counts it (MAX_ITEM_BYTES's page): attribute names and values,
    strings in UTF-8, numbers a byte per two digits plus one, lists and maps 3 bytes plus a byte
    per element."""
    return sum(len(name.encode()) + _value_bytes(attribute) for name, attribute in value.items())


def _value_bytes(attribute: Item) -> int:
    ((kind, value),) = attribute.items()
    match kind:
        case "S":
            return len(str(value).encode())
        case "N":
            return (len(str(value).lstrip("-").replace(".", "")) + 1) // 2 + 1
        case "BOOL" | "NULL":
            return 1
        case "L":
            return 3 + sum(1 + _value_bytes(element) for element in value)
        case "M":
            return 3 + sum(1 + len(name.encode()) + _value_bytes(element) for name, element in value.items())
    raise ValueError(f"no size for a {kind} attribute")


def revision_id(note_id: str, slot: int) -> str:
    return f"{note_id}{REVISION_INFIX}{slot:04d}"


def revision_item(user_id: str, revision: Revision, slot: int) -> Item:
    """The revision's item. The content a device sent (`sent_content`, when its change was merged)
    is kept only if the item stays under DynamoDB's item size limit with it: a note's content is
    up to 100,000 characters, 400,000 bytes of UTF-8 at most, so twice that may not fit. Left out,
    the device's next change based on it is a conflict (notes_core.engine.changes)."""
    item: Item = {
        **_key(user_id, revision_id(revision.note_id, slot)),
        "version": {"N": str(revision.version)},
        "updated_at": {"S": revision.updated_at},
        "title": {"S": revision.title},
        "content": {"S": revision.content},
        "preview": {"S": revision.content[:PREVIEW_CHARS]},
        "expires_at": {"N": str(revision.expires_at)},
    }
    if revision.sent_by is not None and revision.sent_content is not None:
        sent = {"sent_by": {"S": revision.sent_by}, "sent_content": {"S": revision.sent_content}}
        if item_bytes(item | sent) <= MAX_ITEM_BYTES:
            item |= sent
    return item


def _revision_of(item: Item) -> Revision:
    return Revision(
        note_id=item["id"]["S"].split(REVISION_INFIX)[0],
        version=int(item["version"]["N"]),
        updated_at=item["updated_at"]["S"],
        title=item["title"]["S"],
        content=item["content"]["S"],
        expires_at=int(item["expires_at"]["N"]),
        sent_by=item["sent_by"]["S"] if "sent_by" in item else None,
        sent_content=item["sent_content"]["S"] if "sent_content" in item else None,
    )


def _media_item(media: Media) -> Item:
    return {
        "M": {
            "status": {"S": media.status},
            "content_type": {"S": media.content_type},
            "size": {"N": str(media.size)},
            "created_at": {"S": media.created_at},
            "reserved_until": {"N": str(media.reserved_until)},
            "etag": {"S": media.etag},
            "declared": {"N": str(media.declared_size or media.size)},
        }
    }


def _media_of(media_id: str, item: Item) -> Media:
    fields = item["M"]
    return Media(
        media_id=media_id,
        status=fields["status"]["S"],
        content_type=fields["content_type"]["S"],
        size=int(fields["size"]["N"]),
        created_at=fields["created_at"]["S"],
        reserved_until=int(fields["reserved_until"]["N"]),
        etag=fields["etag"]["S"],
        declared_size=int(fields["declared"]["N"]) if "declared" in fields else int(fields["size"]["N"]),
    )


def note_of(item: Item) -> Note:
    return Note(
        user_id=item["user_id"]["S"],
        id=item["id"]["S"],
        title=item["title"]["S"],
        content=item["content"]["S"],
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        version=int(item["version"]["N"]),
        seq=int(item["seq"]["N"]),
        deleted=item["deleted"]["BOOL"],
        field_versions={name: int(value["N"]) for name, value in item["fv"]["M"].items()},
        expires_at=int(item["expires_at"]["N"]) if "expires_at" in item else None,
        trashed=item.get("trashed", {}).get("BOOL", False),
        trashed_at=item["trashed_at"]["S"] if "trashed_at" in item else None,
        trashed_seq=int(item["trashed_seq"]["N"]) if "trashed_seq" in item else None,
        purge_after=item["purge_after"]["S"] if "purge_after" in item else None,
        text_versions=tuple(int(version["N"]) for version in item.get("tv", {}).get("L", [])),
        sent=_sent_of(item["sent"]["S"]) if "sent" in item else {},
        deleted_by=item["deleted_by"]["S"] if "deleted_by" in item else None,
        media=tuple(
            sorted(
                (_media_of(media_id, value) for media_id, value in item.get("media", {}).get("M", {}).items()),
                key=lambda media: (media.created_at, media.media_id),
            )
        ),
    )


def _counter_of(item: Mapping[str, Any] | None) -> UserCounter:
    if not item:
        return UserCounter()
    return UserCounter(
        last_seq=int(item["last_seq"]["N"]) if "last_seq" in item else 0,
        signed_out_at=int(item["signed_out_at"]["N"]) if "signed_out_at" in item else None,
        deleting="deleting" in item,
        last_request=_record_of(item["last_request"]) if "last_request" in item else None,
        photo=_photo_of(item.get("photo")),
        photo_pending=_photo_of(item.get("photo_pending")),
    )


def _record_of(item: Item) -> RequestRecord:
    fields = item["M"]
    return RequestRecord(fields["digest"]["S"], fields["outcomes"]["S"], int(fields["seq"]["N"]))


def _photo_item(photo: Photo) -> Item:
    fields = {"content_type": {"S": photo.content_type}, "size": {"N": str(photo.size)}, "at": {"N": str(photo.at)}}
    return {"M": fields | {"etag": {"S": photo.etag}}}


def _photo_of(item: Item | None) -> Photo | None:
    if not item:
        return None
    fields = item["M"]
    return Photo(fields["content_type"]["S"], int(fields["size"]["N"]), int(fields["at"]["N"]), fields["etag"]["S"])


# ---------------------------------------------------------------- reads
def get_note(user_id: str, note_id: str) -> Note | None:
    """One note or tombstone, read-your-writes consistent (one GetItem)."""
    item = _dynamodb().get_item(TableName=_settings.table_name, Key=_key(user_id, note_id), ConsistentRead=True)
    return note_of(item["Item"]) if "Item" in item else None


def read_for_write(user_id: str, note_ids: Sequence[str]) -> tuple[UserCounter, dict[str, Note]]:
    """The counter item and the named notes, consistently (one BatchGetItem per 100 keys)."""
    keys = [_key(user_id, USER_ITEM_ID)] + [_key(user_id, note_id) for note_id in dict.fromkeys(note_ids)]
    counter: UserCounter = UserCounter()
    notes: dict[str, Note] = {}
    for item in _batch_get(keys):
        if item["id"]["S"] == USER_ITEM_ID:
            counter = _counter_of(item)
        else:
            notes[item["id"]["S"]] = note_of(item)
    return counter, notes


def _batch_get(keys: list[Item]) -> Iterator[Item]:
    for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
        request: dict[str, Any] = {
            _settings.table_name: {"Keys": keys[start : start + MAX_BATCH_GET_KEYS], "ConsistentRead": True}
        }
        attempt = 0
        while request:
            reply = _dynamodb().batch_get_item(RequestItems=request)
            yield from reply["Responses"].get(_settings.table_name, [])
            request = reply.get("UnprocessedKeys") or {}
            if request:  # throttled: back off before asking for the rest
                attempt += 1
                time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))


def query_listed(user_id: str, trashed: bool, before: tuple[int, str] | None, limit: int) -> tuple[list[Note], bool]:
    """Live notes, most recently changed first, or trashed notes, most recently trashed first,
    after the (position, id) `before`.

    One Query on the sparse live or trash index: nothing else is ever read. Asks for one note more
    than `limit` to know whether another page exists (or DynamoDB says so).
    """
    index, position = (TRASH_INDEX, "trashed_seq") if trashed else (LIVE_INDEX, "live_seq")
    request: dict[str, Any] = {
        "TableName": _settings.table_name,
        "IndexName": index,
        "KeyConditionExpression": "user_id = :user",
        "ExpressionAttributeValues": {":user": {"S": user_id}},
        "ScanIndexForward": False,
        "ConsistentRead": True,
        "Limit": limit + 1,
    }
    if before is not None:
        seq, note_id = before
        request["ExclusiveStartKey"] = {**_key(user_id, note_id), position: {"N": str(seq)}}
    reply = _dynamodb().query(**request)
    items = reply["Items"]
    # A Query returns at most 1 MB of items whatever its Limit, then a LastEvaluatedKey: more follow
    # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
    more = len(items) > limit or "LastEvaluatedKey" in reply
    return [note_of(item) for item in items[:limit]], more


@dataclass(frozen=True)
class RevisionSummary:
    version: int
    updated_at: str
    title: str
    preview: str
    expires_at: int


def read_revisions(user_id: str, note_id: str) -> tuple[bool, list[RevisionSummary]]:
    """Whether the note is there (and not deleted), and its revisions without their content (one
    Query, consistent, over the items whose id starts with the note's: its own and its slots)."""
    request: dict[str, Any] = {
        "TableName": _settings.table_name,
        "KeyConditionExpression": "user_id = :user AND begins_with(id, :note)",
        "ProjectionExpression": "id, deleted, version, updated_at, title, preview, expires_at",
        "ExpressionAttributeValues": {":user": {"S": user_id}, ":note": {"S": note_id}},
        "ConsistentRead": True,
    }
    live, revisions = False, []
    while True:
        reply = _dynamodb().query(**request)
        for item in reply["Items"]:
            if item["id"]["S"] == note_id:
                live = not item["deleted"]["BOOL"]
            elif item["id"]["S"].startswith(note_id + REVISION_INFIX):
                revisions.append(
                    RevisionSummary(
                        version=int(item["version"]["N"]),
                        updated_at=item["updated_at"]["S"],
                        title=item["title"]["S"],
                        preview=item["preview"]["S"],
                        expires_at=int(item["expires_at"]["N"]),
                    )
                )
        if "LastEvaluatedKey" not in reply:
            return live, revisions
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def read_revisions_at(
    user_id: str, wanted: set[tuple[str, int]], slots: int, now_epoch: int
) -> dict[tuple[str, int], Revision]:
    """The revisions `wanted` names ({(note id, version)}), those their slots still hold and that
    have not expired: {(note id, version): revision}. One BatchGetItem (per 100)."""
    slots_read = {(note_id, version % slots) for note_id, version in wanted}  # a key at most once per request
    keys = [_key(user_id, revision_id(note_id, slot)) for note_id, slot in sorted(slots_read)]
    found: dict[tuple[str, int], Revision] = {}
    for item in _batch_get(keys):
        revision = _revision_of(item)
        if (revision.note_id, revision.version) in wanted and revision.expires_at > now_epoch:
            found[(revision.note_id, revision.version)] = revision
    return found


def delete_revisions(user_id: str, note_id: str) -> int:
    """Delete every revision a note has kept (its slots); how many. A Query of their keys, then
    BatchWriteItem deletes, 25 at a time, retried for what DynamoDB leaves unprocessed."""
    request: dict[str, Any] = {
        "TableName": _settings.table_name,
        "KeyConditionExpression": "user_id = :user AND begins_with(id, :slots)",
        "ProjectionExpression": "user_id, id",
        "ExpressionAttributeValues": {":user": {"S": user_id}, ":slots": {"S": note_id + REVISION_INFIX}},
        "ConsistentRead": True,
    }
    keys: list[Item] = []
    while True:
        reply = _dynamodb().query(**request)
        keys += reply["Items"]
        if "LastEvaluatedKey" not in reply:
            break
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    for start in range(0, len(keys), MAX_BATCH_WRITE_ITEMS):
        deletes: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + MAX_BATCH_WRITE_ITEMS]]
        attempt = 0
        while deletes:
            written = _dynamodb().batch_write_item(RequestItems={_settings.table_name: deletes})
            deletes = list(written.get("UnprocessedItems", {}).get(_settings.table_name, []))
            if deletes:  # throttled: back off before sending the rest
                attempt += 1
                time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))
    return len(keys)


def read_revision(user_id: str, note_id: str, slot: int) -> tuple[Note | None, Revision | None]:
    """A note and what its revision slot holds (one BatchGetItem, consistent)."""
    note, revision = None, None
    for item in _batch_get([_key(user_id, note_id), _key(user_id, revision_id(note_id, slot))]):
        if item["id"]["S"] == note_id:
            note = note_of(item)
        else:
            revision = _revision_of(item)
    return note, revision


def query_changes(user_id: str, after_seq: int, limit: int, now_epoch: int) -> tuple[list[Note], int | None, bool]:
    """Notes and tombstones changed after `after_seq`, in sequence order (one Query, consistent).

    Returns the changes (at most `limit`), the sequence number the read got up to (beyond the
    last change when expired tombstones were skipped), and whether more may follow.
    Tombstones past their expiry are skipped: the table's TTL removes them at some point after,
    and a reader must not depend on when.
    """
    reply = _dynamodb().query(
        TableName=_settings.table_name,
        IndexName=FEED_INDEX,
        KeyConditionExpression="user_id = :user AND seq > :after",
        FilterExpression="attribute_not_exists(expires_at) OR expires_at > :now",
        ExpressionAttributeValues={
            ":user": {"S": user_id},
            ":after": {"N": str(after_seq)},
            ":now": {"N": str(now_epoch)},
        },
        ConsistentRead=True,
        Limit=limit + 1,
    )
    notes = [note_of(item) for item in reply["Items"]]
    if len(notes) > limit:
        return notes[:limit], notes[limit - 1].seq, True
    evaluated = reply.get("LastEvaluatedKey")
    if evaluated:
        return notes, int(evaluated["seq"]["N"]), True
    return notes, notes[-1].seq if notes else None, False


# ---------------------------------------------------------------- writes
def commit(
    user_id: str,
    expected_seq: int,
    token_issued_at: int,
    writes: Sequence[NoteWrite],
    record: RequestRecord | None = None,
    device: str | None = None,
) -> None:
    """Write notes and advance the user's sequence by len(writes), all or nothing; `record`
    replaces the counter's record of the last request, and `device` (None: none named) becomes
    the counter's `last_device`, the device whose connections the poke of this change skips.

    One TransactWriteItems: the counter moves from `expected_seq` only if nobody else moved it,
    the caller's token is not older than the last sign-out and the account is not being deleted;
    each note is written only if it is still at its expected version. Sequence order is commit
    order because every write takes its numbers under that condition.
    """
    assert 0 < sum(write.items for write in writes) < MAX_TRANSACTION_ITEMS
    counter_condition = "attribute_not_exists(last_seq)" if expected_seq == 0 else "last_seq = :expected"
    values: Item = {
        ":next": {"N": str(expected_seq + len(writes))},
        ":issued": {"N": str(token_issued_at)},
    }
    if expected_seq:
        values[":expected"] = {"N": str(expected_seq)}
    update = "SET last_seq = :next"
    if device is not None:
        update += ", last_device = :device"
        values[":device"] = {"S": device}
    if record is not None:
        update += ", last_request = :record"
        values[":record"] = {
            "M": {"digest": {"S": record.digest}, "outcomes": {"S": record.outcomes}, "seq": {"N": str(record.seq)}}
        }
    if device is None:
        update += " REMOVE last_device"
    items: list[Any] = [
        {
            "Update": {
                "TableName": _settings.table_name,
                "Key": _key(user_id, USER_ITEM_ID),
                "UpdateExpression": update,
                "ConditionExpression": f"({counter_condition})"
                " AND (attribute_not_exists(signed_out_at) OR signed_out_at <= :issued)"
                " AND attribute_not_exists(deleting)",
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    for write in writes:
        put: Item = {"TableName": _settings.table_name, "Item": note_item(write.note)}
        if write.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(id)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = {":version": {"N": str(write.expected_version)}}
        items.append({"Put": put})
        if write.revision is not None:
            revision = revision_item(user_id, write.revision, write.revision_slot)
            items.append({"Put": {"TableName": _settings.table_name, "Item": revision}})
    try:
        _dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        counter_reason = _first_cancellation_reason(exc)
        if counter_reason.get("Code") == "ConditionalCheckFailed" and _counter_of(counter_reason.get("Item")).refuses(
            token_issued_at
        ):
            raise WriteRefused from None
        raise SequenceMoved from None


def get_user(user_id: str) -> UserCounter:
    """The user's counter item (one GetItem, consistent)."""
    reply = _dynamodb().get_item(TableName=_settings.table_name, Key=_key(user_id, USER_ITEM_ID), ConsistentRead=True)
    return _counter_of(reply.get("Item"))


def declare_photo(user_id: str, token_issued_at: int, photo: Photo) -> None:
    """Record the photo the user is about to upload; refused like any write (WriteRefused)."""
    try:
        _dynamodb().update_item(
            TableName=_settings.table_name,
            Key=_key(user_id, USER_ITEM_ID),
            UpdateExpression="SET photo_pending = :photo",
            ConditionExpression="attribute_not_exists(deleting)"
            " AND (attribute_not_exists(signed_out_at) OR signed_out_at <= :issued)",
            ExpressionAttributeValues={":photo": _photo_item(photo), ":issued": {"N": str(token_issued_at)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise WriteRefused from None
        raise


def settle_photo(user_id: str, accepted: Photo | None) -> None:
    """The uploaded photo was checked: keep it (`accepted`) or forget any photo."""
    request: dict[str, Any] = {
        "TableName": _settings.table_name,
        "Key": _key(user_id, USER_ITEM_ID),
        "UpdateExpression": "REMOVE photo, photo_pending",
        "ConditionExpression": "attribute_exists(user_id) AND attribute_not_exists(deleting)",
    }
    if accepted is not None:
        request["UpdateExpression"] = "SET photo = :photo REMOVE photo_pending"
        request["ExpressionAttributeValues"] = {":photo": _photo_item(accepted)}
    try:
        _dynamodb().update_item(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # The account is gone or being deleted: its photo goes with it.


@dataclass(frozen=True)
class Deletion:
    """The account's deletion: its id and the delete-account execution that runs (or ran) it."""

    deletion_id: str
    execution: str


def mark_deleting(user_id: str, token_issued_at: int, proposed: Deletion) -> Deletion:
    """Mark the account as being deleted (from now on every write is refused); the deletion
    already marked, if any, else `proposed`. WriteRefused for a token older than the last
    sign-out: it marks nothing."""
    try:
        reply = _dynamodb().update_item(
            TableName=_settings.table_name,
            Key=_key(user_id, USER_ITEM_ID),
            UpdateExpression="SET deleting = if_not_exists(deleting, :id),"
            " deletion_execution = if_not_exists(deletion_execution, :execution)",
            ConditionExpression="attribute_not_exists(signed_out_at) OR signed_out_at <= :issued",
            ExpressionAttributeValues={
                ":id": {"S": proposed.deletion_id},
                ":execution": {"S": proposed.execution},
                ":issued": {"N": str(token_issued_at)},
            },
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise WriteRefused from None
        raise
    item = reply["Attributes"]
    return Deletion(item["deleting"]["S"], item["deletion_execution"]["S"])


def record_deletion_execution(user_id: str, execution: str) -> None:
    _dynamodb().update_item(
        TableName=_settings.table_name,
        Key=_key(user_id, USER_ITEM_ID),
        UpdateExpression="SET deletion_execution = :execution",
        ExpressionAttributeValues={":execution": {"S": execution}},
    )


def record_sign_out(user_id: str, not_before: int) -> None:
    """Refuse writes with tokens issued before `not_before` (epoch seconds); never moves it back."""
    try:
        _dynamodb().update_item(
            TableName=_settings.table_name,
            Key=_key(user_id, USER_ITEM_ID),
            UpdateExpression="SET signed_out_at = :not_before",
            ConditionExpression="attribute_not_exists(signed_out_at) OR signed_out_at < :not_before",
            ExpressionAttributeValues={":not_before": {"N": str(not_before)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # A concurrent sign-out already set the same or a later cut-off.


def count_request(partition: str, window_start: int, window_end: int, limit: int) -> bool:
    """Count one request in the counter of `partition` for the window starting at `window_start`,
    unless it has counted `limit` already: True when counted. One conditional UpdateItem; the item
    expires (TTL) when its window ends. CounterUnavailable when the table could not count."""
    try:
        _dynamodb().update_item(
            TableName=_settings.table_name,
            Key=_key(partition, str(window_start)),
            UpdateExpression="ADD requests :one SET expires_at = :window_end",
            ConditionExpression="attribute_not_exists(requests) OR requests < :limit",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":window_end": {"N": str(window_end)},
            },
        )
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            return False
        if code in _TABLE_FAULTS:
            raise CounterUnavailable(code) from None
        raise
    except (EndpointUnreachable, HTTPClientError) as exc:  # out of reach, or no answer in time
        raise CounterUnavailable(type(exc).__name__) from None
    return True


# ---------------------------------------------------------------- realtime: connections and devices
@dataclass(frozen=True)
class Connection:
    """An open WebSocket connection of the user's."""

    connection_id: str
    device_id: str | None
    issued_at: int  # the `iat` of the token it was opened with: a later sign-out closes it
    expires_at: int  # API Gateway closes it by then (its two hours): the item's TTL


@dataclass(frozen=True)
class Device:
    """A device that registered its push token."""

    device_id: str
    platform: str
    token: str
    endpoint_arn: str
    pushed_at: int | None = None  # when its last silent push was sent (epoch s)
    trailing_at: int | None = None  # when a silent push that waits for the end of the minute is due


_CONDITION_OF_WRITERS = (
    "attribute_not_exists(deleting) AND (attribute_not_exists(signed_out_at) OR signed_out_at <= :issued)"
)


def _counter_check(user_id: str, token_issued_at: int) -> Item:
    """A transaction's check that the caller may still write (as commit's), on the counter item."""
    return {
        "ConditionCheck": {
            "TableName": _settings.table_name,
            "Key": _key(user_id, USER_ITEM_ID),
            "ConditionExpression": _CONDITION_OF_WRITERS,
            "ExpressionAttributeValues": {":issued": {"N": str(token_issued_at)}},
        }
    }


def _first_cancellation_reason(exc: ClientError) -> dict[str, Any]:
    """Why a cancelled transaction's first action (the user's counter) failed, `{}` when DynamoDB
    gave no reasons; any error but a cancelled transaction is raised again."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        raise exc
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return reasons[0] if reasons else {}


def _transact_refusable(items: list[Any]) -> None:
    """A transaction whose first item is a `_counter_check`: WriteRefused when that check fails."""
    try:
        _dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if _first_cancellation_reason(exc).get("Code") == "ConditionalCheckFailed":
            raise WriteRefused from None
        raise


def put_connection(user_id: str, connection: Connection) -> None:
    """Keep an open connection, unless its token predates the last sign-out or the account is being
    deleted (WriteRefused): checked in the same transaction, so a connection that passed the
    authorizer just before a sign-out cannot outlive it."""
    item: Item = {
        **_key(user_id, CONNECTION_PREFIX + connection.connection_id),
        "issued_at": {"N": str(connection.issued_at)},
        "expires_at": {"N": str(connection.expires_at)},
    }
    if connection.device_id is not None:
        item["device_id"] = {"S": connection.device_id}
    put = {"Put": {"TableName": _settings.table_name, "Item": item}}
    _transact_refusable([_counter_check(user_id, connection.issued_at), put])


def delete_connection(user_id: str, connection_id: str) -> None:
    """Forget a connection (gone already is fine)."""
    _dynamodb().delete_item(TableName=_settings.table_name, Key=_key(user_id, CONNECTION_PREFIX + connection_id))


def _connection_of(item: Item) -> Connection:
    return Connection(
        connection_id=item["id"]["S"].removeprefix(CONNECTION_PREFIX),
        device_id=item["device_id"]["S"] if "device_id" in item else None,
        issued_at=int(item["issued_at"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def _device_of(item: Item) -> Device:
    return Device(
        device_id=item["id"]["S"].removeprefix(DEVICE_PREFIX),
        platform=item["platform"]["S"],
        token=item["token"]["S"],
        endpoint_arn=item["endpoint_arn"]["S"],
        pushed_at=int(item["pushed_at"]["N"]) if "pushed_at" in item else None,
        trailing_at=int(item["trailing_at"]["N"]) if "trailing_at" in item else None,
    )


def device_of_image(image: Mapping[str, Any]) -> Device | None:
    """The device item of a stream record's image, if it is one."""
    if not str(image.get("id", {}).get("S", "")).startswith(DEVICE_PREFIX) or "endpoint_arn" not in image:
        return None
    return _device_of(dict(image))


def realtime_targets(user_id: str, now_epoch: int) -> tuple[list[Connection], list[Device]]:
    """The user's open connections (those past their expiry left out: the table's TTL deletes them
    at some point after) and registered devices: one consistent Query of the items after the
    counter's id, page by page."""
    request: dict[str, Any] = {
        "TableName": _settings.table_name,
        "KeyConditionExpression": "user_id = :user AND begins_with(id, :realtime)",
        "ExpressionAttributeValues": {":user": {"S": user_id}, ":realtime": {"S": REALTIME_PREFIX}},
        "ConsistentRead": True,
    }
    connections: list[Connection] = []
    devices: list[Device] = []
    while True:
        reply = _dynamodb().query(**request)
        for item in reply["Items"]:
            item_id = item["id"]["S"]
            if item_id.startswith(CONNECTION_PREFIX):
                connection = _connection_of(item)
                if connection.expires_at > now_epoch:
                    connections.append(connection)
            elif item_id.startswith(DEVICE_PREFIX):
                devices.append(_device_of(item))
        if "LastEvaluatedKey" not in reply:
            return connections, devices
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def get_device(user_id: str, device_id: str) -> Device | None:
    reply = _dynamodb().get_item(
        TableName=_settings.table_name, Key=_key(user_id, DEVICE_PREFIX + device_id), ConsistentRead=True
    )
    return _device_of(reply["Item"]) if "Item" in reply else None


def put_device(user_id: str, token_issued_at: int, device: Device, now_epoch: int) -> None:
    """Register (or update) a device's push token and endpoint, keeping when it was last pushed to;
    refused like any write (WriteRefused)."""
    update = {
        "Update": {
            "TableName": _settings.table_name,
            "Key": _key(user_id, DEVICE_PREFIX + device.device_id),
            "UpdateExpression": "SET platform = :platform, #token = :token, endpoint_arn = :endpoint,"
            " updated_at = :now",
            "ExpressionAttributeNames": {"#token": "token"},
            "ExpressionAttributeValues": {
                ":platform": {"S": device.platform},
                ":token": {"S": device.token},
                ":endpoint": {"S": device.endpoint_arn},
                ":now": {"N": str(now_epoch)},
            },
        }
    }
    _transact_refusable([_counter_check(user_id, token_issued_at), update])


def delete_device(user_id: str, token_issued_at: int, device_id: str) -> None:
    """Forget a device (none registered is fine); refused like any write (WriteRefused). The
    stream's REMOVE record has the poke function delete its SNS endpoint."""
    delete = {"Delete": {"TableName": _settings.table_name, "Key": _key(user_id, DEVICE_PREFIX + device_id)}}
    _transact_refusable([_counter_check(user_id, token_issued_at), delete])


def _conditional_update(request: dict[str, Any]) -> tuple[bool, Item]:
    """(whether the update was made, the item as it stood when its condition failed)."""
    try:
        _dynamodb().update_item(
            TableName=_settings.table_name, ReturnValuesOnConditionCheckFailure="ALL_OLD", **request
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            old: Item = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]  # botocore's untyped member
            return False, old
        raise
    return True, {}


def claim_push(user_id: str, device_id: str, now_epoch: int, interval_seconds: int) -> int | None:
    """Take the device's silent push for now, when none was sent in the last `interval_seconds`:
    None when taken (the push counts as sent now, and a trailing one is cancelled: this one covers
    its changes), else when the last push was sent (0: the device is gone). One conditional write,
    so concurrent pokes send one push."""
    taken, item = _conditional_update(
        {
            "Key": _key(user_id, DEVICE_PREFIX + device_id),
            "UpdateExpression": "SET pushed_at = :now REMOVE trailing_at",
            "ConditionExpression": "attribute_exists(endpoint_arn)"
            " AND (attribute_not_exists(pushed_at) OR pushed_at <= :last_allowed)",
            "ExpressionAttributeValues": {
                ":now": {"N": str(now_epoch)},
                ":last_allowed": {"N": str(now_epoch - interval_seconds)},
            },
        }
    )
    if taken:
        return None
    return int(item["pushed_at"]["N"]) if "endpoint_arn" in item and "pushed_at" in item else 0


def claim_trailing_push(user_id: str, device_id: str, due_epoch: int) -> bool:
    """Mark a silent push due at `due_epoch` (the end of the device's minute): True when none was
    due yet, so that only the first change of the minute schedules it."""
    return _conditional_update(
        {
            "Key": _key(user_id, DEVICE_PREFIX + device_id),
            "UpdateExpression": "SET trailing_at = :due",
            "ConditionExpression": "attribute_exists(endpoint_arn) AND attribute_not_exists(trailing_at)",
            "ExpressionAttributeValues": {":due": {"N": str(due_epoch)}},
        }
    )[0]


def take_trailing_push(user_id: str, device_id: str, due_epoch: int, now_epoch: int) -> bool:
    """Send the trailing push due at `due_epoch` now: True when it is still due (not sent by an
    earlier delivery of the same message, nor replaced by a push for a later change); it then
    counts as sent now."""
    return _conditional_update(
        {
            "Key": _key(user_id, DEVICE_PREFIX + device_id),
            "UpdateExpression": "SET pushed_at = :now REMOVE trailing_at",
            "ConditionExpression": "trailing_at = :due",
            "ExpressionAttributeValues": {":due": {"N": str(due_epoch)}, ":now": {"N": str(now_epoch)}},
        }
    )[0]


def release_trailing_push(user_id: str, device_id: str, due_epoch: int) -> None:
    """Unmark the trailing push due at `due_epoch` (its message could not be queued)."""
    _conditional_update(
        {
            "Key": _key(user_id, DEVICE_PREFIX + device_id),
            "UpdateExpression": "REMOVE trailing_at",
            "ConditionExpression": "trailing_at = :due",
            "ExpressionAttributeValues": {":due": {"N": str(due_epoch)}},
        }
    )
