"""Three-way merge of a note's content, at word granularity, exact or not at all.

Tokens. Texts are compared as tokens: runs of word characters, runs of whitespace, and single other
characters, a combining mark, emoji modifier or zero-width joiner staying with the character it
modifies (and a word going on after a mark staying one token), so that no merge splits what a
reader sees as one character. Tokenizing is linear in the text.

Hunks. Each side's changes against the base are hunks: base tokens [start, end) replaced by new
tokens (an insertion when the range is empty, a deletion when nothing replaces it), as patience
diff (Breezy's) aligns the two token sequences, each trimmed of equal tokens at its ends. Patience
diff anchors on tokens both texts have once; where a long stretch has none (a long note of everyday
words between two edits of one side) it is aligned again on runs of _RUN tokens that both texts
have once, so that it is not taken as one change. (difflib's matcher treats any token making up
over 1% of a text of 200 or more as junk, which left long notes conflicting on any two edits.)
Whatever the alignment, a side's hunks applied to the base give exactly that side's text; a coarser
one only makes larger hunks, so more conflicts, never another text.

Regions. Where several alignments give the same text, the diff picks one, and the change it finds
may have been made elsewhere: a deleted run can slide over equal neighbours (base[start-1] ==
base[end-1] to the left, base[start] == base[end] to the right), an inserted run too (the token
before the point equal to its last token, or the one after equal to its first, the run rotating),
and a part of a run can move on its own. So a hunk is located by every alignment it could have
had: its region is [start, end) widened, on each side, over every base token equal to a token the
hunk deleted or inserted, one after the other until a token that is neither; a region that reaches
another hunk of the same side takes in that hunk and its tokens, and goes on. This covers every
place any slide could take the hunk, or any part of it.

Conflicts. Two hunks of different sides conflict when their regions share a base token, or when
they touch (one region ends at the point where the other begins, or both are that one point) and
either hunk may insert there: a pure insertion; a hunk with new tokens whose region is wider than
its range; or one whose new tokens share a token with those it replaces (a finer alignment would
keep those, and insert the rest at an edge). The order of the new tokens against the other side's
change is then not determined. Hunks that only delete tokens, or replace them with tokens none of
which they had, side by side do not conflict (a word and the comma after it), and changes with a
base token between their regions that neither side touched (two neighbouring words with the space
between them) are apart.

Identical changes. A hunk of `edited` equal to a hunk of `current` at its leftmost alignment (an
insertion or deletion slid left over equal tokens as far as it goes) is one change made twice: it
is applied once, as `current` has it, and the two are not compared with each other (each is with
every other hunk of the other side).

Result. If no two hunks conflict, the base with every hunk of `current` and every other hunk of
`edited` applied to it, each exactly as made: the hunks are applied to the base itself, so the
result is the base and both sides' changes whatever the two diffs aligned. Otherwise None: the
caller answers a conflict.

The tokens of a text and the hunks of a (base, side) pair are kept in small caches, so a request
merging many edits of one note tokenizes and diffs its stored texts once.
"""

import itertools
import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)
_JOINER = "\u200d"  # zero-width joiner: emoji sequences such as 👩‍💻
_REGIONAL_INDICATORS = frozenset(map(chr, range(0x1F1E6, 0x1F200)))  # flags are pairs of these
_EXTENDERS = frozenset((_JOINER, *map(chr, range(0x1F3FB, 0x1F400))))  # and the skin tones (emoji modifiers)
_RUN = 8  # tokens: about four words and the spaces between them
# Texts are at most 100,000 characters (a merged text over that is refused by the caller): a merge
# holds three, a request's next merge of the same note reuses two. Eight bound the memory.
_CACHED_TEXTS = 8


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"  # what \w matches


@lru_cache(maxsize=_CACHED_TEXTS)
def _tokens(text: str) -> tuple[str, ...]:
    raw = _TOKEN.findall(text)
    if text.isascii():  # no marks, joiners or emoji: nothing to attach
        return tuple(raw)
    characters = set(text)
    marks = {character for character in characters if unicodedata.category(character)[0] == "M"}
    extending = marks | (characters & _EXTENDERS)  # a raw token starting with one belongs to the one before
    flags = characters & _REGIONAL_INDICATORS
    if not extending and not flags:
        return tuple(raw)
    starts = [0]  # the raw tokens that start a token (each token joined once: linear)
    token_first, single = raw[0][0], len(raw[0]) == 1
    for index in range(1, len(raw)):
        token, last = raw[index], raw[index - 1][-1]
        first = token[0]
        if first in extending or last == _JOINER:
            attaches = True
        elif first in flags:  # the second of a pair makes a flag
            attaches = single and token_first in flags
        else:  # a word going on after a combining mark (\w stops at marks)
            attaches = last in marks and _is_word(first) and _is_word(token_first)
        if attaches:
            single = False
        else:
            starts.append(index)
            token_first, single = first, len(token) == 1
    starts.append(len(raw))
    return tuple("".join(raw[start:end]) for start, end in itertools.pairwise(starts))


