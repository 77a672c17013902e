"""Three devices of one user, each the reference client (`notes_sync_client.Client`) with a profile
of its own, edit offline and sync, over HTTP into the local API front run in this process
(tests/support/front_transport.py: the routes, the JWT authorizer and the functions, on the shared
moto). Each example signs a new user up and starts with two notes on every device; then hypothesis
picks the steps: create a note, type a word into one, retitle it, trash or restore it, delete it,
sync. A sync may lose the answers of its pushes after the server acted: the device sends the same
push again, up to its three attempts, or gives up and leaves it in flight. And the app's process
may be killed in a sync, at its first or second request (the push, when there is one), either
before the request leaves or once the server acted, before the device reads the answer: the Client
is abandoned and a new one opened on the same profile, as a restarted app would. Conflicts are
resolved as the library does by default (the device's text on top of the server's version).

Every word typed is a token used once in the whole run. Checked:
- after every push the server answered (whether the device heard it or not): a conflict is
  grounded in another device's write since the change's base version (a device never conflicts
  with itself, even replaying after a lost answer or a restart);
- after every device syncs until a round pushes nothing (at most five rounds): every device holds
  exactly the server's notes (ids, versions, titles, texts, trash), and nothing waits in its outbox;
- no token appears twice in a note (no edit doubled, by a replay or a merge);
- every token typed is in a note's text or in one of its revisions, unless its note was deleted
  (no edit lost: a conflict resolved with the device's text leaves the other text as a revision).

`make test` runs NOTES_SYNC_CLIENT_PROPERTY_EXAMPLES (40) examples of 30 steps, the same every run
(the profiles of tests/property/conftest.py); `make soak` runs more, new ones each run.
"""

import contextlib
import itertools
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from notes_sync_client import Backoff, Client, Unavailable
from tests.support.api import PASSWORD
from tests.support.events import new_source_ip
from tests.support.front_transport import FrontTransport, local_api
from tests.support.stack import forget_user, shared_stack

DEVICES = 3
EXAMPLES = int(os.environ.get("NOTES_SYNC_CLIENT_PROPERTY_EXAMPLES", "40"))
ATTEMPTS = 3  # each call is sent at most this often (the device's Backoff), then the sync gives up
FINAL_ROUNDS = 5  # rounds of every device syncing, at most, until one pushes nothing
API_URL = "http://notes-sync.local"  # the transport never resolves it: the front is in this process
SHARED_NOTES = 2  # notes every device holds when the steps begin: few, so that edits meet


class ProcessKilled(BaseException):
    """The app's process dies where this is raised: nothing in it runs on, so nothing may catch it."""


