"""The `notes-sync` command against a local stack: the account, each note command, and its exit
codes (0 done, 1 failed, 2 wrong usage); plus the library's image upload and its versions."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from notes_sync_client import Client
from tests.client.conftest import PASSWORD, new_account
from tests.support.local_process import LocalProcess
from tests.support.media import PNG


def _run(
    stack: LocalProcess, profile: Path, *arguments: str, password: str | None = PASSWORD, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTES_SYNC_API": stack.base_url, **environment}
    env.pop("NOTES_SYNC_PASSWORD", None)
    if password is not None:
        env["NOTES_SYNC_PASSWORD"] = password
    command = [sys.executable, "-m", "notes_sync_client", "--profile", str(profile), *arguments]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False
    )


def test_an_account_from_sign_up_to_sign_out(local_stack: LocalProcess, tmp_path: Path) -> None:
    profile, email = tmp_path / "profile", f"cli-{uuid.uuid4().hex[:12]}@example.com"

    signed_up = _run(local_stack, profile, "sign-up", email, "--name", "Ann")
    confirmed = _run(local_stack, profile, "confirm", email, "123456")
    signed_in = _run(local_stack, profile, "sign-in", email)
    created = _run(local_stack, profile, "new", "Groceries", "--content", "milk")
    signed_out = _run(local_stack, profile, "sign-out")
    after = _run(local_stack, profile, "sync")

    assert [signed_up.returncode, confirmed.returncode, signed_in.returncode, created.returncode] == [0, 0, 0, 0]
    assert f"confirm {email} CODE" in signed_up.stdout
    assert signed_out.returncode == 0
    assert (after.returncode, after.stderr.strip()) == (1, "notes-sync: not signed in (notes-sync sign-in EMAIL)")


def test_every_note_command(local_stack: LocalProcess, tmp_path: Path) -> None:
    # Given a signed-in profile
    email, client = new_account(local_stack.base_url, tmp_path / "profile")
    client.close()
    profile = tmp_path / "profile"
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "milk\\neggs\\n" > "$1"\n')
    editor.chmod(0o755)

    # When a note is made, edited in $EDITOR, trashed, restored, then deleted
    note_id = _run(local_stack, profile, "new", "Groceries", "--content", "milk").stdout.strip()
    edited = _run(local_stack, profile, "edit", note_id[:8], EDITOR=str(editor))
    shown = _run(local_stack, profile, "show", note_id[:8])
    trashed = _run(local_stack, profile, "trash", note_id[:8])
    in_trash = _run(local_stack, profile, "ls", "--trash")
    restored = _run(local_stack, profile, "restore", note_id[:8])
    history = _run(local_stack, profile, "history", note_id[:8])
    removed = _run(local_stack, profile, "rm", note_id[:8])
    listed = _run(local_stack, profile, "ls", "--all")

    # Then each did what it says, on the server too
    assert edited.returncode == 0
    assert shown.stdout == "# Groceries\n\nmilk\neggs\n"
    assert trashed.returncode == restored.returncode == removed.returncode == 0
    assert in_trash.stdout.startswith(f"{note_id[:8]}  T")
    assert [line.split()[0] for line in history.stdout.splitlines()] == ["v2", "v1"]
    assert listed.stdout == ""
    with Client(local_stack.base_url, tmp_path / "second") as second:
        second.sign_in(email, PASSWORD)
        second.sync()
        assert second.notes(trashed=None) == []


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (("show", "ffffffff"), 1, "no note 'ffffffff' on this device"),
        (("sign-in", "nobody@example.com"), 1, "401 unauthorized"),
        (("frobnicate",), 2, "invalid choice"),
        (("new",), 2, "the following arguments are required: title"),
    ],
    ids=["unknown-note", "wrong-password", "unknown-command", "missing-argument"],
)
def test_failures_have_a_clear_message_and_their_exit_code(
    local_stack: LocalProcess, tmp_path: Path, arguments: tuple[str, ...], code: int, message: str
) -> None:
    done = _run(local_stack, tmp_path / "profile", *arguments)

    assert done.returncode == code
    assert message in done.stderr


def test_sign_in_without_a_password_in_a_script_is_wrong_usage(local_stack: LocalProcess, tmp_path: Path) -> None:
    done = _run(local_stack, tmp_path / "profile", "sign-in", "ann@example.com", password=None)

    assert (done.returncode, done.stderr.strip()) == (
        2,
        "notes-sync: no password: set NOTES_SYNC_PASSWORD or run in a terminal",
    )


def test_an_image_and_its_check_are_new_versions_that_no_edit_conflicts_with(
    local_stack: LocalProcess, tmp_path: Path
) -> None:
    # Given a note on two devices, at version 1
    email, phone = new_account(local_stack.base_url, tmp_path / "phone")
    note_id = phone.create("Trip", "beach")
    phone.sync()
    laptop = Client(local_stack.base_url, tmp_path / "laptop")
    laptop.sign_in(email, PASSWORD)
    laptop.sync()

    # When the phone attaches an image (a slot reserved, then checked) and the laptop edits version 1
    media = phone.attach(note_id, PNG, "image/png")
    laptop.edit(note_id, content="beach, sunset")
    report = laptop.sync()
    phone.sync()

    # Then the reservation and the check each made a version, the edit applied on top, and both
    # devices hold the image and the text
    assert media.status == "ready"
    assert (report.applied, report.conflicts) == (1, 0)
    for device in (phone, laptop):
        note = device.note(note_id)
        assert note is not None
        assert (note.version, note.content, [m.status for m in note.media]) == (4, "beach, sunset", ["ready"])
    assert laptop.download(note_id, media.media_id) == PNG
    phone.close()
    laptop.close()
