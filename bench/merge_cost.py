"""What merging concurrent edits of a note's content costs, beside the write that stores the result.

What is measured, at the level of notes_core (no HTTP; the local stack's moto, in this process): a
note of 100,000 characters (words of an everyday vocabulary), whose start one device rewrites
(from version 1) and whose end another device, also from version 1, rewrites into a new paragraph
(each edit keeps the length, so the merged note is 100,000 characters too). The
second edit is pushed (notes_core.usecases.sync.push) and merged. For each run, in the same push:
- the three-way merge (notes_core.engine.merge.merge: tokenizing the three texts, diffing each side
  against the base, checking the two sides' changes and applying them);
- the TransactWriteItems that writes the merged note and its revision (moto's time, from sending
  the request to its answer, with botocore's event hooks);
- the whole push.
Each run uses a note of its own, after one unrecorded warm-up run. The merged text is checked to
hold both edits. Figures are printed and written to bench/results/merge_cost.txt; nothing is
asserted.

    python -m bench.merge_cost [--runs N]
"""

import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bench.results_file import parse_runs, publish
from local.stack import LocalStack

MODULE = "bench.merge_cost"
DEFAULT_RUNS = 7
MIN_RUNS = 3
NOTE_CHARS = 100_000
VOCABULARY = (
    "milk",
    "eggs",
    "bread",
    "meeting",
    "call",
    "Anna",
    "project",
    "draft",
    "ideas",
    "garden",
    "book",
    "train",
)


def note_text(seed: int) -> str:
    chosen = random.Random(seed)
    text = ""
    while len(text) < NOTE_CHARS:
        text += chosen.choice(VOCABULARY) + chosen.choice((" ", " ", " ", ", ", ".\n"))
    return text[:NOTE_CHARS]


@contextmanager
def timed(target: Any, name: str, into: list[float]) -> Iterator[None]:
    """While active, every call of `target.name` adds its duration to `into`."""
    original: Callable[..., Any] = getattr(target, name)

    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - started)

    setattr(target, name, measured)
    try:
        yield
    finally:
        setattr(target, name, original)


@contextmanager
def timed_requests(client: Any, operation: str, into: list[float]) -> Iterator[None]:
    """While active, the time of each `operation` request `client` sends, to its parsed answer."""
    started: list[float] = []

    def before(**_: Any) -> None:
        started.append(time.perf_counter())

    def after(**_: Any) -> None:
        into.append(time.perf_counter() - started.pop())

    events = client.meta.events
    events.register(f"before-call.dynamodb.{operation}", before)
    events.register(f"after-call.dynamodb.{operation}", after)
    try:
        yield
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", before)
        events.unregister(f"after-call.dynamodb.{operation}", after)


def one_run(seed: int) -> tuple[float, float, float]:
    """(merge s, transaction s, push s) of one merged edit."""
    from notes_core.contract.bodies.notes import PushRequest
    from notes_core.data import table
    from notes_core.domain.caller import Caller
    from notes_core.engine import changes
    from notes_core.usecases import sync

    user_id = str(uuid.uuid4())
    caller = Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")
    base, note_id = note_text(seed), str(uuid.uuid4())

    def push(change: dict[str, Any]) -> Any:
        (result,) = sync.push(caller, PushRequest(changes=[change])).results
        return result

    push({"op": "upsert", "id": note_id, "base_version": None, "title": "long", "content": base})
    start, end = "Edited first line. ", "\n\nA new paragraph."  # each replaces as many characters
    push({"op": "upsert", "id": note_id, "base_version": 1, "content": start + base[len(start) :]})
    merges: list[float] = []
    writes: list[float] = []
    with timed(changes, "merge", merges), timed_requests(table._dynamodb(), "TransactWriteItems", writes):
        started = time.perf_counter()
        result = push({"op": "upsert", "id": note_id, "base_version": 1, "content": base[: -len(end)] + end})
        pushed = time.perf_counter() - started
    content = result.note.content
    if result.merged_fields != ["content"] or not content.startswith("Edited") or not content.endswith("paragraph."):
        raise RuntimeError(f"the edit was not merged: {result.status}")
    (merge_seconds,), (write_seconds,) = merges, writes
    return merge_seconds, write_seconds, pushed


def report(samples: Sequence[tuple[float, float, float]], runs: int) -> str:
    def row(name: str, values: Sequence[float]) -> str:
        return (
            f"{name:<38}{statistics.median(values) * 1000:>10.1f}{min(values) * 1000:>10.1f}{max(values) * 1000:>10.1f}"
        )

    merges, writes, pushes = ([sample[i] for sample in samples] for i in range(3))
    header = f"{'':<38}{'median ms':>10}{'min ms':>10}{'max ms':>10}"
    return (
        "\n".join(
            [
                f"A {NOTE_CHARS:,}-character note, edited at its start and, from the same version, at its end;",
                f"the second edit pushed and merged. {runs} runs after one warm-up, a note each.",
                "",
                header,
                "-" * len(header),
                row("merge (tokens, diffs, regions)", merges),
                row("TransactWriteItems (moto)", writes),
                row("whole push", pushes),
                "",
                f"merge / transaction, medians: {statistics.median(merges) / statistics.median(writes):.2f}x",
            ]
        )
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    stack = LocalStack()
    try:
        one_run(0)
        samples = [one_run(seed) for seed in range(1, runs + 1)]
    finally:
        stack.stop()
    publish(MODULE, arguments, started, report(samples, runs))


if __name__ == "__main__":
    main()
