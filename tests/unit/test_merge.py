"""notes_core.engine.merge: three-way merges of text at word granularity, exact or refused."""

import os
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from notes_core.engine.merge import merge, tokens
from tests.support.edits import DISJOINT, OVERLAPPING, SHAPES, merge_cases

GROUP = "libpng is maintained by the PNG development group"
LIBPNG = "This document is released under the libpng license."
FILE = "This file describes how to use libpng."
ITEMS = "- [ ] There are complete\n- [ ] There are more\n- [x] Call Anna\n"


@pytest.mark.parametrize(
    ("base", "current", "edited", "merged"),
    [
        # edits at both ends
        (
            "the quick brown fox jumps",
            "The quick brown fox jumps",
            "the quick brown fox jumps high",
            "The quick brown fox jumps high",
        ),
        # adjacent but not overlapping words
        ("one two three", "ONE two three", "one TWO three", "ONE TWO three"),
        # the same edit on both sides is not a conflict
        ("a typo here", "a typo there", "a typo there", "a typo there"),
        # a deletion on one side, an edit elsewhere on the other
        ("keep this word and drop that", "keep this word", "keep these word and drop that", "keep these word"),
        # emoji (with skin tone, ZWJ sequences, flags) and combining characters stay whole
        (
            "hi 👍🏽 👩‍💻 🇫🇷 cafe\u0301",
            "hello 👍🏽 👩‍💻 🇫🇷 cafe\u0301",
            "hi 👍🏽 👩‍💻 🇫🇷 bistro",
            "hello 👍🏽 👩‍💻 🇫🇷 bistro",
        ),
        # CRLF line ends are kept as they are
        ("one\r\ntwo\r\n", "ONE\r\ntwo\r\n", "one\r\ntwo\r\nthree\r\n", "ONE\r\ntwo\r\nthree\r\n"),
        # an empty base and one side unchanged
        ("", "", "written", "written"),
        # Unicode words
        ("Grüße aus Köln", "Grüße aus Bonn", "Viele Grüße aus Köln", "Viele Grüße aus Bonn"),
        # a word and the comma after it, each replaced
        ("milk, eggs", "MILK, eggs", "milk; eggs", "MILK; eggs"),
        # the same deletion in a run of equal words, aligned by each side's diff in its own place,
        # and an edit elsewhere: the word goes once
        ("a a a b c", "a a b c", "a a b C", "a a b C"),
    ],
    ids=[
        "both-ends",
        "adjacent-words",
        "same-edit",
        "delete-vs-edit",
        "emoji-combining",
        "crlf",
        "empty-base",
        "unicode",
        "word-and-comma",
        "same-deletion-in-a-run",
    ],
)
def test_disjoint_changes_merge_exactly(base: str, current: str, edited: str, merged: str) -> None:
    assert merge(base, current, edited) == merged


@pytest.mark.parametrize(
    ("base", "current", "edited"),
    [
        ("the quick brown fox", "the slow brown fox", "the fast brown fox"),  # the same word, changed differently
        ("a b c", "a b c d", "a b c e"),  # insertions at the same point
        ("", "x", "y"),  # both write into an empty base
        ("keep this and that", "keep this", "keep this and those"),  # a deletion over an edit
        ("😀 ok", "😃 ok", "😀\u200d🔥 ok"),  # both change the same emoji
        ("cafe\u0301 ok", "cafe ok", "cafe\u0301s ok"),  # one drops the mark, the other extends the word
        ("Buy milk", "Buy fresh milk", "Buy eggs"),  # an insertion right next to a changed word
        # a sentence deleted, and its first word changed: the next sentence opens with the same word
        (f"{GROUP}. {LIBPNG} {FILE}", f"{GROUP}. {FILE}", f"{GROUP}. Envisioned{LIBPNG[4:]} {FILE}"),
        # ...and the next sentence's first word changed: the deletion could be of "document ... This"
        (f"{GROUP}. {LIBPNG} {FILE}", f"{GROUP}. {FILE}", f"{GROUP}. {LIBPNG} Envisioned{FILE[4:]}"),
        # a checklist item deleted, and ticked: the next item opens the same
        (ITEMS, ITEMS.split("\n", 1)[1], ITEMS.replace("[ ]", "[x]", 1)),
        # a word deleted from a run of equal words, and another of them changed
        ("x a a a y", "x a a y", "x a A a y"),
    ],
    ids=[
        "same-word",
        "same-insertion-point",
        "empty-base",
        "delete-over-edit",
        "same-emoji",
        "same-accented-word",
        "insertion-beside-change",
        "sentence-deleted-its-opening-changed",
        "sentence-deleted-next-opening-changed",
        "item-deleted-and-ticked",
        "word-deleted-in-a-run",
    ],
)
def test_overlapping_changes_do_not_merge(base: str, current: str, edited: str) -> None:
    assert merge(base, current, edited) is None


