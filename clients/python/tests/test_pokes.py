"""The poke listener against a tiny local WebSocket server (the realtime contract: the token in the
Authorization header, never in the URL; `?device_id=`; `{"type": "changes", "seq": N}`; the
server may close any time and the client reconnects and pulls)."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from notes_sync_client import Backoff
from notes_sync_client.errors import SignInRequired
from notes_sync_client.pokes import PokeListener, socket_url


@dataclass
class Tokens:
    """The client's side the listener uses: its device id and its tokens."""

    token: str = "token-1"
    refreshed: int = 0
    refusable: bool = True
    device_id: str = "device-1"

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        if not self.refusable:
            raise SignInRequired("signed out")
        self.refreshed += 1
        self.token = f"token-{self.refreshed + 1}"
        return self.token


@dataclass
class Realtime:
    """Accepts `accepted` tokens; sends each connection one poke per entry of `pokes`, then closes."""

    accepted: set[str]
    pokes: list[int]
    paths: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    server: Server | None = None

    def process_request(self, connection: ServerConnection, request: object) -> object:
        headers = getattr(request, "headers")  # noqa: B009 - websockets' Request
        self.paths.append(getattr(request, "path"))  # noqa: B009
        self.authorizations.append(headers.get("Authorization"))
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self.accepted:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    def handler(self, connection: ServerConnection) -> None:
        for seq in self.pokes:
            connection.send(json.dumps({"type": "changes", "seq": seq}))
        connection.close()


@pytest.fixture
def realtime() -> Iterator[Realtime]:
    state = Realtime(accepted={"token-1"}, pokes=[7, 8])
    with serve(state.handler, "127.0.0.1", 0, process_request=state.process_request) as server:  # type: ignore[arg-type]
        state.server = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield state
        server.shutdown()


def _url(realtime: Realtime) -> str:
    assert realtime.server is not None
    host, port = realtime.server.socket.getsockname()[:2]
    return f"ws://{host}:{port}/"


def _listen(realtime: Realtime, tokens: Tokens, until: int) -> list[int | None]:
    heard: list[int | None] = []
    enough = threading.Event()

    def on_poke(seq: int | None) -> None:
        heard.append(seq)
        if len(heard) >= until:
            enough.set()

    listener = PokeListener(tokens, _url(realtime), on_poke, Backoff(base_seconds=0.01, cap_seconds=0.05))
    listener.start()
    try:
        assert enough.wait(10), f"heard only {heard}"
    finally:
        listener.stop()
    return heard


def test_every_poke_and_every_reconnect_asks_for_a_pull(realtime: Realtime) -> None:
    # Given a server that sends two pokes then closes the socket, every time

    # When the listener runs until it heard six calls
    heard = _listen(realtime, Tokens(), until=6)

    # Then each connection asked for a pull when it opened, then passed on the pokes, and it reconnected
    assert heard[:6] == [None, 7, 8, None, 7, 8]


def test_the_token_goes_in_the_header_and_the_device_in_the_query(realtime: Realtime) -> None:
    _listen(realtime, Tokens(), until=1)

    assert realtime.paths[0] == "/?device_id=device-1"
    assert realtime.authorizations[0] == "Bearer token-1"
    assert all("token" not in path for path in realtime.paths)


def test_a_refused_token_is_refreshed_before_connecting_again(realtime: Realtime) -> None:
    # Given a server that takes only the refreshed token
    realtime.accepted = {"token-2"}
    tokens = Tokens()

    # When the listener runs
    heard = _listen(realtime, tokens, until=3)

    # Then it refreshed once and went on with the new token
    assert tokens.refreshed == 1
    assert heard[:3] == [None, 7, 8]
    assert realtime.authorizations[:2] == ["Bearer token-1", "Bearer token-2"]


def test_a_session_that_cannot_be_refreshed_ends_the_listener(realtime: Realtime) -> None:
    realtime.accepted = set()
    listener = PokeListener(Tokens(refusable=False), _url(realtime), lambda _: None, Backoff(base_seconds=0.01))

    listener.run()  # returns: no thread needed

    assert isinstance(listener.ended, SignInRequired)


def test_the_device_id_joins_a_query_the_url_has() -> None:
    assert socket_url("wss://rt.example.com/live?x=1", "d-1") == "wss://rt.example.com/live?x=1&device_id=d-1"
