"""Invariant 1: a reader pulling while several writers write never misses a change and never
gets one twice once past it. Many rounds of real threads against moto (which serialises
requests, as DynamoDB serialises conflicting transactions)."""

import random
import threading
import time
import uuid
from typing import Any

from notes_core.contract.bodies.notes import CreateNoteRequest, PushRequest
from notes_core.data import table
from notes_core.domain.caller import Caller
from notes_core.usecases import notes, sync

WRITERS = 3
WRITES_PER_WRITER = 15
ROUNDS = 4


def _writer(caller: Caller, seed: int, failures: list[BaseException]) -> None:
    rng = random.Random(seed)
    mine: dict[str, int] = {}  # note id -> version
    try:
        for _ in range(WRITES_PER_WRITER):
            if not mine or rng.random() < 0.4:
                note, _ = notes.create_note(caller, CreateNoteRequest(title="t", content=str(rng.random())))
                mine[note.id] = note.version
                continue
            note_id = rng.choice(sorted(mine))
            change: dict[str, Any]
            if rng.random() < 0.2:
                change = {"op": "delete", "id": note_id, "base_version": None}
            else:
                change = {"op": "upsert", "id": note_id, "base_version": mine[note_id], "content": str(rng.random())}
            (result,) = sync.push(caller, PushRequest(changes=[change])).results
            assert result.status == "applied"
            assert result.note is not None
            if result.note.deleted:
                del mine[note_id]
            else:
                mine[note_id] = result.note.version
    except BaseException as exc:  # reported by the test thread
        failures.append(exc)


def _pull_until_done(
    caller: Caller, writers_done: threading.Event, seen: dict[str, Any], received: list[tuple[str, int]]
) -> None:
    cursor = None
    while True:
        finished = writers_done.is_set()  # read before pulling: a pull after it sees every write
        while True:
            page = sync.pull(caller, cursor, limit=7)
            for change in page.changes:
                seen[change.id] = (change.version, change.deleted)
                received.append((change.id, change.version))
            cursor = page.cursor
            if not page.has_more:
                break
        if finished:
            return
        time.sleep(0.001)


def test_a_reader_never_misses_a_change_nor_sees_one_twice() -> None:
    for round_number in range(ROUNDS):
        # Given one account, several writers and one reader, all at once
        user_id = str(uuid.uuid4())
        caller = Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")
        failures: list[BaseException] = []
        writers = [
            threading.Thread(target=_writer, args=(caller, round_number * 100 + n, failures)) for n in range(WRITERS)
        ]
        writers_done = threading.Event()
        seen: dict[str, Any] = {}
        received: list[tuple[str, int]] = []
        reader = threading.Thread(target=_pull_until_done, args=(caller, writers_done, seen, received))

        # When they run
        reader.start()
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        writers_done.set()
        reader.join()

        # Then the reader's view is exactly the server's: every note's last version, deletions included
        assert not failures, failures
        server: dict[str, Any] = {}
        cursor = None
        while True:
            page = sync.pull(caller, cursor, limit=500)
            server.update({change.id: (change.version, change.deleted) for change in page.changes})
            cursor = page.cursor
            if not page.has_more:
                break
        assert seen == server
        assert len(received) == len(set(received)), "a change was delivered twice"
        assert len(server) > WRITERS


def test_sequence_numbers_never_repeat_under_concurrent_writes() -> None:
    # Given many concurrent creators on one account
    user_id = str(uuid.uuid4())
    caller = Caller(user_id=user_id, username=user_id, issued_at=int(time.time()), access_token="")

    def create_many() -> None:
        for _ in range(10):
            notes.create_note(caller, CreateNoteRequest(title="t", content="c"))

    threads = [threading.Thread(target=create_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then the feed holds every note once, one after another, with no gap or repeat
    changed, _, _ = table.query_changes(user_id, 0, 100, int(time.time()))
    assert [note.seq for note in changed] == list(range(1, 41))