@pytest.mark.parametrize(
    "text",
    ["", "plain words, and punctuation!", "a\r\n\tb", "👩‍👩‍👧‍👦 🇯🇵🇫🇷 e\u0301\u0301", "ﾟ∀ﾟ 漢字かな"],
)
def test_tokens_join_back_into_the_text(text: str) -> None:
    assert "".join(tokens(text)) == text


def test_a_character_and_what_modifies_it_are_one_token() -> None:
    assert tokens("👍🏽👩‍💻🇫🇷é\u0301x") == ["👍🏽", "👩\u200d💻", "🇫🇷", "é\u0301x"]


@pytest.mark.parametrize("vocabulary", [12, 3000])
def test_a_long_note_edited_at_both_ends_merges(vocabulary: int) -> None:
    # Given a 100,000-character note of everyday words, most of them many times over
    chosen = random.Random(vocabulary)
    words = [f"word{index}" for index in range(vocabulary)]
    base = ""
    while len(base) < 100_000:
        base += chosen.choice(words) + chosen.choice((" ", " ", ", ", ".\n"))

    # When one side rewrites its first line and the other adds a paragraph at its end
    merged = merge(base, "Edited first line. " + base, base + "\n\nA new paragraph.")

    # Then both edits are in (a matcher that ignores common tokens found no anchors and refused)
    assert merged == "Edited first line. " + base + "\n\nA new paragraph."


# Properties, on notes written from a tiny vocabulary so that words repeat everywhere and changes
# can be aligned in many places. A note is pieces: word, separator, word, separator...; an edit
# replaces a word, inserts a word and a separator before a word, or deletes words with their
# separators, so the answer is known without any diff.
EXAMPLES = int(os.environ.get("NOTES_SYNC_EXAMPLES", "200"))  # `make soak` sets 2000
VOCABULARY = ("a", "b", "c")
SEPARATORS = (" ", " ", ". ", "\n")
Edit = tuple[int, int, tuple[str, ...]]  # pieces[start:end] replaced


@st.composite
def notes(draw: st.DrawFn) -> list[str]:
    words = draw(st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=14))
    return [piece for word in words for piece in (word, draw(st.sampled_from(SEPARATORS)))]


