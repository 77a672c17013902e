"""Pairs of concurrent edits of a note's content, with the answer a merge owes each pair.

A note is built from pieces (words, the spaces and punctuation between them, checklist boxes), so
an edit is a replacement of a range of pieces and the answer is known without any tokenizer or
diff: for a disjoint pair, the base with both edits applied, each exactly as made; for an
overlapping pair, a refusal (None). Identical edits on both sides merge once.

Three shapes of note, all written from a small vocabulary in which words repeat and most sentences
(or checklist items) open with the same few words, the cases where a diff can align a change in
more than one place:
- `paragraphs`: sentences of prose, a few per paragraph, paragraphs separated by a blank line;
- `line`: the same prose on one long line;
- `checklist`: markdown items `- [ ] item` / `- [x] item`, one per line.

Kinds of pair (`DISJOINT` merge, `OVERLAPPING` do not):
- word: a word replaced on each side, at least one untouched word apart;
- insert-delete: a word inserted on one side, another deleted elsewhere on the other;
- one-line: two different words of the same sentence or item;
- both-ends: the first word changed on one side, a sentence or item appended on the other;
- adjacent: two neighbouring words (only a space between them);
- identical: the same edit on both sides (merged once), and on one side another edit elsewhere;
- same-word: the same word replaced differently;
- same-point: different words inserted at the same point;
- delete-inside: a sentence or item deleted on one side, a word inside it changed (or the item
  ticked) on the other;
- repeated-opening: a sentence or item deleted on one side and its first word changed (or the item
  ticked) on the other, where the next one opens with the same words.
"""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

SHAPES = ("paragraphs", "line", "checklist")
DISJOINT = ("word", "insert-delete", "one-line", "both-ends", "adjacent", "identical")
OVERLAPPING = ("same-word", "same-point", "delete-inside", "repeated-opening")

OPENINGS = ("This", "This", "This", "The", "The", "It", "We", "This file")
ITEM_OPENINGS = ("There are", "There are", "Buy", "Call", "Check the", "Fix the")
WORDS = (
    "the", "the", "the", "a", "a", "of", "of", "to", "to", "and", "and", "is", "in", "for", "that",
    "document", "file", "license", "group", "describes", "how", "use", "library", "released",
    "under", "this", "with", "notes", "list", "milk", "eggs", "bread", "meeting", "project",
    "draft", "ideas", "garden", "book", "train", "complete", "more", "tests", "code", "data",
    "user", "time", "new", "old", "first", "last", "page", "line", "word", "text", "change",
)  # fmt: skip
NEW_WORDS = ("Envisioned", "quickly", "edited", "revised", "tomorrow", "green", "seven", "maybe", "orange")


@dataclass(frozen=True)
class MergeCase:
    kind: str  # one of DISJOINT or OVERLAPPING
    shape: str
    base: str
    current: str  # the base with one side's edit (already stored)
    edited: str  # the base with the other side's edit (being pushed)
    expected: str | None  # what the merge must answer: the text, or None for a refusal
    # each side's edits as made, in base characters: text[start:end] replaced by the string
    current_splices: tuple[tuple[int, int, str], ...]
    edited_splices: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class _Unit:
    """A sentence or checklist item: pieces[start:end], its words at `words`, `box` its checkbox
    piece (checklists), deletable whole."""

    start: int
    end: int
    words: tuple[int, ...]
    box: int | None


_Edit = tuple[int, int, tuple[str, ...]]  # pieces[start:end] become the new pieces
_Edits = tuple[_Edit, ...]


