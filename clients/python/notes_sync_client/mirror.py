"""`notes-sync mirror DIR`: the notes as Markdown files, both ways.

One `<title>.md` per note, its body the note's content; trashed notes in `DIR/.trash/`; ready
images in `DIR/.media/<note id>/`. A file added in DIR is a new note (its name the title), a file
changed is an edit, a file removed is a trash (removed from `.trash/`: deleted for good), a file
renamed or moved into or out of `.trash/` is a title change, a trash or a restore. A conflict the
server cannot merge keeps the server's text in the note's file and the device's text beside it as
`<title>.conflict.md`; deleting that file resolves it.

What the mirror last wrote or read of each file is kept in the profile (table `mirror_files`),
so a file is only ever overwritten when it still holds that text: an edit made in DIR while a sync
runs is read on the next round, never overwritten."""

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from notes_sync_client.client import Client
from notes_sync_client.models import Note, SyncReport

TRASH = ".trash"
MEDIA = ".media"
CONFLICT_SUFFIX = ".conflict.md"
MAX_NAME_BYTES = 200
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
EXTENSIONS |= {"image/heic": ".heic"}

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS mirror_files (directory TEXT NOT NULL, note_id TEXT NOT NULL, name TEXT NOT NULL,"
    " text TEXT NOT NULL, stamp TEXT NOT NULL, PRIMARY KEY (directory, note_id))",
    "CREATE TABLE IF NOT EXISTS mirror_conflicts (directory TEXT NOT NULL, note_id TEXT NOT NULL,"
    " name TEXT NOT NULL, PRIMARY KEY (directory, note_id))",
    "CREATE TABLE IF NOT EXISTS mirror_media (directory TEXT NOT NULL, media_id TEXT NOT NULL,"
    " name TEXT NOT NULL, PRIMARY KEY (directory, media_id))",
)


@dataclass
class MirrorReport:
    """What one round did, for people."""

    local: list[str] = field(default_factory=list)  # what the files changed in the notes
    written: list[str] = field(default_factory=list)  # what the notes changed in the files
    sync: SyncReport | None = None

    def lines(self) -> list[str]:
        return self.local + self.written


@dataclass
class _Tracked:
    note_id: str
    name: str
    text: str
    stamp: str


def safe_name(title: str) -> str:
    """A file name for a title: no path separators, not hidden, not a conflict file's, not too long."""
    name = "".join("-" if char in "/\\\0" or ord(char) < 32 else char for char in title).strip()
    name = name.lstrip(".") or "Untitled"
    while len(name.encode()) > MAX_NAME_BYTES:
        name = name[:-1]
    return name + "_" if name.endswith(".conflict") else name


def _stamp(path: Path) -> str:
    status = path.stat()
    return f"{status.st_mtime_ns}:{status.st_size}"


