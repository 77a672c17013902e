"""How fast the local stack answers, and whether it stays fast as its table grows.

What is measured, through the local front (`python -m local`, started on free loopback ports as the
e2e tier does), by 8 clients at once, each a signed-in user with a requests session of its own:
- create: POST /v1/notes;
- get: GET /v1/notes/{id} of one of the client's notes;
- push of 10: POST /v1/sync editing the client's 10 notes (a new title each, on current versions);
- pull: GET /v1/sync from the client's cursor (the note it just created and the 10 edits);
- list: GET /v1/notes?limit=10;
and, in the same phase and with the same 8-way concurrency, GetItem of a note sent straight to moto
with boto3 (what a GET costs without HTTP, the authorizer and the function).
Each client runs N rounds of the five requests (N from --runs), so each figure is over 8 x N
requests. Two phases: first with the table holding the clients' own notes (80, plus the notes the
creates add as the phase runs), then after 10,000 notes of 100 other users were written into the
table straight through moto (BatchWriteItem of the items notes_core itself writes). Ratios compare
the second phase's p50 with the first's, and the front's GET with the direct GetItem.

Start-up: the time from starting `python -m local` to the first answer of GET /v1/openapi.json,
three times, with the virtualenvs in place (what `make run` does once they exist).

Figures are printed and written to bench/results/local_latency.txt; nothing is asserted.

    python -m bench.local_latency [--runs N]
"""

import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

from bench.results_file import parse_runs, publish
from local.functions import use_layer_and_functions_path
from tests.support.local_process import LocalProcess

