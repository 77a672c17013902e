"""notes_core.merge: three-way merges of text at word granularity, exact or refused."""

import random

import pytest

from notes_core.merge import merge, tokens


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
    ],
    ids=["same-word", "same-insertion-point", "empty-base", "delete-over-edit", "same-emoji", "same-accented-word"],
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
