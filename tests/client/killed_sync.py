"""`python -m tests.client.killed_sync API PROFILE STEP`: one `Client.sync()` of the profile that
SIGKILLs its own process at its STEP-th step, a step being a transaction about to commit a write
(killed before its COMMIT: rolled back) or an answer the server sent (killed once it is read: the
server acted, the device never heard). Exits 0 when the sync ends before that step.

The counting is the test's own instrument, from outside the library: the store's SQLite connection
is traced (`set_trace_callback`) and the HTTP transport is wrapped."""

import os
import signal
import sqlite3
import sys

import httpx

from notes_sync_client import Client


class Steps:
    def __init__(self, kill_at: int) -> None:
        self.kill_at, self.count = kill_at, 0

    def step(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


class KillingTransport(httpx.HTTPTransport):
    def __init__(self, steps: Steps) -> None:
        super().__init__()
        self.steps = steps

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.steps.step()
        return response


def trace_commits(connection: sqlite3.Connection, steps: Steps) -> None:
    written = connection.total_changes

    def traced(statement: str) -> None:
        nonlocal written
        if statement.strip().upper().startswith("COMMIT") and connection.total_changes != written:
            written = connection.total_changes
            steps.step()

    connection.set_trace_callback(traced)


def main(api_url: str, profile: str, kill_at: int) -> int:
    steps = Steps(kill_at)
    with Client(api_url, profile, transport=KillingTransport(steps)) as client:
        trace_commits(client.store.connection, steps)
        client.sync()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