@st.composite
def edits(draw: st.DrawFn, pieces: list[str], start: int, end: int, owner: int) -> Edit:
    """One edit of the pieces between word positions `start` and `end` (both even), by side
    `owner` (0, 1, or 2 for both). Each owner edits differently: side 0 deletes single words and
    inserts words of the vocabulary, side 1 deletes two words or more and inserts "y", both sides
    delete two words or more and insert "z". So no two edits of one side or of both are one change
    seen in two alignments (a word deleted here and inserted there is a word kept in a run of equal
    words), which would have an answer of its own."""
    at = draw(st.integers(start // 2, end // 2)) * 2
    words = st.sampled_from(((*VOCABULARY, "x"), ("y",), ("z",))[owner])
    match draw(st.sampled_from(("replace",) if owner == 2 else ("replace", "insert", "delete"))):
        case "replace" if at < end:
            return (at, at + 1, (draw(words.filter(lambda new: new != pieces[at])),))
        case "delete" if owner == 0 and at < end:
            return (at, at + 2, ())
        case "delete" if owner and at + 2 < end:
            return (at, draw(st.integers(at // 2 + 2, end // 2)) * 2, ())
        case _:
            return (at, at, (draw(words), draw(st.sampled_from(SEPARATORS))))


def _text(pieces: list[str], *changes: Edit) -> str:
    edited = list(pieces)
    for start, end, new in sorted(changes, key=lambda change: (change[0], change[1]), reverse=True):
        edited[start:end] = new
    return "".join(edited)


@st.composite
def disjoint_pairs(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """(base, current, edited, the answer): an edit on each side, in stretches of the note at least
    one piece apart, and sometimes the same edit on both sides in a third."""
    pieces = draw(notes())
    owners = draw(st.permutations((0, 1, 2)))[: draw(st.integers(2, 3))]  # 2: both sides
    sides: tuple[list[Edit], list[Edit]] = ([], [])
    end = -2
    for index, owner in enumerate(owners):
        # a word (and its separator) left between stretches keeps edits of the two sides apart
        start, room = end + 2, len(pieces) - 2 * (len(owners) - 1 - index)
        assume(start <= room)
        end = draw(st.integers(start // 2, room // 2)) * 2
        edit = draw(edits(pieces, start, end, owner))
        for side in (0, 1):
            if owner in (side, 2):
                sides[side].append(edit)
    union = {edit for side in sides for edit in side}
    return "".join(pieces), _text(pieces, *sides[0]), _text(pieces, *sides[1]), _text(pieces, *union)


@given(pair=disjoint_pairs())
@settings(max_examples=EXAMPLES)
def test_disjoint_edits_merge_exactly_or_are_refused(pair: tuple[str, str, str, str]) -> None:
    # Given edits of a note made on two sides, apart from each other (some made on both)
    base, current, edited, answer = pair

    # When they are merged, in either order
    merged, reversed_merge = merge(base, current, edited), merge(base, edited, current)

    # Then each answer is both sides' edits, each exactly as made, or a refusal, the same both ways
    assert merged in (answer, None)
    assert reversed_merge == merged


@st.composite
def overlapping_pairs(draw: st.DrawFn) -> tuple[str, str, str]:
    """(base, current, edited): edits of the two sides that share a word, or insert at one point,
    or one inserts at the edge of the other's change, and do not make the same text."""
    pieces = draw(notes())
    one = draw(edits(pieces, 0, len(pieces), 0))
    start, end, new = one
    word = st.sampled_from(("y", *VOCABULARY))
    separator = st.sampled_from(SEPARATORS)
    last_word = len(pieces) // 2
    if new and start == end:  # an insertion: another at the same point, or a change beside it
        other: Edit = draw(
            st.sampled_from(
                [(start, start, (draw(word), draw(separator)))]
                + (
                    [(start, start + 1, (draw(word.filter(lambda new: new != pieces[start])),))]
                    if start < len(pieces)
                    else []
                )
                + [(draw(st.integers(0, start // 2)) * 2, draw(st.integers(start // 2, last_word)) * 2, ())]
            )
        )
    else:  # a replacement or deletion: a change of one of its words, or a deletion over them
        inside = draw(st.integers(start // 2, (end - 1) // 2)) * 2
        other = draw(
            st.sampled_from(
                [
                    (inside, inside + 1, (draw(word.filter(lambda new: new != pieces[inside])),)),
                    (inside, inside, (draw(word), draw(separator))),
                    (draw(st.integers(0, start // 2)) * 2, draw(st.integers((end + 1) // 2, last_word)) * 2, ()),
                ]
            )
        )
    assume(other[0] < other[1] or other[2])  # not an empty deletion
    current, edited = _text(pieces, one), _text(pieces, other)
    assume(current != edited)  # the same text is the same change, merged once
    return "".join(pieces), current, edited


@given(pair=overlapping_pairs())
@settings(max_examples=EXAMPLES)
def test_overlapping_edits_are_refused(pair: tuple[str, str, str]) -> None:
    # Given edits of a note on two sides that share a word, or insert at one point or beside each other
    base, current, edited = pair

    # When they are merged, in either order, Then both are refused
    assert (merge(base, current, edited), merge(base, edited, current)) == (None, None)


# Any texts: words, punctuation, accents, joiners and emoji; the two sides each rewrite a stretch.
characters = st.sampled_from(("a", "b", " ", ".", "\n", "é", "\u0301", "\u200d", "👍", "🏽", "🇫", "🇷", "-", "[", "]"))
texts = st.text(alphabet=characters, max_size=30)


@st.composite
def rewritten(draw: st.DrawFn, base: str) -> str:
    start = draw(st.integers(0, len(base)))
    return base[:start] + draw(texts) + base[draw(st.integers(start, len(base))) :]


@st.composite
def any_triples(draw: st.DrawFn) -> tuple[str, str, str]:
    base = draw(texts)
    return base, draw(rewritten(base)), draw(rewritten(base))


@given(triple=any_triples())
@settings(max_examples=EXAMPLES)
def test_any_merge_is_the_same_both_ways_and_an_unchanged_side_takes_the_other(triple: tuple[str, str, str]) -> None:
    base, current, edited = triple

    merged = merge(base, current, edited)

    assert merge(base, edited, current) == merged
    assert (merge(base, base, edited), merge(base, current, base), merge(base, current, current)) == (
        edited,
        current,
        current,
    )


@given(text=st.text() | texts)
def test_any_text_joins_back_from_its_tokens(text: str) -> None:
    assert "".join(tokens(text)) == text


@pytest.mark.parametrize("shape", SHAPES)
def test_generated_pairs_merge_when_disjoint_and_never_wrongly(shape: str) -> None:
    # Given pairs of edits of notes of 300 and 3,000 characters (tests.support.edits), each kind
    outcomes: dict[str, list[bool | None]] = {}
    for size in (300, 3000):
        for case in merge_cases(DISJOINT + OVERLAPPING, shape, size, count=8):
            # When merged
            merged = merge(case.base, case.current, case.edited)
            outcomes.setdefault(case.kind, []).append(None if merged is None else merged == case.expected)

    # Then no merge is wrong, and disjoint pairs merge (the few refused could align otherwise)
    assert all(outcome is not False for kind in outcomes for outcome in outcomes[kind])
    disjoint = [outcome for kind in DISJOINT for outcome in outcomes[kind]]
    assert disjoint.count(True) >= 0.99 * len(disjoint)
