"""The worst cases of merge work (issue 18, part 3), each timed end to end beside its function's Timeout.

What is measured: the handler of the function that serves the request, invoked in this process as
Lambda would (its event from events/, a Lambda context with the function's Timeout from
template.yaml), against the local stack's moto; from the call to its answer.
1. POST /v1/notes/batch (NotesBatchFunction): 25 stale edits of 25 notes of 100,000 characters
   ("a" and a combining acute accent, 50,000 times, one of them another letter so that no two
   merges have the same texts): each note was changed at its start (version 2), each edit, based
   on version 1, changes its end.
2. POST /v1/sync (SyncPushFunction): a push of 100 tiny stale edits of one note whose stored
   versions are 100,000 zero-width joiners (version 2 changed its first character).
3. POST /v1/sync: a push of 30 mergeable edits of 30 notes of 100,000 characters (words of several
   scripts, now and then a long run of accented letters: a 4.5 MB body), each note changed at its
   start (version 2), each edit on version 1 changing its end, while two other devices write to
   other notes of the account: before every transaction of the push, one of them pushes an edit
   (so every attempt of the push finds its sequence moved).
The setup (creates, the version-2 changes) goes through notes_core directly and is not timed. The
answer is reported as its status and what its results were; nothing is asserted. Figures are
printed and written to bench/results/merge_worst_cases.txt.

    python -m bench.merge_worst_cases
"""

import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.results_file import publish
from local.stack import LocalStack
from tests.support import events

