"""Three devices of one user, each a `notes_sync_client.Client` with a profile of its own, edit
offline and sync at random over HTTP against the local stack, and some push answers are lost
after the server acted (the transport drops them). Device 0 gives up on a lost answer (its push
stays in flight and later edits stack on top of it); the others retry at once (a replay).

Every word a device types is a token used once in the whole run. After a final sync of every
device:
- every device holds exactly the server's notes (same ids, versions, titles, texts, trash);
- no token appears twice in a note (no edit doubled, by a replay or a merge);
- every token typed is in a note's text or in one of its revisions, unless its note was deleted
  (no edit lost: a conflict resolved with the device's text leaves the other text as a revision).

Each scenario is 40 random steps from a seeded generator (the seed is the test's id, and a failure
prints its steps), so each of the few scenarios the time allows is a whole program. `make test`
runs NOTES_SYNC_CLIENT_EXAMPLES (12), the same every run; `make soak` runs more, from a new seed.
"""

import itertools
import os
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from notes_sync_client import Backoff, Client, Unavailable
from tests.client.conftest import PASSWORD
from tests.support.local_process import LocalProcess

DEVICES = 3
EXAMPLES = int(os.environ.get("NOTES_SYNC_CLIENT_EXAMPLES", "12"))
# The same scenarios every run; `make soak` starts from a new seed.
FIRST_SEED = int(os.environ.get("NOTES_SYNC_CLIENT_SEED", "0"))
STEPS = 40


