"""How soon another device hears of a change: the time from a push's answer to the poke on a socket.

Through the local stack (`python -m local` on free loopback ports, as the e2e tier starts it): the
HTTP front, the table's stream read as Lambda's event source mapping reads it (four polls a second),
the poke function, the @connections endpoint and the WebSocket API. Each sample is the time from the
moment device A's `POST /v1/sync` (one change, sent after a pause of random length up to half a
second) answered to the moment a socket of another device of the user received
`{"type": "changes", "seq": N}` with that push's N (a poke may come before the answer is read: then
the figure is negative). Three settings:
- 2 devices: the user's device A pushes, its device B has a socket open;
- 50 devices: A pushes, 49 other devices of the user have a socket each: every one of them is a
  sample (and "last of 49" is the time until the slowest of a push's pokes);
- 100 users: 100 users are connected (a socket each); one of them, at random, pushes from another
  device (the pushes come one after the other).
Beside them, the average wait polling would give: a change happens at a uniformly random moment of
the interval, so a device that pulls every T seconds hears of it T/2 later on average.

Figures are printed and written to bench/results/poke_latency.txt; nothing is asserted.

    python -m bench.poke_latency [--runs N]
"""

import json
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bench.results_file import parse_runs, publish
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess

MODULE = "bench.poke_latency"
DEFAULT_RUNS = 40
MIN_RUNS = 5
PASSWORD = "Correct-Horse-1"
POKE_TIMEOUT_SECONDS = 10.0
POLLING_INTERVALS_SECONDS = (30, 300)
# A pause of random length before each push: pushes made right after the previous poke would all
# fall at the same point of the stream poller's 250 ms cycle.
MAX_PAUSE_SECONDS = 0.5


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class User:
    """A signed-in user of the stack, pushing as device A."""

    def __init__(self, stack: LocalProcess) -> None:
        self.stack, self.http = stack, requests.Session()
        email = f"poke-{uuid.uuid4().hex[:10]}@example.com"
        self._call("POST", "/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "full_name": "Bench"})
        self._call("POST", "/v1/auth/confirm", json={"email": email, "code": "1"})
        self.token = self._call("POST", "/v1/auth/sign-in", json={"email": email, "password": PASSWORD})["access_token"]
        self.http.headers["authorization"] = f"Bearer {self.token}"
        self.seq = 0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, self.stack.base_url + path, timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def push(self) -> tuple[int, float]:
        """One change from device A, after a random pause: the account's sequence after it, and
        when the answer came."""
        time.sleep(random.uniform(0, MAX_PAUSE_SECONDS))
        change = {"op": "create", "id": str(uuid.uuid4()), "title": "bench", "content": "poke"}
        self._call("POST", "/v1/sync", json={"device_id": "device-a", "changes": [change]})
        answered = time.monotonic()
        self.seq += 1
        return self.seq, answered


class Device:
    """A socket of one of the user's devices, read by a thread of its own: when each seq arrived."""

    def __init__(self, stack: LocalProcess, user: User, name: str) -> None:
        self.arrivals: dict[int, float] = {}
        self._arrived = threading.Condition()
        self.socket = self._connect(stack, user, name)
        threading.Thread(target=self._read, daemon=True).start()

    @staticmethod
    def _connect(stack: LocalProcess, user: User, name: str) -> ClientConnection:
        for _ in range(50):  # the stage's throttle (429) lets a burst of connections through, then 100 a second
            try:
                return connect(
                    f"{stack.websocket_url}?device_id={name}",
                    additional_headers={"Authorization": f"Bearer {user.token}"},
                    open_timeout=30,
                )
            except InvalidStatus as refused:
                if refused.response.status_code != 429:
                    raise
                time.sleep(0.1)
        raise RuntimeError("throttled for five seconds")

    def _read(self) -> None:
        try:
            for message in self.socket:
                arrived = time.monotonic()
                poke = json.loads(message)
                with self._arrived:
                    self.arrivals[int(poke["seq"])] = arrived
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass

    def arrival(self, seq: int) -> float:
        """When the poke naming `seq` (or a later one: pokes of one batch are one) arrived."""
        deadline = time.monotonic() + POKE_TIMEOUT_SECONDS
        with self._arrived:
            while not any(got >= seq for got in self.arrivals):
                if not self._arrived.wait(deadline - time.monotonic()):
                    raise TimeoutError(f"no poke for seq {seq}")
            return min(at for got, at in self.arrivals.items() if got >= seq)


def one_user(stack: LocalProcess, devices: int, runs: int) -> tuple[list[float], list[float]]:
    """Every poke's delay, and each push's slowest, for one user with `devices` devices (A pushes)."""
    user = User(stack)
    listeners = [Device(stack, user, f"device-{n}") for n in range(1, devices)]
    delays, slowest = [], []
    try:
        for _ in range(runs):
            seq, answered = user.push()
            arrivals = [listener.arrival(seq) - answered for listener in listeners]
            delays += arrivals
            slowest.append(max(arrivals))
    finally:
        for listener in listeners:
            listener.socket.close()
    return delays, slowest


def many_users(stack: LocalProcess, users: int, runs: int) -> list[float]:
    """The poke's delay when one of `users` connected users (one socket each) pushes from another device."""
    population = [User(stack) for _ in range(users)]
    listeners = [Device(stack, user, "device-b") for user in population]
    delays = []
    try:
        for _ in range(runs):
            chosen = random.randrange(users)
            seq, answered = population[chosen].push()
            delays.append(listeners[chosen].arrival(seq) - answered)
    finally:
        for listener in listeners:
            listener.socket.close()
    return delays


def _row(name: str, samples: Sequence[float]) -> str:
    p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
    return f"{name:<34}{len(samples):>8}{p50:>10.0f}{p99:>10.0f}{max(samples) * 1000:>10.0f}\n"


def report(rows: Sequence[tuple[str, Sequence[float]]], runs: int) -> str:
    text = (
        f"Push answered -> poke received on another device, {runs} pushes per setting (ms)\n\n"
        f"{'setting':<34}{'pokes':>8}{'p50':>10}{'p99':>10}{'max':>10}\n"
    )
    text += "".join(_row(name, samples) for name, samples in rows)
    text += "\nPolling instead (a change at a random moment waits half the interval on average):\n"
    for interval in POLLING_INTERVALS_SECONDS:
        text += f"  every {interval:>3} s: average wait {interval / 2 * 1000:>8.0f} ms\n"
    all_pokes = [sample for name, samples in rows if not name.startswith("50 devices, last") for sample in samples]
    text += (
        f"\nEvery poke measured: p50 {statistics.median(all_pokes) * 1000:.0f} ms, "
        f"p99 {percentile(all_pokes, 0.99) * 1000:.0f} ms (goal on this machine: p99 under 1000 ms)\n"
    )
    return text


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    stack = LocalProcess(SHARED_SOURCE_LIMITS)
    try:
        two, _ = one_user(stack, 2, runs)
        fifty, fifty_slowest = one_user(stack, 50, runs)
        hundred = many_users(stack, 100, runs)
    finally:
        stack.stop()
    rows = [
        ("2 devices of one user", two),
        ("50 devices of one user (each)", fifty),
        ("50 devices, last of 49 per push", fifty_slowest),
        ("100 users connected", hundred),
    ]
    publish(MODULE, arguments, started, report(rows, runs))


if __name__ == "__main__":
    main()
