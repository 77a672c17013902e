"""What JSON decoders do not check in a text a client sent: how deep it nests, before it is
decoded, and whether an object repeats a member name, after.

msgspec's decoder and the standard library's recurse once per array or object and give up with
RecursionError some thousand levels down, which three kilobytes of brackets reach: a body or cursor
is refused before it gets there. A repeated name is not an error to them either (the last one wins),
though I-JSON (RFC 7493, section 2.3) forbids it: a reader that kept the first would see another
request. Request bodies (notes_core.edge.http) and cursors (notes_core.contract.cursors) are read
through `Outline` first.
"""

import re
from functools import cache, cached_property
from typing import Any

MAX_DEPTH = 64  # levels of arrays and objects inside each other: this API's bodies use four

# Everything but quotes, brackets and colons is dropped from a text to outline it ({ and } are
# counted as [ and ]: the depth check does not care which kind opens a level, the decoder checks
# they match).
_NOT_QUOTE_OR_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{}:')
_OBJECTS_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")


def _balanced(depth: int) -> bytes:
    """A pattern of whole bracket groups at most `depth` levels deep (possessive: linear time)."""
    pattern = b""
    for _ in range(depth):
        pattern = rb"(?:\[" + pattern + rb"\])*+"
    return pattern


@cache
def _deeper_than_max() -> re.Pattern[bytes]:
    """Matches brackets that open level MAX_DEPTH + 1: whole groups within the limit, an opening
    bracket, whole groups within one level less, and so on (compiled on first use: about 16 ms,
    which a body or cursor within the limit never pays unless it has more than 64 brackets)."""
    return re.compile(b"".join(_balanced(MAX_DEPTH - level) + rb"\[" for level in range(MAX_DEPTH + 1)))


class Outline:
    """The brackets and colons of a JSON text, outside its strings, found in linear time with no
    recursion: bytes.replace and bytes.split run in C, and no Python code runs per byte (and only
    when counting the text's brackets or colons, strings included, cannot answer).

    Inside a string a backslash escapes the next character, so escaped backslashes and escaped
    quotes are dropped first, pairs from the left (as a decoder reads them); every quote left
    then starts or ends a string. Everything but quotes and marks is dropped next, then every two
    quotes in a row: an empty string, or the end of one and the start of the next with no mark
    between them; either way the quotes left still alternate, around the same marks. What is
    between them is inside strings. For a text that is not JSON the outline may be wrong after
    the first error, where the decoder stops too."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    @cached_property
    def marks(self) -> bytes:
        """The brackets ({ as [, } as ]) and colons outside strings, in order."""
        unescaped = self.text.replace(b"\\\\", b"").replace(b'\\"', b"")
        quotes_and_marks = unescaped.translate(_OBJECTS_AS_ARRAYS, _NOT_QUOTE_OR_STRUCTURE).replace(b'""', b"")
        return b"".join(quotes_and_marks.split(b'"')[::2])

    def too_deep(self) -> bool:
        """Whether arrays and objects nest more than MAX_DEPTH levels deep (before a closing
        bracket that closes nothing, where the text stops being JSON)."""
        if self.text.count(b"[") + self.text.count(b"{") <= MAX_DEPTH:  # strings included: no outline needed
            return False
        brackets = self.marks.replace(b":", b"")
        return brackets.count(b"[") > MAX_DEPTH and _deeper_than_max().match(brackets) is not None

    def repeats_a_name(self, value: Any) -> bool:
        """Whether an object of the text repeats a member name, given the value it was decoded to:
        every colon outside strings ends a member's name, and a decoder keeps one member per name
        (when the text has no colon inside a string, no outline is needed to count them)."""
        colons = self.text.count(b":")
        if not colons:
            return False
        members = _members(value)
        return members != colons and members != self.marks.count(b":")


def _members(value: Any) -> int:
    """How many members the objects in a decoded value hold, together (no recursion)."""
    count, pending = 0, [value]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            count += len(node)
            pending.extend(node.values())
        elif type(node) is list:
            pending.extend(node)
    return count
