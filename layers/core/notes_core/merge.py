"""Three-way merge of a note's content, at word granularity, exact or not at all.

Two edits made from the same base text merge when the regions each changed do not overlap: the
result has every change of both sides, each exactly as made. Where they overlap (including two
insertions at the same point) there is no merge: the caller answers a conflict, as it would
without merges. The texts are compared as sequences of tokens: runs of word characters, runs of
whitespace, and single other characters, a combining mark, emoji modifier or zero-width joiner
staying with the character it modifies, so that no merge ever splits what a reader sees as one
character. The three-way merge itself is merge3's (the Breezy project's) on token sequences
instead of lines, matched by patience diff (Breezy's too): difflib's matcher treats any token
making up over 1% of a text of 200 or more as junk (spaces, commas), which left long notes
conflicting on any two edits; patience diff anchors on the tokens each text has once, in
milliseconds where difflib without that heuristic took minutes on a 100,000-character note.
"""

import re
import unicodedata

_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)
_WORD = re.compile(r"\w")
_JOINER = "\u200d"  # zero-width joiner: emoji sequences such as 👩‍💻
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # flags are pairs of these


def _extends(token: str, previous: str) -> bool:
    """Whether `token` belongs to the character that ends `previous`."""
    first = token[0]
    if previous.endswith(_JOINER) or first == _JOINER:
        return True
    if _is_mark(first) or 0x1F3FB <= ord(first) <= 0x1F3FF:  # combining marks, skin tones
        return True
    return ord(first) in _REGIONAL_INDICATORS and len(previous) == 1 and ord(previous) in _REGIONAL_INDICATORS


def _continues_word(token: str, previous: str) -> bool:
    """Whether `token` carries on a word a combining mark interrupted (\\w stops at marks)."""
    return _WORD.match(token) is not None and _WORD.match(previous) is not None and _is_mark(previous[-1])


def _is_mark(character: str) -> bool:
    return unicodedata.category(character).startswith("M")


def tokens(text: str) -> list[str]:
    """The text as tokens; joined again, they are the text."""
    if text.isascii():  # no marks, joiners or emoji: nothing to attach
        return _TOKEN.findall(text)
    found: list[str] = []
    for token in _TOKEN.findall(text):
        if found and (_extends(token, found[-1]) or _continues_word(token, found[-1])):
            found[-1] += token
        else:
            found.append(token)
    return found


def merge(base: str, current: str, edited: str) -> str | None:
    """`current` with the changes `edited` made to `base`, or None when the two sides changed the
    same words (or inserted text at the same point)."""
    import merge3  # only an edit that needs a merge pays for it
    from patiencediff import PatienceSequenceMatcher

    base_tokens, current_tokens, edited_tokens = tokens(base), tokens(current), tokens(edited)
    merged: list[str] = []
    for region in merge3.Merge3(
        base_tokens,
        current_tokens,
        edited_tokens,
        # merge3's protocol names difflib's autojunk argument, which patience diff has no use for
        sequence_matcher=PatienceSequenceMatcher,  # type: ignore[arg-type]
    ).merge_regions():
        match region[0]:
            case "unchanged":
                merged += base_tokens[region[1] : region[2]]
            case "a" | "same":
                merged += current_tokens[region[1] : region[2]]
            case "b":
                merged += edited_tokens[region[1] : region[2]]
            case _:  # conflict
                return None
    return "".join(merged)
