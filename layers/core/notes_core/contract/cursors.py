"""Opaque cursors: base64url JSON the client passes back unchanged.

A feed cursor holds the sequence number read up to and the time from which the client's view is
known complete (see notes_core.usecases.sync); a list cursor holds the position in the live-notes or
the trash index; a revisions cursor, the version a page of a note's revisions ended at. Anything
else a client sends as a cursor is a malformed request (400). What is read from one goes into a
DynamoDB key or key condition, where a number of more than 38 digits or a sort key over 1024 bytes
is a ValidationException ("Constraints in Amazon DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html, data types and
partition and sort keys): each part must be what the server issues, integers up to 2^53 and note
ids as canonical UUIDs.
"""

import base64
import binascii
import json
from typing import Any
from uuid import UUID

from notes_core.contract import json_text
from notes_core.domain import errors

_NOT_ISSUED = "The cursor is not one this API issued."
MAX_INTEGER = 2**53  # sequence numbers, positions, versions and epoch seconds all stay below it


def _encode(fields: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, names: tuple[str, ...]) -> dict[str, Any]:
    """The cursor's members, which must be `names`: its JSON is outlined before it is decoded, so
    that nesting too deep is refused before the decoder recurses (notes_core.contract.json_text)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):  # ValueError: a character that is not ASCII
        raise errors.MalformedRequest(_NOT_ISSUED) from None
    outline = json_text.Outline(text)
    if outline.too_deep():
        raise errors.MalformedRequest(_NOT_ISSUED)
    try:
        fields = json.loads(text)
    except ValueError:  # not JSON, not UTF-8, or an integer of more than 4300 digits
        raise errors.MalformedRequest(_NOT_ISSUED) from None
    if not isinstance(fields, dict) or set(fields) != set(names) or outline.repeats_a_name(fields):
        raise errors.MalformedRequest(_NOT_ISSUED)
    return fields


def _non_negative_int(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_INTEGER:
        raise errors.MalformedRequest(_NOT_ISSUED)
    return value


def _note_id(value: Any) -> str:
    """A note id as the server writes it: a UUID in canonical form."""
    try:
        canonical = isinstance(value, str) and str(UUID(value)) == value
    except ValueError:
        canonical = False
    if not canonical:
        raise errors.MalformedRequest(_NOT_ISSUED)
    return str(value)


def feed_cursor(seq: int, complete_since: int) -> str:
    return _encode({"s": seq, "t": complete_since})


def read_feed_cursor(cursor: str) -> tuple[int, int]:
    """(sequence number, epoch second from which the client's view is complete)."""
    fields = _decode(cursor, ("s", "t"))
    return _non_negative_int(fields["s"]), _non_negative_int(fields["t"])


def list_cursor(position: int, note_id: str, trashed: bool = False) -> str:
    """A page's end in the notes list (live_seq) or in the trash (trashed_seq)."""
    return _encode({"t" if trashed else "l": position, "i": note_id})


def read_list_cursor(cursor: str, trashed: bool = False) -> tuple[int, str]:
    """(position, note id); a cursor of the other list is not one of this list."""
    position = "t" if trashed else "l"
    fields = _decode(cursor, (position, "i"))
    return _non_negative_int(fields[position]), _note_id(fields["i"])


def revision_cursor(version: int) -> str:
    return _encode({"r": version})


def read_revision_cursor(cursor: str) -> int:
    """The version the previous page of revisions ended at."""
    return _non_negative_int(_decode(cursor, ("r",))["r"])