def _read(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except (UnicodeDecodeError, FileNotFoundError):
        return None


def _write(path: Path, text: str | bytes) -> None:
    """Atomically: a reader (or an editor) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.notes-sync-tmp")
    if isinstance(text, bytes):
        temporary.write_bytes(text)
    else:
        with temporary.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
    os.replace(temporary, path)


class Mirror:
    """A two-way mirror of `client`'s notes in `directory`. `round()` reads the files, syncs, and
    writes the notes back; `watch()` does it again whenever a file changes or a poke arrives."""

    def __init__(self, client: Client, directory: Path | str, log: Callable[[str], None] = lambda _: None) -> None:
        self.client, self.directory, self.log = client, Path(directory).resolve(), log
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = str(self.directory)
        with client.store.transaction() as db:
            for statement in SCHEMA:
                db.run(statement)

    # ------------------------------------------------------------------ one round
    def round(self) -> MirrorReport:
        report = MirrorReport()
        self.read_files(report)
        report.sync = self.client.sync()
        self.write_files(report)
        return report

    def _tracked(self) -> dict[str, _Tracked]:
        with self.client.store.transaction() as db:
            rows = db.rows("SELECT * FROM mirror_files WHERE directory = ?", self.key)
        return {row["note_id"]: _Tracked(row["note_id"], row["name"], row["text"], row["stamp"]) for row in rows}

    def _track(self, tracked: _Tracked) -> None:
        with self.client.store.transaction() as db:
            db.run(
                "INSERT OR REPLACE INTO mirror_files (directory, note_id, name, text, stamp) VALUES (?, ?, ?, ?, ?)",
                self.key,
                tracked.note_id,
                tracked.name,
                tracked.text,
                tracked.stamp,
            )

    def _untrack(self, note_id: str) -> None:
        with self.client.store.transaction() as db:
            db.run("DELETE FROM mirror_files WHERE directory = ? AND note_id = ?", self.key, note_id)

    def _files(self) -> dict[str, Path]:
        """The note files in DIR and DIR/.trash, by their name relative to DIR."""
        found: dict[str, Path] = {}
        for folder, prefix in ((self.directory, ""), (self.directory / TRASH, f"{TRASH}/")):
            if folder.is_dir():
                for path in folder.glob("*.md"):
                    if path.is_file() and not path.name.endswith(CONFLICT_SUFFIX) and not path.name.startswith("."):
                        found[prefix + path.name] = path
        return found

    def read_files(self, report: MirrorReport) -> None:
        """What changed in DIR since the last round becomes changes of the notes."""
        files = self._files()
        for tracked in self._tracked().values():
            note = self.client.note(tracked.note_id)
            path = files.pop(tracked.name, None)
            if path is not None:
                stamp = _stamp(path)
                text = tracked.text if stamp == tracked.stamp else _read(path)
                if text is None or text == tracked.text or note is None:
                    if text is not None and note is not None:
                        self._track(_Tracked(tracked.note_id, tracked.name, text, stamp))
                    continue
                self.client.edit(tracked.note_id, content=text)
                report.local.append(f"edited {tracked.name}")
                self._track(_Tracked(tracked.note_id, tracked.name, text, stamp))
                continue
            moved = next((name for name, p in files.items() if _read(p) == tracked.text), None)
            if note is None:
                continue
            if moved is not None:  # renamed, or moved into or out of the trash
                path = files.pop(moved)
                fields: dict[str, str | bool] = {"trashed": moved.startswith(f"{TRASH}/")}
                if _stem(moved) != _stem(tracked.name):
                    fields["title"] = _stem(moved)
                self.client.edit(tracked.note_id, **fields)
                report.local.append(f"moved {tracked.name} to {moved}")
                self._track(_Tracked(tracked.note_id, moved, tracked.text, _stamp(path)))
            elif tracked.name.startswith(f"{TRASH}/"):
                self.client.delete(tracked.note_id)
                report.local.append(f"deleted {tracked.name}")
                self._untrack(tracked.note_id)
            else:
                self.client.trash(tracked.note_id)
                report.local.append(f"trashed {tracked.name}")
        for name, path in sorted(files.items()):
            text = _read(path)
            if text is None:
                report.local.append(f"skipped {name}: not UTF-8 text")
                continue
            note_id = self.client.create(_stem(name), text, trashed=name.startswith(f"{TRASH}/"))
            report.local.append(f"created {name}")
            self._track(_Tracked(note_id, name, text, _stamp(path)))
        self._read_conflict_files(report)

    def _read_conflict_files(self, report: MirrorReport) -> None:
        with self.client.store.transaction() as db:
            written = db.rows("SELECT note_id, name FROM mirror_conflicts WHERE directory = ?", self.key)
        for row in written:
            if not (self.directory / row["name"]).exists():
                self.client.dismiss_kept_text(row["note_id"])
                with self.client.store.transaction() as db:
                    db.run("DELETE FROM mirror_conflicts WHERE directory = ? AND note_id = ?", self.key, row["note_id"])
                report.local.append(f"resolved {row['name']}")

    def write_files(self, report: MirrorReport) -> None:
        """The notes as they are now become the files."""
        notes = {note.id: note for note in self.client.notes(trashed=None)}
        tracked = self._tracked()
        taken = {t.name for t in tracked.values() if t.note_id in notes}
        for note_id, gone in tracked.items():
            if note_id not in notes:  # deleted: its file goes, unless it holds an edit not read yet
                path = self.directory / gone.name
                if _read(path) in (gone.text, None):
                    path.unlink(missing_ok=True)
                    report.written.append(f"removed {gone.name}")
                self._untrack(note_id)
                self._remove_media(note_id, report)
        for note in sorted(notes.values(), key=lambda n: (n.created_at or "~", n.id)):
            self._write_note(note, tracked.get(note.id), taken, report)
        self._write_conflicts(notes, report)
        self._write_media(notes, report)

    def _write_note(self, note: Note, tracked: _Tracked | None, taken: set[str], report: MirrorReport) -> None:
        folder = f"{TRASH}/" if note.trashed else ""
        name = tracked.name if tracked is not None else ""
        misplaced = tracked is None or not name.startswith(folder) or "/" in name[len(folder) :]
        if misplaced or (_stem(name) != safe_name(note.title) and not _numbered(name, note.title)):
            taken.discard(name)
            name = self._free_name(folder, note.title, taken)
        taken.add(name)
        path = self.directory / name
        if tracked is not None and name != tracked.name:
            old = self.directory / tracked.name
            if _read(old) not in (tracked.text, None):
                taken.discard(name)
                taken.add(tracked.name)
                return  # edited in DIR since the last round: read on the next one
            if old.exists():
                old.unlink()
                report.written.append(f"moved {tracked.name} to {name}")
        current = _read(path)
        if current == note.content:
            self._track(_Tracked(note.id, name, note.content, _stamp(path)))
            return
        if tracked is not None and name == tracked.name and current not in (tracked.text, None):
            return  # edited in DIR since the last round: read on the next one
        _write(path, note.content)
        report.written.append(f"wrote {name}")
        self._track(_Tracked(note.id, name, note.content, _stamp(path)))

    def _free_name(self, folder: str, title: str, taken: set[str]) -> str:
        base = safe_name(title)
        candidate, number = f"{folder}{base}.md", 1
        while candidate in taken or (self.directory / candidate).exists():
            number += 1
            candidate = f"{folder}{base} ({number}).md"
        return candidate

    def _write_conflicts(self, notes: dict[str, Note], report: MirrorReport) -> None:
        with self.client.store.transaction() as db:
            written = {
                row["note_id"] for row in db.rows("SELECT note_id FROM mirror_conflicts WHERE directory = ?", self.key)
            }
        tracked = self._tracked()
        for kept in self.client.kept_texts():
            if kept.note_id in written:
                continue
            beside = tracked.get(kept.note_id)
            stem = _stem(beside.name) if beside is not None else safe_name(kept.title)
            folder = beside.name.rpartition("/")[0] + "/" if beside is not None and "/" in beside.name else ""
            name = f"{folder}{stem}{CONFLICT_SUFFIX}"
            _write(self.directory / name, kept.content)
            with self.client.store.transaction() as db:
                db.run(
                    "INSERT OR REPLACE INTO mirror_conflicts (directory, note_id, name) VALUES (?, ?, ?)",
                    self.key,
                    kept.note_id,
                    name,
                )
            report.written.append(f"conflict: the server's text is in {stem}.md, this device's in {name}")

    def _write_media(self, notes: dict[str, Note], report: MirrorReport) -> None:
        with self.client.store.transaction() as db:
            rows = db.rows("SELECT media_id FROM mirror_media WHERE directory = ?", self.key)
            have = {row["media_id"] for row in rows}
        for note in notes.values():
            for media in note.media:
                if media.status != "ready" or media.media_id in have:
                    continue
                name = f"{MEDIA}/{note.id}/{media.media_id}{EXTENSIONS.get(media.content_type, '')}"
                _write(self.directory / name, self.client.download(note.id, media.media_id))
                with self.client.store.transaction() as db:
                    db.run(
                        "INSERT OR REPLACE INTO mirror_media (directory, media_id, name) VALUES (?, ?, ?)",
                        self.key,
                        media.media_id,
                        name,
                    )
                report.written.append(f"downloaded {name}")

    def _remove_media(self, note_id: str, report: MirrorReport) -> None:
        folder = f"{MEDIA}/{note_id}/"
        with self.client.store.transaction() as db:
            rows = db.rows("SELECT name FROM mirror_media WHERE directory = ? AND name LIKE ?", self.key, folder + "%")
            db.run("DELETE FROM mirror_media WHERE directory = ? AND name LIKE ?", self.key, folder + "%")
        for row in rows:
            (self.directory / row["name"]).unlink(missing_ok=True)
            report.written.append(f"removed {row['name']}")
        with contextlib.suppress(OSError):  # not empty: something of the user's is in it
            (self.directory / folder).rmdir()

    # ------------------------------------------------------------------ watching
    def watch(
        self,
        stop: threading.Event,
        socket_url: str | None = None,
        interval_seconds: float = 1.0,
        pull_seconds: float = 30.0,
        on_round: Callable[[MirrorReport], None] = lambda _: None,
    ) -> None:
        """Rounds until `stop` is set: whenever a file in DIR changed (looked at every
        `interval_seconds`), a poke arrived on `socket_url`, or, without a connected socket,
        every `pull_seconds`."""
        poked = threading.Event()
        listener = self.client.listen(socket_url, lambda _seq: poked.set()) if socket_url else None
        try:
            on_round(self.round())
            last_sync = _now()
            seen = self._fingerprint()
            while not stop.wait(interval_seconds):
                fingerprint = self._fingerprint()
                connected = listener is not None and listener.connected.is_set()
                due = not connected and _now() - last_sync >= pull_seconds
                if fingerprint == seen and not poked.is_set() and not due:
                    continue
                poked.clear()
                on_round(self.round())
                last_sync, seen = _now(), self._fingerprint()
        finally:
            if listener is not None:
                listener.stop()

    def _fingerprint(self) -> frozenset[tuple[str, str]]:
        """Every note and conflict file's name and stamp: what a round would read."""
        names: set[tuple[str, str]] = set()
        for folder in (self.directory, self.directory / TRASH):
            if folder.is_dir():
                for path in folder.glob("*.md"):
                    try:
                        names.add((str(path), _stamp(path)))
                    except FileNotFoundError:
                        continue
        return frozenset(names)


def _now() -> float:
    return time.monotonic()


def _stem(name: str) -> str:
    return name.rpartition("/")[2].removesuffix(".md")


def _numbered(name: str, title: str) -> bool:
    """Whether `name` is the title's name with a number added to tell it from another's."""
    stem, base = _stem(name), safe_name(title)
    return stem.startswith(f"{base} (") and stem.endswith(")") and stem[len(base) + 2 : -1].isdigit()