class _Note:
    def __init__(self, shape: str, size: int, chosen: random.Random) -> None:
        self.shape = shape
        self.pieces: list[str] = []
        self.units: list[_Unit] = []
        length = 0
        while length < size or len(self.units) < 2:
            length += self._add_unit(chosen)
        # the last unit ends the note: no trailing space or blank line after it
        last = self.units[-1]
        self.pieces[last.end - 1] = "\n" if shape == "checklist" else ""

    def _add_unit(self, chosen: random.Random) -> int:
        start = len(self.pieces)
        box = None
        if self.shape == "checklist":
            box = start
            self.pieces.append(chosen.choice(("- [ ] ", "- [ ] ", "- [x] ")))
            words = chosen.choice(ITEM_OPENINGS).split() + chosen.choices(WORDS, k=chosen.randint(1, 5))
        else:
            words = chosen.choice(OPENINGS).split() + chosen.choices(WORDS, k=chosen.randint(3, 12))
        indexes = []
        for position, word in enumerate(words):
            if position:
                self.pieces.append(" ")
            indexes.append(len(self.pieces))
            self.pieces.append(word)
        if self.shape == "checklist":
            self.pieces.append("\n")
        else:
            self.pieces.append(".")
            paragraph_ends = self.shape == "paragraphs" and chosen.random() < 0.25
            self.pieces.append("\n\n" if paragraph_ends else " ")
        self.units.append(_Unit(start, len(self.pieces), tuple(indexes), box))
        return sum(len(piece) for piece in self.pieces[start:])

    def text(self, *edits: _Edit) -> str:
        """The note with the edits applied (they must not overlap)."""
        pieces = list(self.pieces)
        for start, end, new in sorted(edits, reverse=True):
            pieces[start:end] = new
        return "".join(pieces)

    def splices(self, *edits: _Edit) -> tuple[tuple[int, int, str], ...]:
        """The edits as replacements of the text's characters."""
        offsets = [0, *itertools.accumulate(len(piece) for piece in self.pieces)]
        return tuple((offsets[start], offsets[end], "".join(new)) for start, end, new in sorted(edits))

    @property
    def words(self) -> list[int]:
        return [index for unit in self.units for index in unit.words]


def _new_word(chosen: random.Random, old: str, *avoid: str) -> str:
    while True:
        word = chosen.choice(NEW_WORDS + WORDS)
        if word != old and word not in avoid:
            return word


def _replace(note: _Note, index: int, chosen: random.Random, *avoid: str) -> _Edit:
    return (index, index + 1, (_new_word(chosen, note.pieces[index], *avoid),))


def _insert(note: _Note, index: int, word: str) -> _Edit:
    """`word` and a space inserted before the word at `index`."""
    return (index, index, (word, " "))


def _delete_word(note: _Note, index: int) -> _Edit:
    """The word at `index` and the space after it (or, last in its unit, the space before it)."""
    if note.pieces[index + 1] == " ":
        return (index, index + 2, ())
    return (index - 1, index + 1, ())


def _delete_unit(note: _Note, unit: _Unit) -> _Edit:
    return (unit.start, unit.end, ())


def _tick(note: _Note, unit: _Unit) -> _Edit:
    assert unit.box is not None
    ticked = "- [ ] " if note.pieces[unit.box] == "- [x] " else "- [x] "
    return (unit.box, unit.box + 1, (ticked,))


def _far_apart(note: _Note, chosen: random.Random) -> tuple[int, int]:
    """Two word positions (indexes into note.words) with at least two words between them."""
    count = len(note.words)
    first = chosen.randrange(count - 3)
    return first, chosen.randrange(first + 3, count)


_Pair = tuple[_Edits, _Edits, _Edits | None]  # one side's edits, the other's, the answer's (None: a refusal)


def _words(note: _Note, chosen: random.Random) -> _Pair:
    first, second = _far_apart(note, chosen)
    one, other = _replace(note, note.words[first], chosen), _replace(note, note.words[second], chosen)
    return (one,), (other,), (one, other)


def _insert_delete(note: _Note, chosen: random.Random) -> _Pair:
    first, second = _far_apart(note, chosen)
    if chosen.random() < 0.5:
        first, second = second, first
    one = _insert(note, note.words[first], _new_word(chosen, ""))
    other = _delete_word(note, note.words[second])
    return (one,), (other,), (one, other)


def _one_line(note: _Note, chosen: random.Random) -> _Pair:
    unit = chosen.choice([unit for unit in note.units if len(unit.words) >= 3])
    first = chosen.randrange(len(unit.words) - 2)
    second = chosen.randrange(first + 2, len(unit.words))
    one, other = _replace(note, unit.words[first], chosen), _replace(note, unit.words[second], chosen)
    return (one,), (other,), (one, other)