class Pushes:
    """Every push the server answered, as the test reads it on the wire (even an answer the device
    never got): who wrote each version of each note, and conflicts a device had with itself. Only
    pushes write notes here, and one at a time, so the versions an answer shows past those seen
    before are its pusher's."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}  # note id -> the latest version an answer showed
        self.authors: dict[tuple[str, int], str] = {}
        self.self_conflicts: list[str] = []

    def answered(self, device: str, sent: dict[str, Any], answer: dict[str, Any]) -> None:
        pairs = list(zip(sent["changes"], answer["results"], strict=True))
        for _, result in pairs:
            note = result.get("note")
            if note is not None:
                for version in range(self.seen.get(note["id"], 0) + 1, note["version"] + 1):
                    self.authors[(note["id"], version)] = device
                self.seen[note["id"]] = max(self.seen.get(note["id"], 0), note["version"])
        for change, result in pairs:
            if result["status"] != "conflict" or result.get("note") is None:
                continue
            if result.get("conflict_reason") == "merge-budget":
                continue  # nothing conflicted: sent again alone
            since = range((change.get("base_version") or 0) + 1, result["note"]["version"] + 1)
            if not {self.authors.get((change["id"], version)) for version in since} - {device}:
                self.self_conflicts.append(f"{device}: {change} -> {result}")


class DeviceNetwork(FrontTransport):
    """A device's HTTP, as the test disturbs it. `lose`: the answers of the next pushes are lost
    after the server acted (a read error). `kill_at`: the process dies at that request from now
    (counting from 1), before it leaves (`kill_before`) or once the server acted on it."""

    def __init__(self, name: str, source_ip: str, pushes: Pushes) -> None:
        super().__init__(local_api(), source_ip)
        self.name, self.pushes = name, pushes
        self.lose = 0
        self.kill_at: int | None = None
        self.kill_before = False
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        killed = self.kill_at == self.requests
        if killed and self.kill_before:
            raise ProcessKilled
        response = super().handle_request(request)
        is_push = request.method == "POST" and request.url.path == "/v1/sync"
        if is_push and response.status_code == 200:
            self.pushes.answered(self.name, json.loads(request.content), json.loads(response.content))
        if killed:
            raise ProcessKilled
        if is_push and self.lose > 0:
            self.lose -= 1
            raise httpx.ReadError("the answer was lost on its way back", request=request)
        return response


class Device:
    """One installation: its profile directory, and the app's process (a Client) while it runs."""

    def __init__(self, name: str, profile: Path, source_ip: str, pushes: Pushes) -> None:
        self.name, self.profile, self.source_ip, self.pushes = name, profile, source_ip, pushes
        self.network, self.client = self._start()

    def _start(self) -> tuple[DeviceNetwork, Client]:
        network = DeviceNetwork(self.name, self.source_ip, self.pushes)
        backoff = Backoff(max_attempts=ATTEMPTS, sleep=lambda _: None)
        return network, Client(API_URL, self.profile, transport=network, backoff=backoff)

    def restart(self) -> None:
        """The app starts again on its profile. The dead process's SQLite connection is closed
        (a killed process's file handles are); no transaction was open: the store commits each
        step before a request is sent, and a transaction an exception crosses is rolled back."""
        self.client.close()
        self.network, self.client = self._start()


