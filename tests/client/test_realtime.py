"""The reference client's realtime parts against the real server (a local stack): its poke listener
(`Client.listen`) is told of another device's change and the app pulls it; `register_push_token`
registers the device for silent pushes, as the server's contract says."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes_sync_client import Backoff, Client
from notes_sync_client.errors import ApiError
from tests.client.conftest import PASSWORD, new_account
from tests.support.local_process import LocalProcess
from tests.support.waiting import until


def test_another_devices_change_pokes_the_listener_and_the_pull_brings_it(
    local_stack: LocalProcess, account: tuple[str, Client], tmp_path: Path
) -> None:
    # Given the user's second device, listening on the realtime socket
    email, first = account
    second = Client(local_stack.base_url, tmp_path / "second-device", backoff=Backoff(max_attempts=4))
    second.sign_in(email, PASSWORD)
    pokes: list[int | None] = []
    poked = threading.Event()

    def on_poke(seq: int | None) -> None:
        pokes.append(seq)
        if seq is not None:
            poked.set()

    listener = second.listen(local_stack.websocket_url, on_poke)
    try:
        assert listener.connected.wait(10)
        assert pokes == [None]  # a (re)connect asks for a pull

        # When the first device creates a note and syncs
        note_id = first.create("From the first device", "hello")
        first.sync()

        # Then the second is poked with the account's sequence, and its pull brings the note
        assert poked.wait(10)
        assert pokes[-1] == 1
        second.sync()
        note = second.note(note_id)
        assert note is not None
        assert note.title == "From the first device"
    finally:
        listener.stop()
        second.close()


def test_register_push_token_is_refused_when_the_server_sends_no_pushes(account: tuple[str, Client]) -> None:
    # Given the client tier's stack, which has no push platform configured
    _, client = account

    # When the device registers its token, then an ApiError names the problem
    with pytest.raises(ApiError) as refused:
        client.register_push_token("fcm", "fcm-registration-token")
    assert (refused.value.status, refused.value.problem_type) == (422, "push-not-configured")


@pytest.fixture(scope="module")
def pushing_stack() -> Iterator[LocalProcess]:
    """A stack given an FCM platform application (FcmPlatformApplicationArn)."""
    stack = LocalProcess({"FCM_PLATFORM_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/GCM/client-tier"})
    yield stack
    stack.stop()


def test_a_registered_device_in_the_background_is_woken_by_a_silent_push(
    pushing_stack: LocalProcess, tmp_path: Path
) -> None:
    # Given a user's device that registered its push token and has no socket open
    email, writer = new_account(pushing_stack.base_url, tmp_path / "writer")
    sleeper = Client(pushing_stack.base_url, tmp_path / "sleeper", backoff=Backoff(max_attempts=4))
    sleeper.sign_in(email, PASSWORD)
    sleeper.register_push_token("fcm", "fcm-token-of-the-sleeper")

    # When the other device changes a note
    writer.create("Wake up", "")
    writer.sync()

    # Then the stack sends the sleeper one silent push, and the push's sync brings the note
    assert until(lambda: any("silent push " in line for line in pushing_stack.output), 10)
    sleeper.on_silent_push()
    assert [note.title for note in sleeper.notes()] == ["Wake up"]
    writer.close()
    sleeper.close()
