"""Opaque cursors: base64url JSON the client passes back unchanged.

A feed cursor holds the sequence number read up to and the time from which the client's view is
known complete (see notes_core.sync); a list cursor holds the position in the live-notes or the
trash index; a revisions cursor, the version a page of a note's revisions ended at.
Anything else a client sends as a cursor is a malformed request (400).
"""

import base64
import binascii
import json
from typing import Any

from notes_core import errors


def _encode(fields: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, names: tuple[str, ...]) -> dict[str, Any]:
    try:
        fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        fields = None
    if not isinstance(fields, dict) or set(fields) != set(names):
        raise errors.MalformedRequest("The cursor is not one this API issued.")
    return fields


def _non_negative_int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise errors.MalformedRequest("The cursor is not one this API issued.")
    return value


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
    if not isinstance(fields["i"], str):
        raise errors.MalformedRequest("The cursor is not one this API issued.")
    return _non_negative_int(fields[position]), fields["i"]


def revision_cursor(version: int) -> str:
    return _encode({"r": version})


def read_revision_cursor(cursor: str) -> int:
    """The version the previous page of revisions ended at."""
    return _non_negative_int(_decode(cursor, ("r",))["r"])
