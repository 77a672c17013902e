"""`notes-sync`: the client as a command, for people and scripts.

Exit codes: 0 done; 1 failed (the server refused, could not be reached, no such note, not signed
in); 2 wrong usage. Errors go to stderr, one line saying what to do; results to stdout."""

import argparse
import getpass
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from notes_sync_client.client import Client
from notes_sync_client.errors import ApiError, NotesSyncError, ProfileInUse, SignInRequired, Unavailable
from notes_sync_client.mirror import Mirror, MirrorReport
from notes_sync_client.models import TAKE_SERVER, Conflict, Note, Resolution, SyncReport, keep_device_text


class UsageError(Exception):
    """Wrong usage found after parsing (exit 2)."""


def _password(confirm: bool = False) -> str:
    password = os.environ.get("NOTES_SYNC_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError("no password: set NOTES_SYNC_PASSWORD or run in a terminal")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != password:
        raise UsageError("the passwords differ")
    return password


class Progress:
    """A pull's progress on stderr: one line rewritten on a terminal, else a line per thousand notes."""

    def __init__(self) -> None:
        self.shown = 0

    def __call__(self, count: int) -> None:
        if sys.stderr.isatty() and count >= 200:
            print(f"\rpulled {count} notes", end="", file=sys.stderr, flush=True)
            self.shown = count
        elif count // 1000 > self.shown // 1000:
            print(f"pulled {count} notes", file=sys.stderr, flush=True)
            self.shown = count


def _summary(report: SyncReport) -> str:
    if sys.stderr.isatty() and report.pulled >= 200:
        print(file=sys.stderr)
    parts = [f"pushed {report.pushed}", f"pulled {report.pulled}"]
    if report.merged:
        parts.append(f"{report.merged} merged")
    if report.conflicts:
        parts.append(f"{report.conflicts} conflicts")
    if report.resynced:
        parts.append("resynced from the beginning")
    return "synced: " + ", ".join(parts)


def _find(client: Client, prefix: str) -> Note:
    matches = [note for note in client.notes(trashed=None) if note.id.startswith(prefix)]
    if not matches:
        raise LookupError(f"no note {prefix!r} on this device (notes-sync ls --all lists them)")
    if len(matches) > 1:
        raise LookupError(f"{prefix!r} names {len(matches)} notes: give more of the id")
    return matches[0]


def _sync_after(client: Client) -> None:
    """A change is kept on the device first; not reaching the server is no failure of the command."""
    try:
        print(_summary(client.sync()), file=sys.stderr)
    except Unavailable as failure:
        print(f"kept on this device, not synced yet ({failure}): run notes-sync sync later", file=sys.stderr)


def _line(note: Note, waiting: set[str]) -> str:
    flags = ("T" if note.trashed else "-") + ("*" if note.id in waiting else " ")
    return f"{note.id[:8]}  {flags} v{note.version or 0:<4} {note.title}"


def _edit_in_editor(text: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "note.md"
        path.write_text(text, encoding="utf-8")
        if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
            raise UsageError(f"{editor} failed: the note is unchanged")
        return path.read_text(encoding="utf-8")


def _mirror_conflicts(conflict: Conflict) -> Resolution:
    """The mirror keeps the server's text in the note's file; the device's goes beside it."""
    return TAKE_SERVER


def run(arguments: argparse.Namespace) -> int:
    command: str = arguments.command
    on_conflict = _mirror_conflicts if command == "mirror" else keep_device_text
    with Client(arguments.api, arguments.profile, on_conflict=on_conflict, on_progress=Progress()) as client:
        handler = COMMANDS[command]
        handler(client, arguments)
    return 0


def _sign_up(client: Client, arguments: argparse.Namespace) -> None:
    client.sign_up(arguments.email, _password(confirm=True), arguments.name or arguments.email.split("@")[0])
    print(f"a code was sent to {arguments.email}: notes-sync confirm {arguments.email} CODE")


def _confirm(client: Client, arguments: argparse.Namespace) -> None:
    client.confirm(arguments.email, arguments.code)
    print(f"confirmed: notes-sync sign-in {arguments.email}")


def _sign_in(client: Client, arguments: argparse.Namespace) -> None:
    client.sign_in(arguments.email, _password())
    print(f"signed in as {arguments.email} (device {client.device_id})")


def _sign_out(client: Client, arguments: argparse.Namespace) -> None:
    client.sign_out()
    print("signed out on every device")


def _sync(client: Client, arguments: argparse.Namespace) -> None:
    print(_summary(client.sync()))


def _ls(client: Client, arguments: argparse.Namespace) -> None:
    trashed = None if arguments.all else bool(arguments.trash)
    waiting = {entry.note_id for entry in client.store.outbox()}
    for note in client.notes(trashed=trashed):
        print(_line(note, waiting))


def _show(client: Client, arguments: argparse.Namespace) -> None:
    note = _find(client, arguments.id)
    print(f"# {note.title}\n\n{note.content}", end="" if note.content.endswith("\n") else "\n")
    for media in note.media:
        print(f"[image {media.media_id} {media.content_type} {media.size} bytes: {media.status}]")


def _new(client: Client, arguments: argparse.Namespace) -> None:
    note_id = client.create(arguments.title, arguments.content or "")
    print(note_id)
    if not arguments.offline:
        _sync_after(client)


def _edit(client: Client, arguments: argparse.Namespace) -> None:
    note = _find(client, arguments.id)
    fields: dict[str, str | bool] = {}
    if arguments.title is not None:
        fields["title"] = arguments.title
    if arguments.content is not None:
        fields["content"] = arguments.content
    if not fields:
        fields["content"] = _edit_in_editor(note.content)
    client.edit(note.id, **fields)
    if not arguments.offline:
        _sync_after(client)


def _change(action: Callable[[Client, str], object], done: str) -> Callable[[Client, argparse.Namespace], None]:
    def command(client: Client, arguments: argparse.Namespace) -> None:
        note = _find(client, arguments.id)
        action(client, note.id)
        print(f"{done} {note.id[:8]} {note.title}")
        if not arguments.offline:
            _sync_after(client)

    return command


def _history(client: Client, arguments: argparse.Namespace) -> None:
    note = _find(client, arguments.id)
    for revision in client.history(note.id):
        preview = revision["preview"].replace("\n", " ")[:60]
        print(f"v{revision['version']:<4} {revision['updated_at']}  {revision['title']}: {preview}")


def _attach(client: Client, arguments: argparse.Namespace) -> None:
    note = _find(client, arguments.id)
    media = client.attach_file(note.id, arguments.file)
    print(f"{media.media_id} {media.status}")
    _sync_after(client)
    if media.status != "ready":
        raise ApiError(422, {"message": f"the server did not take the image: {media.status}"})


def _mirror(client: Client, arguments: argparse.Namespace) -> None:
    mirror = Mirror(client, arguments.dir)

    def show(report: MirrorReport) -> None:
        for line in report.lines():
            print(line, flush=True)
        if report.sync is not None and (report.sync.pushed or report.sync.conflicts):
            print(_summary(report.sync), flush=True)

    if not arguments.watch:
        show(mirror.round())
        return
    stop = threading.Event()
    print(f"mirroring {mirror.directory} (Ctrl-C stops)", flush=True)
    try:
        mirror.watch(stop, arguments.ws, arguments.interval, arguments.pull_every, on_round=show)
    except KeyboardInterrupt:
        stop.set()


COMMANDS: dict[str, Callable[[Client, argparse.Namespace], None]] = {
    "sign-up": _sign_up,
    "confirm": _confirm,
    "sign-in": _sign_in,
    "sign-out": _sign_out,
    "sync": _sync,
    "ls": _ls,
    "show": _show,
    "new": _new,
    "edit": _edit,
    "trash": _change(Client.trash, "trashed"),
    "restore": _change(Client.restore, "restored"),
    "rm": _change(Client.delete, "deleted"),
    "history": _history,
    "attach": _attach,
    "mirror": _mirror,
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="notes-sync", description="Sync notes with a notes-sync server.")
    top.add_argument("--api", default=os.environ.get("NOTES_SYNC_API"), help="the API's URL (NOTES_SYNC_API)")
    top.add_argument(
        "--profile",
        type=Path,
        default=Path(os.environ.get("NOTES_SYNC_PROFILE", "~/.notes-sync")).expanduser(),
        help="the profile directory (default ~/.notes-sync)",
    )
    top.add_argument("--ws", default=os.environ.get("NOTES_SYNC_WS"), help="the realtime WebSocket URL (NOTES_SYNC_WS)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, offline: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        if offline:
            sub.add_argument("--offline", action="store_true", help="keep the change on this device, do not sync")
        return sub

    command("sign-up", "create an account").add_argument("email")
    commands.choices["sign-up"].add_argument("--name", help="full name (default: the address's local part)")
    confirm = command("confirm", "confirm an account with the emailed code")
    confirm.add_argument("email")
    confirm.add_argument("code")
    command("sign-in", "sign in (password from NOTES_SYNC_PASSWORD or a prompt)").add_argument("email")
    command("sign-out", "sign out everywhere")
    command("sync", "push this device's changes, then pull everyone else's")
    listing = command("ls", "list the notes on this device (* not synced yet, T in the trash)")
    listing.add_argument("--trash", action="store_true", help="the trash instead")
    listing.add_argument("--all", action="store_true", help="the notes and the trash")
    command("show", "print a note").add_argument("id")
    new = command("new", "create a note; prints its id", offline=True)
    new.add_argument("title")
    new.add_argument("--content", help="its text (default: empty)")
    edit = command("edit", "edit a note in $EDITOR (or set --title / --content)", offline=True)
    edit.add_argument("id")
    edit.add_argument("--title")
    edit.add_argument("--content")
    command("trash", "move a note to the trash", offline=True).add_argument("id")
    command("restore", "take a note out of the trash", offline=True).add_argument("id")
    command("rm", "delete a note for good", offline=True).add_argument("id")
    command("history", "list a note's revisions").add_argument("id")
    attach = command("attach", "attach an image (jpeg, png, webp, gif, heic) to a note")
    attach.add_argument("id")
    attach.add_argument("file", type=Path)
    mirror = command("mirror", "mirror the notes as Markdown files in DIR, both ways")
    mirror.add_argument("dir", type=Path)
    mirror.add_argument("--watch", action="store_true", help="keep mirroring: files as they change, pokes")
    mirror.add_argument("--interval", type=float, default=1.0, help="seconds between looks at DIR (--watch)")
    mirror.add_argument(
        "--pull-every",
        type=float,
        default=30.0,
        help="seconds between pulls while no realtime socket is open (--watch)",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    if not arguments.api:
        print("notes-sync: no API: give --api URL or set NOTES_SYNC_API", file=sys.stderr)
        return 2
    try:
        return run(arguments)
    except UsageError as wrong:
        print(f"notes-sync: {wrong}", file=sys.stderr)
        return 2
    except SignInRequired as failure:
        print(f"notes-sync: {failure} (notes-sync sign-in EMAIL)", file=sys.stderr)
    except ProfileInUse as failure:
        print(f"notes-sync: {failure} (--profile DIR)", file=sys.stderr)
    except (NotesSyncError, LookupError, OSError, ValueError) as failure:
        print(f"notes-sync: {failure}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
