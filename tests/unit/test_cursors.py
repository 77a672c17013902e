"""Cursors are opaque to clients, and anything a client makes up is refused as malformed."""

import pytest

from notes_core.contract import cursors
from notes_core.domain import errors


def test_feed_and_list_cursors_round_trip() -> None:
    assert cursors.read_feed_cursor(cursors.feed_cursor(42, 1_764_000_000)) == (42, 1_764_000_000)
    note_id = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"
    assert cursors.read_list_cursor(cursors.list_cursor(7, note_id)) == (7, note_id)


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "bm90IGpzb24", "e30", "eyJzIjotMSwidCI6MH0", "eyJzIjoiMSIsInQiOjB9", "WzEsMl0"],
    ids=["empty", "not-base64", "not-json", "empty-object", "negative", "string-seq", "a-list"],
)
def test_anything_else_is_malformed(cursor: str) -> None:
    with pytest.raises(errors.MalformedRequest):
        cursors.read_feed_cursor(cursor)


def test_a_list_cursor_is_not_a_feed_cursor() -> None:
    with pytest.raises(errors.MalformedRequest):
        cursors.read_feed_cursor(cursors.list_cursor(1, "x"))