MODULE = "bench.local_latency"
DEFAULT_RUNS = 25
MIN_RUNS = 5
CLIENTS = 8
NOTES_PER_CLIENT = 10
OTHER_USERS = 100
OTHER_NOTES = 10_000
STARTS = 3
PASSWORD = "Correct-Horse-1"
OPERATIONS = ("create", "get", "push of 10", "pull", "list", "GetItem direct")


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Client:
    """A signed-in user with 10 notes, and its own HTTP session and moto client."""

    def __init__(self, stack: LocalProcess) -> None:
        self.base = stack.base_url
        self.http = requests.Session()
        email = f"latency-{uuid.uuid4().hex[:10]}@example.com"
        self.call("POST", "/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "full_name": "Bench"})
        self.call("POST", "/v1/auth/confirm", json={"email": email, "code": "1"})
        tokens = self.call("POST", "/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
        self.http.headers["authorization"] = f"Bearer {tokens['access_token']}"
        self.notes: dict[str, int] = {}  # id -> version
        changes = [
            {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": f"n{i}", "content": "c"}
            for i in range(NOTES_PER_CLIENT)
        ]
        for result in self.call("POST", "/v1/sync", json={"changes": changes})["results"]:
            self.notes[result["id"]] = result["note"]["version"]
        self.cursor = self._pull_to_end()
        aws = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        self.dynamodb: Any = aws.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.moto_port}")
        self.user_id = self.call("GET", "/v1/account")["user_id"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.http.request(method, self.base + path, timeout=60, **kwargs)
        if not reply.ok:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.content else None

    def _pull_to_end(self, cursor: str | None = None) -> str:
        while True:
            page = self.call("GET", "/v1/sync", params={"cursor": cursor} if cursor else {})
            cursor = str(page["cursor"])
            if not page["has_more"]:
                return cursor

    def round(self, table: str, timings: dict[str, list[float]]) -> None:
        """One of each request, timed."""
        note_id = next(iter(self.notes))
        edits = [
            {"op": "upsert", "id": note, "base_version": version, "title": uuid.uuid4().hex[:8]}
            for note, version in self.notes.items()
        ]
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("create", lambda: self.call("POST", "/v1/notes", json={"title": "t", "content": "c"})),
            ("get", lambda: self.call("GET", f"/v1/notes/{note_id}")),
            ("push of 10", lambda: self.call("POST", "/v1/sync", json={"changes": edits})),
            ("pull", lambda: self.call("GET", "/v1/sync", params={"cursor": self.cursor})),
            ("list", lambda: self.call("GET", "/v1/notes", params={"limit": "10"})),
            (
                "GetItem direct",
                lambda: self.dynamodb.get_item(
                    TableName=table,
                    Key={"user_id": {"S": self.user_id}, "id": {"S": note_id}},
                    ConsistentRead=True,
                ),
            ),
        ]
        for name, step in steps:
            started = time.perf_counter()
            answer = step()
            timings[name].append(time.perf_counter() - started)
            if name == "push of 10":
                for result in answer["results"]:
                    if result["status"] != "applied":
                        raise RuntimeError(f"push: {result}")
                    self.notes[result["id"]] = result["note"]["version"]
            elif name == "pull":
                if len(answer["changes"]) != NOTES_PER_CLIENT + 1:  # the note created, then the edits
                    raise RuntimeError(f"pull: {len(answer['changes'])} changes, expected {NOTES_PER_CLIENT + 1}")
                self.cursor = answer["cursor"]


def run_phase(clients: Sequence[Client], table: str, runs: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in OPERATIONS}
    lock = threading.Lock()

    def client_runs(client: Client) -> None:
        own: dict[str, list[float]] = {name: [] for name in OPERATIONS}
        for _ in range(runs):
            client.round(table, own)
        with lock:
            for name, samples in own.items():
                timings[name] += samples

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(client_runs, clients))
    return timings


def fill(dynamodb: Any, table: str) -> float:
    """Write 10,000 notes of 100 other users straight into the table; the seconds it took."""
    os.environ["TABLE_NAME"] = table  # notes_core reads its configuration at import
    use_layer_and_functions_path()
    from notes_core.data.table import note_item
    from notes_core.domain.note import new_note, now_rfc3339

    started = time.perf_counter()
    now = now_rfc3339()
    items = [
        note_item(new_note(f"other-{user:03d}", str(uuid.uuid4()), f"note {seq}", "x" * 200, seq, now))
        for user in range(OTHER_USERS)
        for seq in range(1, OTHER_NOTES // OTHER_USERS + 1)
    ]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while batch:
            batch = dynamodb.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {}).get(table, [])
    return time.perf_counter() - started


def first_answer_seconds() -> float:
    """From starting `python -m local` to the first answer of GET /v1/openapi.json."""
    started = time.perf_counter()
    stack = LocalProcess()  # returns once the stack prints that it serves
    try:
        requests.get(stack.base_url + "/v1/openapi.json", timeout=30).raise_for_status()
        return time.perf_counter() - started
    finally:
        stack.stop()


def report(
    before: dict[str, list[float]], after: dict[str, list[float]], fill_seconds: float, starts: list[float], runs: int
) -> str:
    def p50(samples: Sequence[float]) -> float:
        return statistics.median(samples) * 1000

    def p99(samples: Sequence[float]) -> float:
        return percentile(samples, 0.99) * 1000

    header = f"{'request':<16}{'p50 small':>11}{'p99 small':>11}{'p50 10k':>10}{'p99 10k':>10}{'10k/small':>11}"
    lines = [
        f"{CLIENTS} clients at once, {runs} rounds each ({CLIENTS * runs} of each request per phase); ms.",
        "small: the clients' own notes in the table; 10k: and 10,000 notes of 100 other users.",
        "",
        header,
        "-" * len(header),
    ]
    for name in OPERATIONS:
        ratio = p50(after[name]) / p50(before[name])
        lines.append(
            f"{name:<16}{p50(before[name]):>11.1f}{p99(before[name]):>11.1f}"
            f"{p50(after[name]):>10.1f}{p99(after[name]):>10.1f}{ratio:>10.2f}x"
        )
    lines += [
        "",
        "GET through the front / GetItem direct, p50: "
        f"small {p50(before['get']) / p50(before['GetItem direct']):.2f}x, "
        f"10k {p50(after['get']) / p50(after['GetItem direct']):.2f}x (target <= 2x)",
        "10k/small p50 of create, push, pull, list (target <= 1.5x): "
        + ", ".join(
            f"{name} {p50(after[name]) / p50(before[name]):.2f}x" for name in ("create", "push of 10", "pull", "list")
        ),
        f"writing the 10,000 notes straight into moto: {fill_seconds:.1f} s",
        f"first answer after starting `python -m local`: {', '.join(f'{s:.2f} s' for s in starts)}"
        f" (median {statistics.median(starts):.2f} s; target <= 3 s)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    starts = [first_answer_seconds() for _ in range(STARTS)]
    stack = LocalProcess()
    try:
        aws = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        dynamodb: Any = aws.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.moto_port}")
        (table,) = dynamodb.list_tables()["TableNames"]
        print("signing up the clients ...", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = list(pool.map(lambda _: Client(stack), range(CLIENTS)))
        print("phase 1: small table ...", file=sys.stderr, flush=True)
        before = run_phase(clients, table, runs)
        print("writing 10,000 notes ...", file=sys.stderr, flush=True)
        fill_seconds = fill(dynamodb, table)
        print("phase 2: 10,000 more notes ...", file=sys.stderr, flush=True)
        after = run_phase(clients, table, runs)
    finally:
        stack.stop()
    publish(MODULE, arguments, started, report(before, after, fill_seconds, starts, runs))


if __name__ == "__main__":
    main()