def tokens(text: str) -> list[str]:
    """The text as tokens; joined again, they are the text."""
    return list(_tokens(text))


@dataclass(frozen=True, slots=True)
class _Hunk:
    """Base tokens [start, end) replaced by `new`, as the diff aligned it. [low, high): the base
    tokens it may cover in any alignment; `inserts`: some of its new tokens may stand at the edges
    of that region; `leftmost`: the hunk at its leftmost alignment."""

    start: int
    end: int
    new: tuple[str, ...]
    low: int
    high: int
    inserts: bool
    leftmost: tuple[int, int, tuple[str, ...]]


def _matching_runs(base: tuple[str, ...], side: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """The runs the diff matches, as (base index, side index, length), in order.

    Patience diff anchors on tokens each text has once, then matches the tokens at the ends of what
    is left. In a long note of everyday words, the stretch between two edits of one side may have
    no token that occurs once, and would be left as one change covering everything between them
    (so any edit of the other side there would conflict). Such a stretch is aligned again on runs
    of _RUN tokens, most of which do occur once (_long_runs)."""
    runs = []
    base_at = side_at = 0
    for base_match, side_match, size in _patience(base, side):
        if base_match - base_at >= _RUN and side_match - side_at >= _RUN:
            runs += _long_runs(base, side, base_at, base_match, side_at, side_match)
        if size:
            runs.append((base_match, side_match, size))
        base_at, side_at = base_match + size, side_match + size
    return runs


def _patience(base: Sequence[Hashable], side: Sequence[Hashable]) -> Sequence[tuple[int, int, int]]:
    """Patience diff's matching blocks (ending with the empty one at both ends)."""
    from patiencediff import PatienceSequenceMatcher  # only an edit that needs a merge pays for it

    blocks: Sequence[tuple[int, int, int]] = PatienceSequenceMatcher(None, base, side).get_matching_blocks()
    return blocks


def _long_runs(
    base: tuple[str, ...], side: tuple[str, ...], base_start: int, base_end: int, side_start: int, side_end: int
) -> list[tuple[int, int, int]]:
    """Matching runs of base[base_start:base_end] and side[side_start:side_end]: runs of _RUN tokens
    starting at a sampled token (the same in both texts) that both parts have once anchor it, each
    run then going on as far as the two parts are equal, up to the next anchor."""
    base_part, side_part = base[base_start:base_end], side[side_start:side_end]
    base_at, side_at = _sampled(base_part), _sampled(side_part)
    anchors = [
        (base_at[i + offset], side_at[j + offset])
        for i, j, size in _patience(
            [base_part[at : at + _RUN] for at in base_at], [side_part[at : at + _RUN] for at in side_at]
        )
        for offset in range(size)
    ]
    runs = []
    for index, (base_match, side_match) in enumerate(anchors):
        base_next, side_next = anchors[index + 1] if index + 1 < len(anchors) else (len(base_part), len(side_part))
        room = min(base_next - base_match, side_next - side_match)  # anchors may be closer than _RUN
        if base_part[base_match : base_match + room] == side_part[side_match : side_match + room]:
            length = room  # most often: nothing changed up to the next anchor
        else:
            length = min(_RUN, room)
            while length < room and base_part[base_match + length] == side_part[side_match + length]:
                length += 1
        runs.append((base_start + base_match, side_start + side_match, length))
    return runs


def _sampled(part: tuple[str, ...]) -> list[int]:
    """Where runs of _RUN tokens start in _long_runs: at about one word in four, picked by its own
    characters (so the same words in every text, and in every process)."""
    picked = {
        token for token in set(part) if (ord(token[0]) + ord(token[-1]) + len(token)) % 4 == 0 and not token.isspace()
    }
    return [at for at, token in enumerate(part[: len(part) - _RUN + 1]) if token in picked]


def _aligned(base: tuple[str, ...], side: tuple[str, ...]) -> list[tuple[int, int, int, int]]:
    """The diff of the two as (base start, base end, side start, side end) of each change, its ends
    trimmed of equal tokens."""
    changes = []
    base_at = side_at = 0
    for base_match, side_match, size in [*_matching_runs(base, side), (len(base), len(side), 0)]:
        start, end, new_start, new_end = base_at, base_match, side_at, side_match
        while start < end and new_start < new_end and base[start] == side[new_start]:
            start, new_start = start + 1, new_start + 1
        while start < end and new_start < new_end and base[end - 1] == side[new_end - 1]:
            end, new_end = end - 1, new_end - 1
        if start < end or new_start < new_end:
            changes.append((start, end, new_start, new_end))
        base_at, side_at = base_match + size, side_match + size
    return changes


def _leftmost(
    base: tuple[str, ...], start: int, end: int, new: tuple[str, ...], left: int
) -> tuple[int, int, tuple[str, ...]]:
    """The hunk slid as far left as it goes, not past base[left]: an insertion while the token
    before it equals its last (rotating), a deletion while the token before it equals its last. The
    same change, found at two places of a run of equal tokens, is one change."""
    moved = 0
    if start == end:
        size = len(new)
        while start - moved > left and base[start - moved - 1] == new[(-1 - moved) % size]:
            moved += 1
        turn = moved % size
        return (start - moved, start - moved, new[size - turn :] + new[: size - turn])
    if not new:
        while start - moved > left and base[start - moved - 1] == base[end - moved - 1]:
            moved += 1
        return (start - moved, end - moved, ())
    return (start, end, new)


def _reach(size: int, tokens_at: Sequence[str], changes: Sequence[tuple[int, int, frozenset[str]]]) -> list[int]:
    """Where each change's region ends, going right: over every following token equal to a token
    the change deleted or inserted (a run of those may be aligned on either side of it), and on
    through any change of the same side met on the way, with its tokens too."""
    ends = [0] * len(changes)
    index = 0
    while index < len(changes):
        first, moved, at = index, set(changes[index][2]), changes[index][1]
        while True:
            if index + 1 < len(changes) and at == changes[index + 1][0]:
                index += 1
                moved |= changes[index][2]
                at = changes[index][1]
            elif at < size and tokens_at[at] in moved:
                at += 1
            else:
                break
        ends[first : index + 1] = [at] * (index + 1 - first)
        index += 1
    return ends


@lru_cache(maxsize=_CACHED_TEXTS)
def _hunks(base_text: str, side_text: str) -> tuple[_Hunk, ...]:
    """What the side changed in the base, in base order."""
    base, side = _tokens(base_text), _tokens(side_text)
    size = len(base)
    changes = [(start, end, side[new_start:new_end]) for start, end, new_start, new_end in _aligned(base, side)]
    moved = [(start, end, frozenset(base[start:end]) | frozenset(new)) for start, end, new in changes]
    highs = _reach(size, base, moved)
    # the same, from the right: on the reversed base, each change reversed, in reversed order
    mirrored = [(size - end, size - start, tokens) for start, end, tokens in reversed(moved)]
    lows = [size - reach for reach in reversed(_reach(size, base[::-1], mirrored))]
    hunks = []
    for index, (start, end, new) in enumerate(changes):
        low, high = lows[index], highs[index]
        # its new tokens may stand at an edge: an insertion; a hunk whose region is wider than its
        # range; one whose new tokens share some with the replaced ones (a finer alignment keeps
        # those, and what is left may be inserted at an edge)
        shares = not frozenset(new).isdisjoint(base[start:end])
        inserts = bool(new) and (start == end or low < start or high > end or shares)
        left = changes[index - 1][1] if index else 0
        hunks.append(_Hunk(start, end, new, low, high, inserts, _leftmost(base, start, end, new, left)))
    return tuple(hunks)


def _conflict(one: _Hunk, other: _Hunk) -> bool:
    low, high = max(one.low, other.low), min(one.high, other.high)
    return low < high or (low == high and (one.inserts or other.inserts))


def _any_conflict(ours: list[_Hunk], theirs: list[_Hunk]) -> bool:
    """Whether a hunk of `ours` conflicts with one of `theirs`. The regions of a side's hunks have
    low and high both non-decreasing in base order (a region reaching a neighbour shares its ends),
    so the regions of `theirs` that reach one of `ours` are consecutive: one pass."""
    first = 0
    for hunk in ours:
        while first < len(theirs) and theirs[first].high < hunk.low:
            first += 1
        at = first
        while at < len(theirs) and theirs[at].low <= hunk.high:
            if _conflict(hunk, theirs[at]):
                return True
            at += 1
    return False


def merge(base: str, current: str, edited: str) -> str | None:
    """`current` with the changes `edited` made to `base`, or None when a change of one side
    overlaps or touches a change of the other (see the module's docstring)."""
    if edited in (current, base):
        return current
    if base == current:
        return edited
    current_hunks, edited_hunks = _hunks(base, current), _hunks(base, edited)
    twice = {hunk.leftmost for hunk in current_hunks} & {hunk.leftmost for hunk in edited_hunks}
    only_current = [hunk for hunk in current_hunks if hunk.leftmost not in twice]
    only_edited = [hunk for hunk in edited_hunks if hunk.leftmost not in twice]
    if _any_conflict(only_edited, list(current_hunks)) or _any_conflict(only_current, list(edited_hunks)):
        return None
    base_tokens = _tokens(base)
    merged: list[str] = []
    at = 0
    for hunk in sorted((*current_hunks, *only_edited), key=lambda hunk: (hunk.start, hunk.end)):
        merged += base_tokens[at : hunk.start]
        merged += hunk.new
        at = hunk.end
    merged += base_tokens[at:]
    return "".join(merged)
