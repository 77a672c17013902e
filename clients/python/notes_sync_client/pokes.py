"""Foreground sync on pokes (sync guide, "Realtime: pokes and silent pushes"): a WebSocket to the
API's realtime endpoint, with the access token in the `Authorization` header (never in the URL)
and `?device_id=` naming this device. The server sends `{"type": "changes", "seq": N}` when
another device changed the user's notes; the socket carries no note data, so the app pulls. The
server closes sockets on sign-out and after 10 minutes idle or 2 hours: the listener reconnects
with the guide's backoff and asks for a pull on every (re)connect, since pokes sent while it was
away are lost."""

import json
import threading
import urllib.parse
from collections.abc import Callable
from typing import Protocol

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from notes_sync_client.errors import SignInRequired
from notes_sync_client.transport import Backoff

RECEIVE_SECONDS = 1.0  # how often the listener looks at its stop flag while waiting for a poke


class Tokens(Protocol):
    @property
    def device_id(self) -> str: ...

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


def socket_url(url: str, device_id: str) -> str:
    """The realtime URL with this device's id as its query (the token never goes there)."""
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("device_id", device_id)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class PokeListener:
    """Calls `on_poke(seq)` for every poke and `on_poke(None)` on every (re)connect, from its own
    thread, until `stop()`. `on_poke` should only wake the app's sync (set an event), not sync
    itself in the listener's thread. A refused token is refreshed once per refusal; a session
    that cannot be refreshed ends the listener (`ended` holds why)."""

    def __init__(
        self,
        client: Tokens,
        url: str,
        on_poke: Callable[[int | None], None],
        backoff: Backoff | None = None,
    ) -> None:
        self.client, self.url, self.on_poke = client, url, on_poke
        self.backoff = backoff or Backoff()
        self.connected = threading.Event()
        self.ended: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="notes-sync-pokes", daemon=True)

    def start(self) -> "PokeListener":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
            except InvalidStatus as refused:
                if refused.response.status_code in (401, 403):
                    try:
                        self.client.refresh()
                    except SignInRequired as ended:
                        self.ended = ended
                        return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass  # unreachable, or closed by the server: reconnect after a while
            finally:
                if self.connected.is_set():  # it was open: the next wait starts short again
                    failures = 0
                self.connected.clear()
            self._stop.wait(self.backoff.delay(failures))
            failures += 1

    def _listen(self) -> None:
        try:
            token = self.client.access_token()
        except SignInRequired as ended:
            self.ended = ended
            self._stop.set()
            return
        headers = {"Authorization": f"Bearer {token}"}
        with connect(socket_url(self.url, self.client.device_id), additional_headers=headers, open_timeout=10) as ws:
            self.connected.set()
            self.on_poke(None)  # pokes sent while away are lost: pull now
            while not self._stop.is_set():
                try:
                    message = ws.recv(timeout=RECEIVE_SECONDS)
                except TimeoutError:
                    continue
                try:
                    poke = json.loads(message)
                except ValueError:
                    continue
                if isinstance(poke, dict) and poke.get("type") == "changes":
                    seq = poke.get("seq")
                    self.on_poke(seq if isinstance(seq, int) else None)