def _both_ends(note: _Note, chosen: random.Random) -> _Pair:
    one = _replace(note, note.words[0], chosen)
    end = len(note.pieces) - 1  # the last piece: the note's final "" or "\n"
    addition = _Note(note.shape, 1, chosen)
    glue = "\n" if note.shape == "checklist" else (" " if note.shape == "line" else "\n\n")
    appended = (end, end + 1, (note.pieces[end] or glue, *addition.pieces))
    return (one,), (appended,), (one, appended)


def _adjacent(note: _Note, chosen: random.Random) -> _Pair:
    words = note.words
    first = chosen.randrange(len(words) - 1)
    while note.pieces[words[first] + 1] != " ":  # neighbours in one unit
        first = chosen.randrange(len(words) - 1)
    one, other = _replace(note, words[first], chosen), _replace(note, words[first + 1], chosen)
    return (one,), (other,), (one, other)


def _identical(note: _Note, chosen: random.Random) -> _Pair:
    first, second = _far_apart(note, chosen)
    at = note.words[first]
    same = chosen.choice((_replace(note, at, chosen), _insert(note, at, _new_word(chosen, "")), _delete_word(note, at)))
    if chosen.random() < 0.5:
        return (same,), (same,), (same,)
    more = _replace(note, note.words[second], chosen)
    return (same,), (same, more), (same, more)


def _same_word(note: _Note, chosen: random.Random) -> _Pair:
    at = chosen.choice(note.words)
    one = _replace(note, at, chosen)
    return (one,), (_replace(note, at, chosen, one[2][0]),), None


def _same_point(note: _Note, chosen: random.Random) -> _Pair:
    at = chosen.choice(note.words)
    word = _new_word(chosen, "")
    return (_insert(note, at, word),), (_insert(note, at, _new_word(chosen, word)),), None


def _inside(note: _Note, unit: _Unit, chosen: random.Random, at: int) -> _Edit:
    """An item ticked (or unticked), or the word at `at` replaced."""
    if unit.box is not None and chosen.random() < 0.5:
        return _tick(note, unit)
    return _replace(note, at, chosen)


def _delete_inside(note: _Note, chosen: random.Random) -> _Pair:
    unit = chosen.choice(note.units[1:-1] or note.units)
    return (_delete_unit(note, unit),), (_inside(note, unit, chosen, chosen.choice(unit.words)),), None


def _repeated_opening(note: _Note, chosen: random.Random) -> _Pair:
    pairs = itertools.pairwise(note.units)
    repeated = [unit for unit, after in pairs if note.pieces[unit.words[0]] == note.pieces[after.words[0]]]
    unit = chosen.choice(repeated or note.units[:-1])
    return (_delete_unit(note, unit),), (_inside(note, unit, chosen, unit.words[0]),), None


_PAIRS = {
    "word": _words,
    "insert-delete": _insert_delete,
    "one-line": _one_line,
    "both-ends": _both_ends,
    "adjacent": _adjacent,
    "identical": _identical,
    "same-word": _same_word,
    "same-point": _same_point,
    "delete-inside": _delete_inside,
    "repeated-opening": _repeated_opening,
}


def merge_case(kind: str, shape: str, size: int, seed: int) -> MergeCase:
    """One pair of `kind` on a note of `shape` of about `size` characters, from `seed`."""
    chosen = random.Random(f"{kind}/{shape}/{size}/{seed}")
    note = _Note(shape, size, chosen)
    one, other, answer = _PAIRS[kind](note, chosen)
    if chosen.random() < 0.5:
        one, other = other, one
    expected = None if answer is None else note.text(*answer)
    return MergeCase(
        kind, shape, note.text(), note.text(*one), note.text(*other), expected, note.splices(*one), note.splices(*other)
    )


def merge_cases(kinds: tuple[str, ...], shape: str, size: int, count: int) -> Iterator[MergeCase]:
    for kind in kinds:
        for seed in range(count):
            yield merge_case(kind, shape, size, seed)
