"""What a sync pull and push cost: DynamoDB requests, items read and time, on a small and a large account.

What is measured, at the level of notes_core (no HTTP, no Lambda, no Cognito: a Caller is built
directly, with a fresh uuid for its user id):
1. Pull of 10 new changes from a cursor at the end of the feed (notes_core.usecases.sync.pull, default
   limit 200), on an account of 10 notes and on one of 10,000. Each account is seeded with
   creates through notes_core.usecases.sync.push, in pushes of 49, and read to the end of its feed
   (pages of 500) for its cursor. Each run then pushes edits of 10 existing notes (a new title,
   based on the current version; the large account edits the next 10 of its notes each run) and
   measures the pull from the cursor; the next run starts from the cursor that pull returned.
   One unrecorded warm-up run precedes the N recorded ones. The 10-note account is measured twice:
   before the 10,000-note account is seeded (the figures the ratios use) and again after, in a
   table ten thousand items larger, which tells what in the time comes from the table's size
   rather than the account's.
2. Push of 25 edits of existing notes (a fresh account of 25 notes, every note edited each run,
   N runs after a warm-up), and one push each of 25, 49 and 99 creates, each on a fresh account.
   Every create and edit of text keeps a revision in the same transaction, so a note takes two of
   a transaction's 100 items (the user's counter item takes one): 49 changes fit one transaction,
   99 take three.
3. Initial sync of the 10,000-note account: pages of 500 from no cursor until has_more is false,
   once (this is how its cursor is taken for 1).

How: this process starts the local stack (moto single-threaded on 127.0.0.1, the template's
resources provisioned, the functions' environment set), then imports notes_core. Requests are
counted with botocore's event hooks on notes_core's own DynamoDB client (tests.support.calls:
requests by operation, retries included; items read = Query's ScannedCount, items returned by
GetItem and BatchGetItem); time is time.perf_counter around the notes_core call alone. Pulls are
checked to return exactly the 10 edited notes, at their new versions, with has_more false, and
every push change to be applied; timings are not asserted. Figures are printed, and written to
bench/results/sync_cost.txt.

Times are moto's, not DynamoDB's; request counts and items read are what DynamoDB would be
asked for and would read. The local stack makes moto's costs those of the request, as DynamoDB's
are (local/moto_dynamodb.py: a Query reads its partition, a transaction backs up only the items it
names), so the 10-note account costs the same in a table ten thousand notes larger. Progress goes
to stderr.

    python -m bench.sync_cost [--runs N]
"""

import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from bench.results_file import parse_runs, publish, table
from local import template as tpl
from local.stack import LocalStack
from tests.support.calls import Calls, counting

if TYPE_CHECKING:  # notes_core reads its configuration at import: imported once the stack is up
    from notes_core.contract.bodies.notes import PushReply
    from notes_core.domain.caller import Caller

ROOT = tpl.ROOT

MODULE = "bench.sync_cost"
DEFAULT_RUNS = 7
MIN_RUNS = 1
SMALL_ACCOUNT = 10
LARGE_ACCOUNT = 10_000
EDITS_PER_RUN = 10
PUSH_EDITS = 25
SEED_PUSH = 49  # creates per seeding push: with their revisions, one transaction with the counter item
CREATE_PUSHES = (25, 49, 99)
PULL_LIMIT = 200  # the pull route's default
SYNC_LIMIT = 500
PROGRESS_EVERY = 10  # seeding pushes


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- samples
@dataclass(frozen=True)
class Sample:
    operations: Counter[str]
    items_read: int
    changes: int
    seconds: float

    @classmethod
    def of(cls, calls: Calls, changes: int, seconds: float) -> "Sample":
        return cls(Counter(calls.operations), calls.items_read, changes, seconds)

    @property
    def requests(self) -> int:
        return sum(self.operations.values())


def spread(values: Sequence[int]) -> str:
    """'10' when every run agrees, '10-12' when not."""
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high}"


