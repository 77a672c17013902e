"""notes_core.contract.json_text: how deep a JSON text nests, told without decoding it, and repeated names."""

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes_core.contract.json_text import MAX_DEPTH, Outline


def _depth_by_reading(text: bytes) -> int:
    """The deepest level a decoder reaches before the text stops being JSON: a byte-by-byte
    reading of strings and escapes (the slow, obvious way the outline must agree with)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                in_string = False
        elif byte == ord('"'):
            in_string = True
        elif byte == ord("\\"):  # an escape outside strings: no decoder reads further
            return deepest
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
            if depth < 0:  # closes nothing: no decoder reads further
                return deepest
    return deepest


def _nested(levels: int, closed: bool = True) -> bytes:
    opening = b"".join(b'{"a":' if level % 2 else b"[" for level in range(levels))
    closing = b"".join(b"}" if level % 2 else b"]" for level in reversed(range(levels)))
    return opening + b'"x"' + (closing if closed else b"")


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        (_nested(MAX_DEPTH), False),
        (_nested(MAX_DEPTH + 1), True),
        (_nested(MAX_DEPTH + 1, closed=False), True),
        (b'{"email":' + b"[" * 1493 + b"]" * 1493 + b"}", True),
        (b"[" * 100_000, True),
        (b"[" + b"[]," * 10_000 + b"[]]", False),
        (b'{"title": "' + b"[" * 1000 + b'", "content": "\\"' + b"[" * 1000 + b'"}', False),
        (b'["\\\\", "' + b"[" * 100 + b'"]', False),
        (b'["\\\\\\"' + b"[" * 100 + b'"]', False),
        (b"[]]" + b"[" * 100, False),
    ],
    ids=[
        "64-levels",
        "65-levels",
        "65-levels-unclosed",
        "the-issue's-sign-in-body",
        "100000-unclosed",
        "wide-not-deep",
        "brackets-in-strings",
        "escaped-backslash-before-a-quote",
        "escaped-quote-after-a-backslash",
        "deep-after-a-bracket-that-closes-nothing",
    ],
)
def test_too_deep_counts_the_levels_outside_strings(text: bytes, too_deep: bool) -> None:
    assert Outline(text).too_deep() is too_deep


# Bytes that change what the outline sees, and a few that do not.
_PIECES = st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"\\\\", b'\\"', b":", b",", b"a", b" ", b"0"])


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=400), levels=st.integers(0, 2 * MAX_DEPTH))
def test_a_text_a_decoder_would_read_too_deep_is_too_deep(pieces: list[bytes], levels: int) -> None:
    # Given a text: any mix of brackets, quotes and escapes, deep or not
    text = b"[" * levels + b"".join(pieces)

    # When a decoder would go deeper than the limit before the text stops being JSON, then the
    # outline says so (past that point it may refuse more: the text is not JSON anyway)
    if _depth_by_reading(text) > MAX_DEPTH:
        assert Outline(text).too_deep()


_NAMES_AND_TEXTS = st.text(alphabet='[]{}"\\:, a\u00e9\u2028', max_size=8)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _NAMES_AND_TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES_AND_TEXTS, inner, max_size=3),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=_JSON_VALUES, wrappers=st.integers(0, MAX_DEPTH + 2), ascii_only=st.booleans())
def test_json_is_too_deep_exactly_when_it_nests_past_the_limit(value: Any, wrappers: int, ascii_only: bool) -> None:
    # Given JSON whose strings hold brackets, quotes, colons and backslashes, nested some levels more
    for level in range(wrappers):
        value = [value] if level % 2 else {"k": value}
    text = json.dumps(value, ensure_ascii=ascii_only).encode()

    # When it is outlined, then it is too deep exactly when it nests more than MAX_DEPTH levels
    assert Outline(text).too_deep() is (_depth(value) > MAX_DEPTH)


@settings(max_examples=100, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=200), levels=st.integers(900, 3000))
def test_a_text_not_too_deep_never_makes_a_decoder_recurse_too_far(pieces: list[bytes], levels: int) -> None:
    # Given a text that nests past any decoder's stack somewhere
    text = b"".join(pieces) + b"[" * levels

    # When it is not refused as too deep (a malformed start hides the depth from decoders too)
    if Outline(text).too_deep():
        return

    # Then decoding it fails as malformed, not with RecursionError
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(text)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
        json.loads(text)


@pytest.mark.parametrize(
    ("text", "repeats"),
    [
        (b'{"email": "a@b.co", "password": "x"}', False),
        (b'{"email": "a@b.co", "email": "c@d.co"}', True),
        (b'{"changes": [{"id": 1}, {"id": 2}]}', False),
        (b'{"changes": [{"id": 1, "op": "x", "id": 2}]}', True),
        (b'{"a": {"b": 1}, "b": {"a": 1}}', False),
        (b'{"a": ":", "b": "\\":"}', False),
        (b"[1, 2, 3]", False),
        (b"{}", False),
    ],
    ids=[
        "distinct",
        "repeated",
        "same-name-in-two-objects",
        "repeated-in-a-nested-object",
        "crossed-names",
        "colons-in-strings",
        "no-object",
        "empty-object",
    ],
)
def test_repeats_a_name_compares_the_names_written_with_those_decoded(text: bytes, repeats: bool) -> None:
    value: Any = msgspec.json.decode(text)

    assert Outline(text).repeats_a_name(value) is repeats
