"""Devices edit a note's content offline from the same version and push in any order:
- edits of different paragraphs all end up in the text, each exactly as made, and every device,
  adopting the answers and the feed, converges on the server's note;
- two edits of the same word never mix: the first pushed applies, the other is a conflict;
- of the generated pairs of edits (tests.support.edits: three shapes of note, disjoint and
  overlapping kinds), the second pushed is applied with exactly both edits, or is a conflict
  answered with the first's text: never any other text.
"""

import os
import time
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from notes_core.contract.bodies.notes import PushRequest
from notes_core.domain.caller import Caller
from notes_core.usecases import sync
from tests.support.edits import DISJOINT, OVERLAPPING, SHAPES, merge_case
from tests.support.stack import forget_user, shared_stack

EXAMPLES = max(1, int(os.environ.get("NOTES_SYNC_EXAMPLES", "200")) // 8)  # 25 each in `make test`
words = st.text(alphabet="abcdefgh", min_size=1, max_size=6)


def _caller() -> Caller:
    user_id = str(uuid.uuid4())
    return Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")


def _paragraphs(count: int, size: int) -> list[list[str]]:
    return [[f"p{p}w{w}" for w in range(size)] for p in range(count)]


def _text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)


def _push(caller: Caller, note_id: str, base: int, content: str) -> tuple[str, str, list[str] | None]:
    change = {"op": "upsert", "id": note_id, "base_version": base, "content": content}
    (result,) = sync.push(caller, PushRequest(changes=[change])).results
    assert result.note is not None
    return result.status, result.note.content, result.merged_fields


def _created(caller: Caller, text: str) -> str:
    note_id = str(uuid.uuid4())
    change = {"op": "upsert", "id": note_id, "base_version": None, "title": "t", "content": text}
    sync.push(caller, PushRequest(changes=[change]))
    return note_id


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    shape=st.tuples(st.integers(3, 5), st.integers(3, 5)),
    edits=st.lists(st.tuples(st.integers(0, 4), words), min_size=2, max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_edits_of_different_paragraphs_all_apply_and_devices_converge(
    shape: tuple[int, int], edits: list[tuple[int, str]], order: object
) -> None:
    # Given a note of several paragraphs, and devices each replacing a word of its own paragraph
    caller = _caller()
    count, size = shape
    base = _paragraphs(count, size)
    note_id = _created(caller, _text(base))
    wanted: dict[int, str] = {}
    for device, (_, word) in enumerate(edits):
        wanted[device] = f"{word}{device}"  # unlike any other word, so it can be found
    texts = []
    for device, (word_index, _) in enumerate(edits):
        edited = [list(paragraph) for paragraph in base]
        edited[device][word_index % size] = wanted[device]
        texts.append(_text(edited))

    # When they push from version 1, in any order
    devices = list(range(len(edits)))
    order.shuffle(devices)  # type: ignore[attr-defined]
    answers = {device: _push(caller, note_id, 1, texts[device]) for device in devices}

    # Then every push applied, all but the first merged, and the text has every device's word
    final = answers[devices[-1]][1]
    assert [answers[device][0] for device in devices] == ["applied"] * len(devices)
    assert [answers[device][2] for device in devices[1:]] == [["content"]] * (len(devices) - 1)
    for device in devices:
        assert wanted[device] in final.split()
    # ...and devices that adopt their answer, then pull, all hold the server's text
    page = sync.pull(caller, None, limit=500)
    (server,) = (note for note in page.changes if note.id == note_id)
    assert server.content == final
    forget_user(shared_stack(), caller.user_id)


@settings(max_examples=EXAMPLES, deadline=None)
@given(word_index=st.integers(0, 4), first=words, second=words)
def test_two_edits_of_the_same_word_never_mix(word_index: int, first: str, second: str) -> None:
    # Given a note, and two devices replacing the same word differently, from version 1
    caller = _caller()
    base = _paragraphs(2, 5)
    note_id = _created(caller, _text(base))
    edits = []
    for word in (f"{first}A", f"{second}B"):
        edited = [list(paragraph) for paragraph in base]
        edited[0][word_index] = word
        edits.append(_text(edited))

    # When both push
    applied = _push(caller, note_id, 1, edits[0])
    refused = _push(caller, note_id, 1, edits[1])

    # Then the first applies and the second is a conflict answered with the first's text
    assert applied[0] == "applied"
    assert (refused[0], refused[1]) == ("conflict", edits[0])
    forget_user(shared_stack(), caller.user_id)


@settings(max_examples=EXAMPLES, deadline=None)
@given(kind=st.sampled_from(DISJOINT + OVERLAPPING), shape=st.sampled_from(SHAPES), seed=st.integers(0, 10**6))
def test_a_generated_pair_of_edits_merges_exactly_or_is_a_conflict(kind: str, shape: str, seed: int) -> None:
    # Given a note two devices hold at version 1, and an edit of it from each (tests.support.edits)
    case = merge_case(kind, shape, 300, seed)
    caller = _caller()
    note_id = _created(caller, case.base)
    first = _push(caller, note_id, 1, case.current)

    # When the second device pushes its edit, from version 1 too
    second = _push(caller, note_id, 1, case.edited)

    # Then it is applied with exactly both edits (an edit made on both sides once), or, when the
    # edits overlap (or, rarely, could be aligned onto each other), a conflict with the first's text
    assert first[:2] == ("applied", case.current)
    if case.expected is None:
        assert second[:2] == ("conflict", case.current)
    else:
        assert second[:2] in (("applied", case.expected), ("conflict", case.current))
    forget_user(shared_stack(), caller.user_id)