@dataclass
class Series:
    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    @property
    def fastest(self) -> float:
        return min(sample.seconds for sample in self.samples)

    @property
    def slowest(self) -> float:
        return max(sample.seconds for sample in self.samples)

    def median_of(self, value: Callable[[Sample], int]) -> float:
        return statistics.median(value(sample) for sample in self.samples)

    @property
    def operations(self) -> str:
        names = sorted({name for sample in self.samples for name in sample.operations})
        return " + ".join(f"{name} {spread([sample.operations[name] for sample in self.samples])}" for name in names)

    @property
    def requests(self) -> str:
        return spread([sample.requests for sample in self.samples])

    @property
    def items_read(self) -> str:
        return spread([sample.items_read for sample in self.samples])

    @property
    def changes(self) -> str:
        return spread([sample.changes for sample in self.samples])


def dynamodb() -> Any:
    """notes_core's own DynamoDB client: the one whose requests are counted."""
    from notes_core.data import table

    return table._dynamodb()


# ---------------------------------------------------------------- accounts
@dataclass
class Account:
    """A user of the bench: its notes' current versions, in creation order, and its feed cursor."""

    caller: "Caller"
    versions: dict[str, int] = field(default_factory=dict)
    cursor: str | None = None
    next_edit: int = 0  # index of the next note to edit

    @classmethod
    def new(cls) -> "Account":
        from notes_core.domain.caller import Caller

        user_id = str(uuid.uuid4())
        return cls(
            Caller(user_id=user_id, username=f"bench-{user_id[:8]}", issued_at=int(time.time()), access_token="")
        )

    def push(self, changes: list[dict[str, Any]]) -> tuple["PushReply", Calls, float]:
        """One sync push, counted and timed; every change must be applied."""
        from notes_core.contract.bodies.notes import PushRequest
        from notes_core.usecases import sync

        request = PushRequest(changes=changes)
        with counting(dynamodb()) as calls:
            started = time.perf_counter()
            reply = sync.push(self.caller, request)
            seconds = time.perf_counter() - started
        for result in reply.results:
            if result.status != "applied" or result.note is None:
                raise RuntimeError(f"push: {result.id} was not applied: {msgspec.json.encode(result).decode()}")
            self.versions[result.note.id] = result.note.version
        return reply, calls, seconds

    def creates(self, count: int) -> list[dict[str, Any]]:
        first = len(self.versions)
        return [
            {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": f"note {n}", "content": "text"}
            for n in range(first, first + count)
        ]

    def edits(self, count: int) -> list[dict[str, Any]]:
        """Edits of the next `count` notes (round the account), each on its current version."""
        ids = list(self.versions)
        chosen = [ids[(self.next_edit + n) % len(ids)] for n in range(count)]
        self.next_edit = (self.next_edit + count) % len(ids)
        return [
            {"op": "upsert", "id": note_id, "base_version": self.versions[note_id], "title": f"edit {uuid.uuid4().hex}"}
            for note_id in chosen
        ]

    def seed(self, count: int, label: str) -> list[float]:
        """`count` notes created in pushes of SEED_PUSH; the time of each push."""
        times: list[float] = []
        pushes = -(-count // SEED_PUSH)
        for number in range(pushes):
            _, _, seconds = self.push(self.creates(min(SEED_PUSH, count - len(self.versions))))
            times.append(seconds)
            if (number + 1) % PROGRESS_EVERY == 0 or number + 1 == pushes:
                progress(
                    f"{label}: seeded {len(self.versions):,} notes in {number + 1} pushes "
                    f"({sum(times):.1f} s; last push {seconds:.2f} s)"
                )
        return times


# ---------------------------------------------------------------- pulls
@dataclass(frozen=True)
class FullSync:
    pages: int
    operations: Counter[str]
    items_read: int
    changes: int
    seconds: float


def full_sync(account: Account, limit: int) -> FullSync:
    """Pull from no cursor until has_more is false; the account's cursor ends at the end of its feed."""
    from notes_core.usecases import sync

    pages = changes = 0
    cursor: str | None = None
    seen: set[str] = set()
    with counting(dynamodb()) as calls:
        started = time.perf_counter()
        while True:
            reply = sync.pull(account.caller, cursor, limit)
            pages += 1
            changes += len(reply.changes)
            seen.update(change.id for change in reply.changes)
            cursor = reply.cursor
            if not reply.has_more:
                break
        seconds = time.perf_counter() - started
    if seen != set(account.versions) or changes != len(account.versions):
        raise RuntimeError(
            f"initial sync: {changes} changes, {len(seen)} notes; the account has {len(account.versions)}"
        )
    account.cursor = cursor
    return FullSync(pages, Counter(calls.operations), calls.items_read, changes, seconds)


def pull_after_edits(account: Account) -> Sample:
    """Push edits of EDITS_PER_RUN notes, then one pull from the account's cursor, counted and timed."""
    from notes_core.usecases import sync

    reply, _, _ = account.push(account.edits(EDITS_PER_RUN))
    expected = {result.note.id: result.note.version for result in reply.results if result.note is not None}
    with counting(dynamodb()) as calls:
        started = time.perf_counter()
        pulled = sync.pull(account.caller, account.cursor, PULL_LIMIT)
        seconds = time.perf_counter() - started
    got = {change.id: change.version for change in pulled.changes}
    if got != expected or len(pulled.changes) != len(expected) or pulled.has_more:
        raise RuntimeError(f"pull: expected {expected} without more, got {got} (has_more {pulled.has_more})")
    account.cursor = pulled.cursor
    return Sample.of(calls, len(pulled.changes), seconds)


def pull_series(label: str, account: Account, runs: int) -> Series:
    progress(f"{label}: pulls of {EDITS_PER_RUN} changes, {runs} runs after a warm-up ...")
    pull_after_edits(account)
    return Series(label, [pull_after_edits(account) for _ in range(runs)])


# ---------------------------------------------------------------- pushes
def push_series(label: str, account: Account, count: int, runs: int) -> Series:
    progress(f"{label}: {runs} runs after a warm-up ...")
    account.push(account.edits(count))
    series = Series(label)
    for _ in range(runs):
        reply, calls, seconds = account.push(account.edits(count))
        series.samples.append(Sample.of(calls, len(reply.results), seconds))
    return series


def push_once(label: str, count: int) -> Series:
    """One push of `count` creates on a fresh account."""
    progress(f"{label} ...")
    account = Account.new()
    reply, calls, seconds = account.push(account.creates(count))
    return Series(label, [Sample.of(calls, len(reply.results), seconds)])


def table_items() -> int:
    """Items in the whole table (every user's), outside any measurement."""
    client = dynamodb()
    total = 0
    request: dict[str, Any] = {"TableName": os.environ["TABLE_NAME"], "Select": "COUNT"}
    while True:
        reply = client.scan(**request)
        total += int(reply["Count"])
        if "LastEvaluatedKey" not in reply:
            return total
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


# ---------------------------------------------------------------- report
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(large: float, small: float) -> str:
    return f"{large / small:.2f}x" if small else "n/a"


@dataclass(frozen=True)
class Results:
    runs: int
    small: Series
    large: Series
    small_in_large_table: Series
    table_items_before: int
    table_items_after: int
    pushes: list[Series]
    sync: FullSync
    seed_times: list[float]


def report(results: Results) -> str:
    small, large, small_late = results.small, results.large, results.small_in_large_table
    pull_rows = [
        (
            series.label,
            f"{items:,}",
            series.operations,
            series.items_read,
            series.changes,
            ms(series.median),
            ms(series.fastest),
            ms(series.slowest),
        )
        for series, items in (
            (small, results.table_items_before),
            (large, results.table_items_after),
            (small_late, results.table_items_after),
        )
    ]
    push_rows = [
        (
            series.label,
            series.operations,
            series.items_read,
            series.changes,
            ms(series.median),
            ms(series.fastest),
            ms(series.slowest),
        )
        for series in results.pushes
    ]
    sync = results.sync
    seed = results.seed_times
    lines = [
        f"1. Pull of {EDITS_PER_RUN} new changes from the cursor (limit {PULL_LIMIT}) after a push of "
        f"{EDITS_PER_RUN} edits; {results.runs} runs each after one warm-up run.",
        "   requests = DynamoDB requests by operation per pull; items read = Query ScannedCount; "
        "table items = every user's items in the table when measured.",
        "",
        *table(
            ("account", "table items", "requests", "items read", "changes", "median ms", "min ms", "max ms"),
            pull_rows,
        ),
        "",
        f"ratio {LARGE_ACCOUNT:,}-note / {SMALL_ACCOUNT}-note account (medians): "
        f"time {ratio(large.median, small.median)}, "
        f"requests {ratio(large.median_of(lambda s: s.requests), small.median_of(lambda s: s.requests))}, "
        f"items read {ratio(large.median_of(lambda s: s.items_read), small.median_of(lambda s: s.items_read))}",
        f"  time against the {SMALL_ACCOUNT}-note account measured in the same large table: "
        f"{ratio(large.median, small_late.median)}",
        f"  target: the {LARGE_ACCOUNT:,}-note pull costs the same requests and items read as the "
        f"{SMALL_ACCOUNT}-note one.",
        "",
        f"2. Pushes; {results.runs} runs after one warm-up for the edits, one run for the creates "
        "(each on a fresh account).",
        "   items read = items BatchGetItem returned (the counter item, once it exists, and the notes named).",
        "",
        *table(("push", "requests", "items read", "changes", "median ms", "min ms", "max ms"), push_rows),
        "",
        f"3. Initial sync of the {LARGE_ACCOUNT:,}-note account from no cursor, pages of {SYNC_LIMIT}, one run:",
        f"   pages {sync.pages}, requests {sum(sync.operations.values())} "
        f"({' + '.join(f'{name} {count}' for name, count in sorted(sync.operations.items()))}), "
        f"items read {sync.items_read:,}, changes {sync.changes:,}, time {sync.seconds:.2f} s",
        "",
        f"Seeding the {LARGE_ACCOUNT:,}-note account: {len(seed)} pushes of up to {SEED_PUSH} creates, "
        f"{sum(seed):.1f} s; first push {ms(seed[0])} ms, last {ms(seed[-1])} ms, "
        f"median {ms(statistics.median(seed))} ms.",
        "Times are moto's in-process server (single-threaded), not DynamoDB's: moto's Query still walks the whole",
        "partition (the 10,000-note account's notes and their revisions) for the keys its condition holds for,",
        "and sorts them all when there is no condition (the initial sync), where DynamoDB reads a page.",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def measure(runs: int) -> Results:
    # While the table is small: the 10-note account's pulls and the pushes.
    small_account = Account.new()
    small_account.seed(SMALL_ACCOUNT, f"{SMALL_ACCOUNT}-note account")
    full_sync(small_account, SYNC_LIMIT)
    table_items_before = table_items()
    small = pull_series(f"{SMALL_ACCOUNT} notes", small_account, runs)

    push_account = Account.new()
    push_account.seed(PUSH_EDITS, f"{PUSH_EDITS}-note account")
    pushes = [
        push_series(f"{PUSH_EDITS} edits ({PUSH_EDITS}-note account)", push_account, PUSH_EDITS, runs),
        *(push_once(f"{count} creates (new account)", count) for count in CREATE_PUSHES),
    ]

    # Then the large account, and the small one again in the now large table.
    large_account = Account.new()
    seed_times = large_account.seed(LARGE_ACCOUNT, f"{LARGE_ACCOUNT:,}-note account")
    progress(f"{LARGE_ACCOUNT:,}-note account: initial sync, pages of {SYNC_LIMIT} ...")
    sync = full_sync(large_account, SYNC_LIMIT)
    table_items_after = table_items()
    large = pull_series(f"{LARGE_ACCOUNT:,} notes", large_account, runs)
    small_late = pull_series(f"{SMALL_ACCOUNT} notes, again", small_account, runs)
    return Results(runs, small, large, small_late, table_items_before, table_items_after, pushes, sync, seed_times)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    stack = LocalStack()
    try:
        results = measure(runs)
    finally:
        stack.stop()
    text = report(results)
    publish(MODULE, arguments, started, text)


if __name__ == "__main__":
    main()
