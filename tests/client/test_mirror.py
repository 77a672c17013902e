"""`notes-sync mirror`: two profiles of one user mirror two folders through a local stack. A file
written in one appears in the other; disjoint offline edits of one file on both sides end merged
in both; a true conflict leaves a `.conflict.md`; an image attached on one side downloads on the
other; a removed file goes to `.trash/` on both sides."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client.conftest import PASSWORD, new_account
from tests.support.local_process import LocalProcess
from tests.support.media import PNG

NoteSync = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def two_folders(local_stack: LocalProcess, tmp_path: Path) -> tuple[NoteSync, Path, Path]:
    """`notes_sync(profile, *arguments)` runs the command; profiles "a" and "b" are one user's
    two devices, signed in with the command; folders A and B are theirs to mirror."""
    email, first = new_account(local_stack.base_url, tmp_path / "a")
    first.close()
    environment = {**os.environ, "NOTES_SYNC_API": local_stack.base_url, "NOTES_SYNC_PASSWORD": PASSWORD}

    def notes_sync(profile: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "notes_sync_client", "--profile", str(tmp_path / profile), *arguments]
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done

    notes_sync("b", "sign-in", email)
    folders = tmp_path / "A", tmp_path / "B"
    for folder in folders:
        folder.mkdir()
    return notes_sync, *folders


def _mirror_both(notes_sync: NoteSync, a: Path, b: Path) -> None:
    notes_sync("a", "mirror", str(a))
    notes_sync("b", "mirror", str(b))
    notes_sync("a", "mirror", str(a))


def test_a_file_written_in_one_folder_appears_in_the_other(two_folders: tuple[NoteSync, Path, Path]) -> None:
    notes_sync, a, b = two_folders
    (a / "Groceries.md").write_text("milk\neggs\n")

    done = notes_sync("a", "mirror", str(a))
    notes_sync("b", "mirror", str(b))

    assert "created Groceries.md" in done.stdout
    assert (b / "Groceries.md").read_text() == "milk\neggs\n"
    assert "Groceries" in notes_sync("b", "ls").stdout


def test_disjoint_offline_edits_of_one_file_end_merged_in_both(two_folders: tuple[NoteSync, Path, Path]) -> None:
    # Given one note in both folders
    notes_sync, a, b = two_folders
    (a / "Plan.md").write_text("one\ntwo\nthree\n")
    _mirror_both(notes_sync, a, b)

    # When each side edits a different line offline, then both mirror
    (a / "Plan.md").write_text("ONE\ntwo\nthree\n")
    (b / "Plan.md").write_text("one\ntwo\nthree\nfour\n")
    _mirror_both(notes_sync, a, b)

    # Then both folders hold both edits, and no conflict file
    assert (a / "Plan.md").read_text() == (b / "Plan.md").read_text() == "ONE\ntwo\nthree\nfour\n"
    assert sorted(path.name for path in a.iterdir()) == sorted(path.name for path in b.iterdir()) == ["Plan.md"]


def test_a_true_conflict_leaves_a_conflict_file_and_deleting_it_resolves_it(
    two_folders: tuple[NoteSync, Path, Path],
) -> None:
    # Given one note in both folders
    notes_sync, a, b = two_folders
    (a / "Plan.md").write_text("meet at noon\n")
    _mirror_both(notes_sync, a, b)

    # When both change the same words offline; A mirrors first
    (a / "Plan.md").write_text("meet at one\n")
    (b / "Plan.md").write_text("meet at two\n")
    _mirror_both(notes_sync, a, b)

    # Then B's note file holds the server's text (A's) and B's own text is beside it; nothing else changed
    assert (a / "Plan.md").read_text() == (b / "Plan.md").read_text() == "meet at one\n"
    assert (b / "Plan.conflict.md").read_text() == "meet at two\n"
    assert not (a / "Plan.conflict.md").exists()

    # When B deletes the conflict file (resolved: A's text stays)
    (b / "Plan.conflict.md").unlink()
    done = notes_sync("b", "mirror", str(b))

    # Then it is gone for good and the note is as it was
    assert "resolved Plan.conflict.md" in done.stdout
    notes_sync("b", "mirror", str(b))
    assert sorted(path.name for path in b.iterdir()) == ["Plan.md"]


def test_a_removed_file_goes_to_the_trash_on_both_sides(two_folders: tuple[NoteSync, Path, Path]) -> None:
    notes_sync, a, b = two_folders
    (a / "Old.md").write_text("old\n")
    _mirror_both(notes_sync, a, b)

    (b / "Old.md").unlink()
    notes_sync("b", "mirror", str(b))
    notes_sync("a", "mirror", str(a))

    assert not (a / "Old.md").exists()
    assert (a / ".trash" / "Old.md").read_text() == (b / ".trash" / "Old.md").read_text() == "old\n"
    assert "T" in notes_sync("a", "ls", "--trash").stdout


def test_an_image_attached_on_one_side_downloads_on_the_other(
    two_folders: tuple[NoteSync, Path, Path], tmp_path: Path
) -> None:
    # Given a note in both folders
    notes_sync, a, b = two_folders
    (a / "Trip.md").write_text("pictures\n")
    _mirror_both(notes_sync, a, b)
    note_id = notes_sync("a", "ls").stdout.split()[0]
    image = tmp_path / "beach.png"
    image.write_bytes(PNG)

    # When A attaches an image to it (the presigned POST to the local bucket, the worker's check)
    attached = notes_sync("a", "attach", note_id, str(image))
    notes_sync("b", "mirror", str(b))

    # Then B's folder has the same bytes
    media_id = attached.stdout.split()[0]
    assert attached.stdout.split()[1] == "ready"
    (downloaded,) = (b / ".media").rglob(f"{media_id}.png")
    assert downloaded.read_bytes() == PNG


def test_watching_folders_follow_each_other(
    local_stack: LocalProcess, two_folders: tuple[NoteSync, Path, Path]
) -> None:
    # Given both folders watched (no realtime socket: each pulls every half second)
    _, a, b = two_folders
    watch = ["--watch", "--interval", "0.2", "--pull-every", "0.5"]
    watchers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "notes_sync_client",
                "--profile",
                str(folder.parent / profile),
                "mirror",
                str(folder),
                *watch,
            ],
            env={**os.environ, "NOTES_SYNC_API": local_stack.base_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for profile, folder in (("a", a), ("b", b))
    ]
    try:
        # When a file is written in A, and later changed in B
        (a / "Live.md").write_text("first\n")
        _wait_for(lambda: (b / "Live.md").exists() and (b / "Live.md").read_text() == "first\n")
        (b / "Live.md").write_text("first\nsecond\n")

        # Then each change reaches the other folder
        _wait_for(lambda: (a / "Live.md").read_text() == "first\nsecond\n")
    finally:
        for watcher in watchers:
            watcher.send_signal(signal.SIGINT)
        codes = [watcher.wait(10) for watcher in watchers]
    assert codes == [0, 0], [watcher.stdout.read() if watcher.stdout else "" for watcher in watchers]


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.1)


def test_a_watching_folder_pulls_when_poked(
    local_stack: LocalProcess, two_folders: tuple[NoteSync, Path, Path]
) -> None:
    # Given B's folder watched with the realtime socket and no pulls of its own (one an hour)
    notes_sync, a, b = two_folders
    watcher = subprocess.Popen(
        [
            *(sys.executable, "-m", "notes_sync_client", "--profile", str(b.parent / "b")),
            *("--ws", local_stack.websocket_url, "mirror", str(b)),
            *("--watch", "--interval", "0.2", "--pull-every", "3600"),
        ],
        env={**os.environ, "NOTES_SYNC_API": local_stack.base_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: _connections(local_stack) == 1)

        # When A writes a file and mirrors it once
        (a / "Poked.md").write_text("from A\n")
        notes_sync("a", "mirror", str(a))

        # Then B's folder gets it: the poke made B pull
        _wait_for(lambda: (b / "Poked.md").exists() and (b / "Poked.md").read_text() == "from A\n", seconds=10)
    finally:
        watcher.send_signal(signal.SIGINT)
        code = watcher.wait(10)
    assert code == 0, watcher.stdout.read() if watcher.stdout else ""
    _wait_for(lambda: _connections(local_stack) == 0)  # its socket closed with it


def _connections(stack: LocalProcess) -> int:
    """How many WebSocket connections the stack's table holds (every user's: one test at a time)."""
    dynamodb = stack.aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    items = dynamodb.scan(
        TableName=table, FilterExpression="begins_with(id, :c)", ExpressionAttributeValues={":c": {"S": "#user#conn#"}}
    )
    return int(items["Count"])