MODULE = "bench.merge_worst_cases"
NOTE_CHARS = 100_000
ACCENTED = "a\u0301" * (NOTE_CHARS // 2)
JOINERS = "\u200d" * NOTE_CHARS
WORDS = (
    "café",
    "crème",
    "naïve",
    "東京都",
    "Zürich",
    "日本語",
    "garçon",
    "smörgåsbord",
    "한국어",
    "Ελληνικά",
    "résumé",
    "שלום",
)
MARKED_RUN = 1000  # an "e" and a combining acute accent, this many times: now and then, a word of them


@dataclass(frozen=True)
class Measured:
    case: str
    function: str
    timeout: float
    seconds: float
    status: int
    outcome: str


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def accented_words(seed: int) -> str:
    """NOTE_CHARS of words of several scripts, one in 97 a run of accented letters."""
    text, number = "", seed
    while len(text) < NOTE_CHARS:
        number = (number * 1103515245 + 12345) % 2**31
        word = "e\u0301" * MARKED_RUN if number % 97 == 0 else WORDS[number % len(WORDS)]
        text += word + (" " if number % 7 else ".\n")
    return text[:NOTE_CHARS]


class Account:
    """A user of its own, whose notes are set up through notes_core and whose requests go to the handlers."""

    def __init__(self, stack: LocalStack) -> None:
        # notes_core reads its configuration at import: imported once the stack is up
        from notes_core.domain.caller import Caller

        self.stack = stack
        self.user_id = str(uuid.uuid4())
        self.issued_at = int(time.time())
        self.caller = Caller(self.user_id, self.user_id, self.issued_at, "")

    def push(self, *changes: dict[str, Any]) -> list[Any]:
        from notes_core.contract.bodies.notes import PushRequest
        from notes_core.usecases import sync

        return list(sync.push(self.caller, PushRequest(changes=list(changes))).results)

    def notes_changed_at_their_start(self, texts: Sequence[str], changed: Callable[[str], str]) -> list[str]:
        """Notes created with `texts` (version 1), each changed at its start (version 2)."""
        ids = [str(uuid.uuid4()) for _ in texts]
        for note_id, text in zip(ids, texts, strict=True):
            self.push({"op": "upsert", "id": note_id, "base_version": None, "title": "long", "content": text})
            (result,) = self.push({"op": "upsert", "id": note_id, "base_version": 1, "content": changed(text)})
            if (result.status, result.note.version) != ("applied", 2):
                raise RuntimeError(f"the setup's change was not applied: {result}")
        return ids

    def invoke(self, code_dir: str, function: str, body: dict[str, Any]) -> tuple[float, int, Any]:
        """(seconds, status, body) of the function's handler answering `body` (sent as UTF-8 JSON)."""
        claims = {"sub": self.user_id, "username": self.user_id, "token_use": "access", "iat": self.issued_at}
        event = events.as_caller(events.fixture(code_dir), "bench", claims)
        event = events.customised(event, json.dumps(body, ensure_ascii=False))
        started = time.perf_counter()
        answer = self.stack.functions.invoke(function, event)
        seconds = time.perf_counter() - started
        return seconds, answer["statusCode"], json.loads(answer.get("body") or "null")


def _outcome(status: int, body: Any) -> str:
    if status != 200:
        return f"{status} {str(body.get('type', '')).rsplit('/', 1)[-1]}"
    counted = Counter(
        result["status"]
        + (f" ({result['conflict_reason']})" if result.get("conflict_reason") else "")
        + (" merged" if result.get("merged_fields") else "")
        for result in body["results"]
    )
    return "200: " + ", ".join(f"{count} {kind}" for kind, count in sorted(counted.items()))


def timeout_of(stack: LocalStack, function: str) -> float:
    return float(stack.provisioned.functions[function].get("Timeout", 3))


def accented(number: int) -> str:
    """ACCENTED with one letter changed in its middle: every note's merge has texts of its own."""
    middle = NOTE_CHARS // 2 + 2 * number
    return ACCENTED[:middle] + "e\u0301" + ACCENTED[middle + 2 :]


def batch_of_accented_edits(stack: LocalStack) -> Measured:
    account = Account(stack)
    texts = [accented(number) for number in range(25)]
    ids = account.notes_changed_at_their_start(texts, lambda text: "b\u0301" + text[2:])
    update = [
        {"id": note_id, "base_version": 1, "content": text[:-2] + "c\u0301"}
        for note_id, text in zip(ids, texts, strict=True)
    ]
    seconds, status, body = account.invoke("notes_batch", "NotesBatchFunction", {"update": update})
    timeout = timeout_of(stack, "NotesBatchFunction")
    return Measured(
        "1. batch: 25 stale edits, 100,000 chars of a+U+0301",
        "NotesBatchFunction",
        timeout,
        seconds,
        status,
        _outcome(status, body),
    )


def push_of_tiny_edits_of_joiners(stack: LocalStack) -> Measured:
    account = Account(stack)
    (note_id,) = account.notes_changed_at_their_start([JOINERS], lambda text: "x" + text[1:])
    changes = [{"op": "upsert", "id": note_id, "base_version": 1, "content": f"edit {n}"} for n in range(100)]
    seconds, status, body = account.invoke("sync_push", "SyncPushFunction", {"changes": changes})
    timeout = timeout_of(stack, "SyncPushFunction")
    return Measured(
        "2. push: 100 tiny stale edits, 100,000 ZWJ",
        "SyncPushFunction",
        timeout,
        seconds,
        status,
        _outcome(status, body),
    )


@contextmanager
def other_devices_writing(stack: LocalStack, account: Account, notes: list[str]) -> Iterator[list[int]]:
    """While active, before every TransactWriteItems of notes_core's client but their own, another
    device (of two, in turn) pushes an edit of one of `notes`: the transaction finds the sequence
    moved. Yields the count of their writes."""
    from notes_core.data import table

    client = table._dynamodb()
    written = [0]
    writing = [False]
    versions = dict.fromkeys(notes, 1)

    def write_first(**_: Any) -> None:
        if writing[0]:
            return
        writing[0] = True
        try:
            note_id = notes[written[0] % len(notes)]  # each device its note
            change = {"op": "upsert", "id": note_id, "base_version": versions[note_id], "content": f"w{written[0]}"}
            (result,) = account.push(change)
            versions[note_id] = result.note.version
            written[0] += 1
        finally:
            writing[0] = False

    event = "before-call.dynamodb.TransactWriteItems"
    client.meta.events.register(event, write_first, unique_id="other-devices")
    try:
        yield written
    finally:
        client.meta.events.unregister(event, unique_id="other-devices")


def push_of_mergeable_edits_under_contention(stack: LocalStack) -> Measured:
    account = Account(stack)
    texts = [accented_words(seed) for seed in range(30)]
    ids = account.notes_changed_at_their_start(texts, lambda text: "Changed at its start. " + text[22:])
    others = [str(uuid.uuid4()) for _ in range(2)]
    for note_id in others:
        account.push({"op": "upsert", "id": note_id, "base_version": None, "title": "other", "content": "w"})
    end = "\nAnd a new last line."
    changes = [
        {"op": "upsert", "id": note_id, "base_version": 1, "content": text[: -len(end)] + end}
        for note_id, text in zip(ids, texts, strict=True)
    ]
    size = len(json.dumps({"changes": changes}, ensure_ascii=False).encode())
    with other_devices_writing(stack, account, others) as written:
        seconds, status, body = account.invoke("sync_push", "SyncPushFunction", {"changes": changes})
    timeout = timeout_of(stack, "SyncPushFunction")
    case = f"3. push: 30 mergeable edits, {size / 1e6:.1f} MB, 2 devices writing"
    return Measured(
        case,
        "SyncPushFunction",
        timeout,
        seconds,
        status,
        f"{_outcome(status, body)}; {written[0]} writes by the others",
    )


def report(measured: Sequence[Measured]) -> str:
    header = f"{'case':<58}{'function':<20}{'timeout s':>10}{'took s':>9}  answer"
    lines = [header, "-" * (len(header) + 40)]
    for m in measured:
        lines.append(f"{m.case:<58}{m.function:<20}{m.timeout:>10.0f}{m.seconds:>9.2f}  {m.outcome}")
    return (
        "Each request end to end through its function's handler, in this process over the local stack's moto,\n"
        "with a Lambda context of the function's Timeout (template.yaml); one run each.\n\n" + "\n".join(lines) + "\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    stack = LocalStack()
    try:
        measured = []
        for case in (batch_of_accented_edits, push_of_tiny_edits_of_joiners, push_of_mergeable_edits_under_contention):
            progress(f"{case.__name__}...")
            measured.append(case(stack))
            progress(f"  {measured[-1].seconds:.2f} s: {measured[-1].outcome}")
    finally:
        stack.stop()
    publish(MODULE, arguments, started, report(measured))


if __name__ == "__main__":
    main()