class LossyTransport(httpx.BaseTransport):
    """HTTP that, when told to, drops the answer to the next push after the server acted on it."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose_next_push = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.lose_next_push and request.method == "POST" and request.url.path == "/v1/sync":
            self.lose_next_push = False
            response.read()
            response.close()
            raise httpx.ReadError("the answer was lost on its way back", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class ClientDevices:
    def __init__(self, stack: LocalProcess, folder: Path) -> None:
        self.stack = stack
        self.transports = [LossyTransport() for _ in range(DEVICES)]
        self.devices = [
            Client(
                self.stack.base_url,
                folder / f"device-{number}",
                transport=self.transports[number],
                backoff=Backoff(max_attempts=1 if number == 0 else 3, sleep=lambda _: None),
            )
            for number in range(DEVICES)
        ]
        email = f"devices-{uuid.uuid4().hex[:12]}@example.com"
        self.devices[0].sign_up(email, PASSWORD, "Devices")
        self.devices[0].confirm(email, "123456")
        for device in self.devices:
            device.sign_in(email, PASSWORD)
        self.tokens = (f"w{number}" for number in itertools.count())
        self.typed: dict[str, str] = {}  # token -> the note it was typed in
        self.deleted: set[str] = set()

    def _pick(self, device: int, which: int) -> str | None:
        notes = self.devices[device].notes(trashed=None)
        return notes[which % len(notes)].id if notes else None

    def three_notes_on_every_device(self) -> None:
        for _ in range(3):
            self.create(0)
        for device in range(DEVICES):
            self.devices[device].sync()

    # ---------------------------------------------------------------- offline edits
    def create(self, device: int) -> None:
        title, content = next(self.tokens), next(self.tokens)
        note_id = self.devices[device].create(title, content)
        self.typed[content] = note_id

    def type_word(self, device: int, which: int, position: int) -> None:
        note_id = self._pick(device, which)
        if note_id is None:
            return
        note = self.devices[device].note(note_id)
        assert note is not None
        words = note.content.split(" ")
        token = next(self.tokens)
        words.insert(position % (len(words) + 1), token)
        self.devices[device].edit(note_id, content=" ".join(words))
        self.typed[token] = note_id

    def retitle(self, device: int, which: int) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].edit(note_id, title=next(self.tokens))

    def trash_or_restore(self, device: int, which: int, trashed: bool) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].edit(note_id, trashed=trashed)

    def delete(self, device: int, which: int) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].delete(note_id)
            self.deleted.add(note_id)

    # ---------------------------------------------------------------- sync
    def sync(self, device: int, answer_lost: bool) -> None:
        self.transports[device].lose_next_push = answer_lost
        try:
            self.devices[device].sync()
        except Unavailable:
            assert device == 0, "a device that retries lost its answer for good"
        self.transports[device].lose_next_push = False

    # ---------------------------------------------------------------- checks
    def teardown(self) -> None:
        try:
            self._converge()
        finally:
            self.close()

    def close(self) -> None:
        for device in self.devices:
            device.close()

    def _converge(self) -> None:
        for _ in range(3):
            for device in self.devices:
                device.sync()
        server = self._server_notes()
        for device in self.devices:
            assert device.store.outbox() == []
            mine = {n.id: (n.title, n.content, n.trashed, n.version) for n in device.notes(trashed=None)}
            assert mine == {n["id"]: (n["title"], n["content"], n["trashed"], n["version"]) for n in server}
        self._check_no_token_doubled(server)
        self._check_no_token_lost(server)

    def _server_notes(self) -> list[dict[str, Any]]:
        reader = self.devices[1]
        notes: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            page = reader.http.send(
                "GET", "/v1/sync", token=reader.access_token(), params={"cursor": cursor} if cursor else None
            ).body
            notes |= {note["id"]: note for note in page["changes"]}
            cursor = page["cursor"]
            if not page["has_more"]:
                return [note for note in notes.values() if not note["deleted"]]

    @staticmethod
    def _check_no_token_doubled(server: list[dict[str, Any]]) -> None:
        for note in server:
            words = [word for word in note["content"].split(" ") if word]
            assert len(words) == len(set(words)), f"a word doubled: {note}"

    def _check_no_token_lost(self, server: list[dict[str, Any]]) -> None:
        texts = [note["content"] for note in server]
        reader = self.devices[1]
        for note in server:
            texts += [reader.revision(note["id"], r["version"])["content"] for r in reader.history(note["id"])]
        found = {word for text in texts for word in text.split(" ")}
        lost = {token for token, note_id in self.typed.items() if token not in found and note_id not in self.deleted}
        assert not lost, f"typed, never deleted, and found nowhere: {sorted(lost)}"


def _step(devices: ClientDevices, chance: random.Random, log: list[str]) -> None:
    device, which, other = chance.randrange(DEVICES), chance.randrange(10**6), chance.randrange(10**6)
    action = chance.choices(ACTIONS, WEIGHTS)[0]
    log.append(f"{action} device={device} which={which} other={other}")
    match action:
        case "create":
            devices.create(device)
        case "type_word":
            devices.type_word(device, which, other)
        case "retitle":
            devices.retitle(device, which)
        case "trash_or_restore":
            devices.trash_or_restore(device, which, other % 2 == 0)
        case "delete":
            devices.delete(device, which)
        case "sync":
            devices.sync(device, answer_lost=other % 3 == 0)


ACTIONS = ("create", "type_word", "retitle", "trash_or_restore", "delete", "sync")
WEIGHTS = (2, 8, 2, 2, 1, 6)


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + EXAMPLES))
def test_client_devices_converge_without_losing_or_doubling_an_edit(
    local_stack: LocalProcess, tmp_path: Path, seed: int
) -> None:
    # Given three devices of one user, three notes on each
    chance = random.Random(seed)
    devices = ClientDevices(local_stack, tmp_path)
    devices.three_notes_on_every_device()
    log: list[str] = []

    # When they edit and sync at random, some answers lost
    try:
        for _ in range(STEPS):
            _step(devices, chance, log)
    except BaseException:
        devices.close()
        raise

    # Then (teardown) they converge, with every edit once
    try:
        devices.teardown()
    except AssertionError as failed:
        raise AssertionError(f"seed {seed}, steps:\n" + "\n".join(log)) from failed