class ClientDevices(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="notes-sync-client-devices-"))
        self.pushes = Pushes()
        source_ip = new_source_ip()  # the auth routes limit each address: this user's own
        self.devices = [
            Device(f"device-{number}", self.folder / f"device-{number}", source_ip, self.pushes)
            for number in range(DEVICES)
        ]
        email = f"client-property-{uuid.uuid4().hex[:12]}@example.com"
        first = self.devices[0].client
        first.sign_up(email, PASSWORD, "Client Devices")
        first.confirm(email, "123456")  # the local stack accepts any code
        for device in self.devices:
            device.client.sign_in(email, PASSWORD)
        self.user_id = first.store.meta("user_id")
        self.tokens = (f"w{number}" for number in itertools.count())
        self.typed: dict[str, str] = {}  # token -> the note it was typed in
        self.deleted: set[str] = set()
        for _ in range(SHARED_NOTES):
            self.create(0)
        for device in self.devices:
            device.client.sync()

    def _pick(self, device: int, which: int) -> str | None:
        notes = self.devices[device].client.notes(trashed=None)
        return notes[which % len(notes)].id if notes else None

    # ---------------------------------------------------------------- offline edits
    @rule(device=st.integers(0, DEVICES - 1))
    def create(self, device: int) -> None:
        title, content = next(self.tokens), next(self.tokens)
        self.typed[content] = self.devices[device].client.create(title, content)

    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6), position=st.integers(0, 10**6))
    def type_word(self, device: int, which: int, position: int) -> None:
        client = self.devices[device].client
        note_id = self._pick(device, which)
        note = client.note(note_id) if note_id is not None else None
        if note is None:
            return
        words = note.content.split(" ")
        token = next(self.tokens)
        words.insert(position % (len(words) + 1), token)
        client.edit(note.id, content=" ".join(words))
        self.typed[token] = note.id

    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6))
    def retitle(self, device: int, which: int) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].client.edit(note_id, title=next(self.tokens))

    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6), trashed=st.booleans())
    def trash_or_restore(self, device: int, which: int, trashed: bool) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].client.edit(note_id, trashed=trashed)

    @rule(device=st.integers(0, DEVICES - 1), which=st.integers(0, 10**6))
    def delete(self, device: int, which: int) -> None:
        note_id = self._pick(device, which)
        if note_id is not None:
            self.devices[device].client.delete(note_id)
            self.deleted.add(note_id)

    # ---------------------------------------------------------------- sync, lost answers, kills
    @rule(device=st.integers(0, DEVICES - 1), lost=st.integers(0, ATTEMPTS))
    def sync(self, device: int, lost: int) -> None:
        """A sync whose next `lost` push answers are lost: fewer than ATTEMPTS, the device sends
        the same push again and hears the last; ATTEMPTS, it gives up, the push left in flight."""
        network = self.devices[device].network
        network.lose = lost
        try:
            self.devices[device].client.sync()
        except Unavailable:
            assert (lost, network.lose) == (ATTEMPTS, 0), "gave up though an answer came through"
        network.lose = 0

    @rule(device=st.integers(0, DEVICES - 1), at=st.integers(1, 2), before=st.booleans())
    def killed_in_a_sync(self, device: int, at: int, before: bool) -> None:
        """The process dies at the sync's `at`-th request (the push first, when there is one), then
        the app starts again on the same profile (also when the sync ended before: killed idle)."""
        network = self.devices[device].network
        network.kill_at, network.kill_before, network.requests = at, before, 0
        with contextlib.suppress(ProcessKilled):
            self.devices[device].client.sync()
        self.devices[device].restart()

    # ---------------------------------------------------------------- checks
    @invariant()
    def no_device_conflicted_with_itself(self) -> None:
        assert not self.pushes.self_conflicts, self.pushes.self_conflicts

    def teardown(self) -> None:
        try:
            self._converge()
        finally:
            for device in self.devices:
                device.client.close()
            shutil.rmtree(self.folder, ignore_errors=True)
            if self.user_id is not None:
                forget_user(shared_stack(), self.user_id)

    def _converge(self) -> None:
        for _ in range(FINAL_ROUNDS):
            if sum(device.client.sync().pushed for device in self.devices) == 0:
                break
        else:
            raise AssertionError(f"the devices still pushed after {FINAL_ROUNDS} rounds")
        self.no_device_conflicted_with_itself()
        server = self._server_notes()
        held = {n["id"]: (n["title"], n["content"], n["trashed"], n["version"]) for n in server}
        for device in self.devices:
            assert device.client.store.outbox() == [], device.name
            mine = {n.id: (n.title, n.content, n.trashed, n.version) for n in device.client.notes(trashed=None)}
            assert mine == held, device.name
        for note in server:
            words = note["content"].split(" ")
            assert len(words) == len(set(words)), f"a word doubled: {note}"
        self._check_no_token_lost(server)

    def _server_notes(self) -> list[dict[str, Any]]:
        """Every note the server holds (tombstones left out): the feed from its beginning."""
        reader = self.devices[0].client
        notes: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params = {"limit": "500"} | ({"cursor": cursor} if cursor else {})
            answer = reader.http.send("GET", "/v1/sync", token=reader.access_token(), params=params)
            assert answer.status == 200, answer
            notes |= {note["id"]: note for note in answer.body["changes"]}
            cursor = answer.body["cursor"]
            if not answer.body["has_more"]:
                return [note for note in notes.values() if not note["deleted"]]

    def _check_no_token_lost(self, server: list[dict[str, Any]]) -> None:
        """Each token typed, its note not deleted, is in a note's text; else in one of its note's
        revisions (read only for such notes: a few requests, not one per revision of every note)."""
        texts = {word for note in server for word in note["content"].split(" ")}
        missing = {token: note_id for token, note_id in self.typed.items() if token not in texts}
        missing = {token: note_id for token, note_id in missing.items() if note_id not in self.deleted}
        reader = self.devices[0].client
        for note_id in set(missing.values()):
            for revision in reader.history(note_id):
                kept = reader.revision(note_id, revision["version"])["content"].split(" ")
                missing = {token: owner for token, owner in missing.items() if token not in kept}
        assert not missing, f"typed, never deleted, and found nowhere: {sorted(missing)}"


ClientDevices.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_client_devices = ClientDevices.TestCase
