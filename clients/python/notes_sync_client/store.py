"""The device's state in one SQLite file: notes, the outbox, the push in flight, the cursor, the
device id and the tokens. Every state transition of the sync guide's outbox ("The outbox, step by
step") is one method here and one transaction, so a process killed at any point restarts from a
state the guide allows: nothing is lost, nothing is sent twice in a way the server cannot recognise.

Outbox rows are `pending` (made here, never sent: they may still change), `in_flight` (written into
the push body kept in `push`, sent or about to be: frozen until answered) or `held` (answered
`conflict` without the server's copy: waiting for it). The push body is stored before it is sent
and replayed byte for byte until an answer is applied."""

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from notes_sync_client.models import (
    FIELDS,
    Conflict,
    ConflictHandler,
    FieldValue,
    KeptText,
    Media,
    Note,
    Resolution,
    SyncReport,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    trashed INTEGER NOT NULL DEFAULT 0,
    version INTEGER,                      -- the server version this copy is based on, NULL: not answered yet
    removed INTEGER NOT NULL DEFAULT 0,   -- deleted here, the delete not answered yet
    created_at TEXT, updated_at TEXT, trashed_at TEXT,
    media TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),  -- upsert: a create (base_version NULL) or an update
    base_version INTEGER,
    fields TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'held')),
    solo INTEGER NOT NULL DEFAULT 0,      -- answered merge-budget: sent again in a push of its own
    conflicting TEXT                      -- held: the conflicting fields
);
CREATE INDEX IF NOT EXISTS outbox_by_note ON outbox (note_id, seq);
CREATE TABLE IF NOT EXISTS push (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kept_texts (
    note_id TEXT PRIMARY KEY, title TEXT NOT NULL, content TEXT NOT NULL, server_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refetch (note_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS resync_seen (note_id TEXT PRIMARY KEY);
"""

MAX_PUSH_CHANGES = 100  # sync guide, "Push": at most 100 changes per push
MAX_PUSH_BYTES = 4 * 1024 * 1024  # and keep the body under 5 MiB


@dataclass(frozen=True)
class Entry:
    seq: int
    note_id: str
    op: str
    base_version: int | None
    fields: dict[str, FieldValue]
    state: str
    solo: bool

    def change(self) -> dict[str, Any]:
        """The change as the push sends it (sync guide, "Push"): a create, an update or a delete.
        (The outbox keeps a create or an update as an `upsert` row, told apart by its base version,
        as the wire's first form did: stores written before create and update keep working.)"""
        if self.op == "delete":
            return {"op": "delete", "id": self.note_id, "base_version": self.base_version}
        if self.base_version is None:
            return {"op": "create", "id": self.note_id, **self.fields}
        return {"op": "update", "id": self.note_id, "base_version": self.base_version, **self.fields}


class Store:
    """One profile's state. Thread-safe: each method is one transaction under one lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit off by hand: every transaction is BEGIN IMMEDIATE ... COMMIT (see `transaction`).
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")  # a committed transition survives power loss too
        self.connection.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.RLock()
        with self.transaction() as db:
            db.executescript_in_transaction(SCHEMA)
            if db.meta("device_id") is None:
                # Sync guide, "Push": one id per installation, made once, sent with every push.
                db.set_meta("device_id", uuid.uuid4().hex)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator["Tx"]:
        with self._lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self.connection)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    # ------------------------------------------------------------------ reads
    def meta(self, key: str) -> str | None:
        with self.transaction() as db:
            return db.meta(key)

    def note(self, note_id: str) -> Note | None:
        with self.transaction() as db:
            return db.note(note_id)

    def notes(self, trashed: bool | None = None) -> list[Note]:
        """The notes the device shows: neither deleted here nor tombstones; `trashed` filters."""
        with self.transaction() as db:
            return db.notes(trashed)

    def outbox(self) -> list[Entry]:
        with self.transaction() as db:
            return db.entries()

    def kept_texts(self) -> list[KeptText]:
        with self.transaction() as db:
            rows = db.rows("SELECT * FROM kept_texts ORDER BY note_id")
            return [KeptText(r["note_id"], r["title"], r["content"], r["server_version"]) for r in rows]

    def dismiss_kept_text(self, note_id: str) -> None:
        with self.transaction() as db:
            db.run("DELETE FROM kept_texts WHERE note_id = ?", note_id)

    def set_meta(self, values: Mapping[str, str | None]) -> None:
        with self.transaction() as db:
            for key, value in values.items():
                db.set_meta(key, value)

    # ------------------------------------------------------------------ local edits
    def create(self, title: str, content: str, trashed: bool = False, note_id: str | None = None) -> str:
        """A note made on the device: its id is made here (sync guide, "The note"), its create waits
        in the outbox with `base_version: null`."""
        note_id = note_id or str(uuid.uuid4())
        with self.transaction() as db:
            db.put_note(Note(note_id, title, content, trashed))
            fields: dict[str, FieldValue] = {"title": title, "content": content}
            if trashed:
                fields["trashed"] = True
            db.append(note_id, "upsert", None, fields)
        return note_id

    def edit(self, note_id: str, fields: Mapping[str, FieldValue]) -> Note:
        """An edit of title, content or trashed (sync guide, "The outbox, step by step": an edit).

        It folds into the note's last outbox change if that one is still pending (never sent); if
        the last one is in flight or held, or there is none, it becomes a new pending change based
        on the version the device's copy is based on (1 after a create not answered yet). It never
        changes a change in flight."""
        with self.transaction() as db:
            note = db.note(note_id)
            if note is None or note.deleted:
                raise KeyError(note_id)
            changed = {name: value for name, value in fields.items() if note.value(name) != value}
            if not changed:
                return note
            db.put_note(replace(note, **changed))  # type: ignore[arg-type]  # names checked by FIELDS
            last = db.last_entry(note_id)
            if last is not None and last.state == "pending" and last.op == "upsert":
                db.run("UPDATE outbox SET fields = ? WHERE seq = ?", _json({**last.fields, **changed}), last.seq)
            else:
                db.append(note_id, "upsert", note.version or 1, changed)
            found = db.note(note_id)
            assert found is not None
            return found

    def delete(self, note_id: str) -> None:
        """A delete on the device (sync guide, "The outbox, step by step": a delete). A note whose
        create was never sent is simply forgotten: nothing goes to the server. Otherwise the note's
        pending changes are dropped and a delete based on the device's version waits instead."""
        with self.transaction() as db:
            note = db.note(note_id)
            if note is None or note.deleted:
                raise KeyError(note_id)
            entries = db.entries(note_id)
            unsent_create = entries and entries[0].base_version is None and entries[0].op == "upsert"
            if unsent_create and all(entry.state == "pending" for entry in entries):
                db.run("DELETE FROM outbox WHERE note_id = ?", note_id)
                db.run("DELETE FROM notes WHERE id = ?", note_id)
                return
            db.run("DELETE FROM outbox WHERE note_id = ? AND state = 'pending'", note_id)
            db.run("UPDATE notes SET removed = 1 WHERE id = ?", note_id)
            db.append(note_id, "delete", note.version or 1, {})

    # ------------------------------------------------------------------ push
    def push_body(self, device_id: str) -> str | None:
        """The push to send now (sync guide, "The outbox, step by step": sending). The push in
        flight, if any, byte for byte; else a new one made of the oldest pending changes (at most
        100, under 4 MiB; a change answered merge-budget alone), which become in flight in the same
        transaction as the body is kept. None when there is nothing to send."""
        with self.transaction() as db:
            kept = db.rows("SELECT body FROM push WHERE id = 1")
            if kept:
                return str(kept[0]["body"])
            held = {row["note_id"] for row in db.rows("SELECT DISTINCT note_id FROM outbox WHERE state = 'held'")}
            chosen: list[Entry] = []
            size = 0
            for entry in db.entries(state="pending"):
                if entry.note_id in held:
                    continue  # its conflict is resolved first, and that decides these changes
                text = _json(entry.change())
                if chosen and (entry.solo or chosen[0].solo or len(chosen) == MAX_PUSH_CHANGES):
                    break
                if chosen and size + len(text.encode()) > MAX_PUSH_BYTES:
                    break
                chosen.append(entry)
                size += len(text.encode())
            if not chosen:
                return None
            body = _json({"device_id": device_id, "changes": [entry.change() for entry in chosen]})
            db.run("INSERT INTO push (id, body) VALUES (1, ?)", body)
            for entry in chosen:
                db.run("UPDATE outbox SET state = 'in_flight' WHERE seq = ?", entry.seq)
            return body

    def finish_push(self, results: Sequence[Mapping[str, Any]], resolve: ConflictHandler, report: SyncReport) -> None:
        """The answer to the push in flight, applied in one transaction with the notes (sync guide,
        "The outbox, step by step": answers). `applied`: the change leaves the outbox; the device's
        copy becomes the answered note unless later changes of the note wait (they are on top of
        it). `conflict`: resolved now with the server's copy (`resolve`), held until the copy comes
        when the answer left it out, or, for `merge-budget`, sent again alone. `rejected`: dropped
        (a 404 is a note gone from the server: a conflict with its deletion)."""
        with self.transaction() as db:
            flying = db.entries(state="in_flight")
            if len(flying) != len(results):
                raise ValueError(f"{len(results)} results for {len(flying)} changes in flight")
            latest: dict[str, Note] = {}
            conflicts: dict[str, tuple[str, ...]] = {}
            touched: set[str] = set()
            for entry, result in zip(flying, results, strict=True):
                db.run("DELETE FROM outbox WHERE seq = ?", entry.seq)
                touched.add(entry.note_id)
                if result.get("note") is not None:
                    answered = Note.from_api(result["note"])
                    if (answered.version or 0) >= (
                        latest[entry.note_id].version or 0 if entry.note_id in latest else 0
                    ):
                        latest[entry.note_id] = answered
                conflict = db.answered(entry, result, report)
                if conflict is not None:
                    conflicts[entry.note_id] = conflict
                    latest.setdefault(entry.note_id, _gone(entry.note_id))
            db.run("DELETE FROM push WHERE id = 1")
            for note_id in touched:
                if note_id in conflicts:
                    db.resolve(note_id, latest[note_id], conflicts[note_id], resolve)
                elif note_id in latest and not db.entries(note_id):
                    db.adopt(latest[note_id])

    def held(self) -> list[str]:
        """Notes whose conflict waits for the server's copy."""
        with self.transaction() as db:
            return [row["note_id"] for row in db.rows("SELECT DISTINCT note_id FROM outbox WHERE state = 'held'")]

    def resolve_held(self, note_id: str, server: Note | None, resolve: ConflictHandler) -> None:
        """A held conflict meets the server's copy (None: the note is gone)."""
        with self.transaction() as db:
            held = [entry for entry in db.entries(note_id) if entry.state == "held"]
            if held:
                fields = tuple(json.loads(db.conflicting(held[-1].seq)))
                db.resolve(note_id, server or _gone(note_id), fields, resolve)

    def refetched(self) -> list[str]:
        with self.transaction() as db:
            return [row["note_id"] for row in db.rows("SELECT note_id FROM refetch")]

    def apply_refetch(self, note_id: str, server: Note | None) -> None:
        """The server's copy of a note whose change was rejected: the device takes it."""
        with self.transaction() as db:
            db.run("DELETE FROM refetch WHERE note_id = ?", note_id)
            if not db.entries(note_id):
                db.adopt(server or _gone(note_id))

    # ------------------------------------------------------------------ pull
    def apply_page(self, changes: Sequence[Mapping[str, Any]], cursor: str, resolve: ConflictHandler) -> int:
        """One page of the feed, applied with its cursor in one transaction (sync guide, "Pull"):
        each note replaces the device's copy (a tombstone removes it) unless changes of the note
        wait in the outbox; a held conflict takes it as the server's copy."""
        with self.transaction() as db:
            resyncing = db.meta("resync") == "1"
            for raw in changes:
                note = Note.from_api(raw)
                if resyncing:
                    db.run("INSERT OR IGNORE INTO resync_seen (note_id) VALUES (?)", note.id)
                entries = db.entries(note.id)
                if any(entry.state == "held" for entry in entries):
                    held = [entry for entry in entries if entry.state == "held"]
                    db.resolve(note.id, note, tuple(json.loads(db.conflicting(held[-1].seq))), resolve)
                elif not entries:
                    db.adopt(note)
            db.set_meta("cursor", cursor)
            return len(changes)

    def start_resync(self) -> None:
        """410 resync-required (sync guide, "Tombstones and resync"): forget the cursor and pull from
        the beginning; the outbox stays and is pushed as always."""
        with self.transaction() as db:
            db.set_meta("cursor", None)
            db.set_meta("resync", "1")
            db.run("DELETE FROM resync_seen")

    def finish_resync(self) -> None:
        """After the last page of a resync: notes the feed no longer has, with nothing of them in the
        outbox, are gone."""
        with self.transaction() as db:
            if db.meta("resync") != "1":
                return
            db.run(
                "DELETE FROM notes WHERE version IS NOT NULL AND id NOT IN (SELECT note_id FROM resync_seen)"
                " AND id NOT IN (SELECT note_id FROM outbox)"
            )
            db.run("DELETE FROM resync_seen")
            db.set_meta("resync", None)

    def note_media(self, note_id: str, media: Sequence[Media]) -> None:
        with self.transaction() as db:
            db.run("UPDATE notes SET media = ? WHERE id = ?", _json([m.__dict__ for m in media]), note_id)

    def forget_account(self) -> None:
        """Everything but the device id: for a profile handed to another account."""
        with self.transaction() as db:
            for table in ("notes", "outbox", "push", "kept_texts", "refetch", "resync_seen"):
                db.run(f"DELETE FROM {table}")  # table names: this module's own
            for key in ("cursor", "resync", "user_id", "email", "access_token", "id_token", "refresh_token"):
                db.set_meta(key, None)


def _gone(note_id: str) -> Note:
    return Note(note_id, "", "", deleted=True, version=0)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Tx:
    """The statements of one transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def run(self, sql: str, *parameters: Any) -> None:
        self.connection.execute(sql, parameters)

    def rows(self, sql: str, *parameters: Any) -> list[sqlite3.Row]:
        return self.connection.execute(sql, parameters).fetchall()

    def executescript_in_transaction(self, script: str) -> None:
        """`executescript` commits first; these statements stay in the transaction."""
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.connection.execute(statement)
                statement = ""

    def meta(self, key: str) -> str | None:
        found = self.rows("SELECT value FROM meta WHERE key = ?", key)
        return str(found[0]["value"]) if found else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.run("DELETE FROM meta WHERE key = ?", key)
        else:
            self.run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value)

    def note(self, note_id: str) -> Note | None:
        found = self.rows("SELECT * FROM notes WHERE id = ?", note_id)
        return _note(found[0]) if found else None

    def notes(self, trashed: bool | None) -> list[Note]:
        rows = self.rows("SELECT * FROM notes WHERE removed = 0 ORDER BY updated_at DESC, title, id")
        return [note for note in map(_note, rows) if trashed is None or note.trashed == trashed]

    def put_note(self, note: Note) -> None:
        self.run(
            "INSERT OR REPLACE INTO notes (id, title, content, trashed, version, removed, created_at, updated_at,"
            " trashed_at, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            note.id,
            note.title,
            note.content,
            int(note.trashed),
            note.version,
            int(note.deleted),
            note.created_at,
            note.updated_at,
            note.trashed_at,
            _json([m.__dict__ for m in note.media]),
        )

    def adopt(self, server: Note) -> None:
        """The server's copy becomes the device's (a tombstone removes it)."""
        if server.deleted:
            self.run("DELETE FROM notes WHERE id = ?", server.id)
        else:
            self.put_note(server)

    def entries(self, note_id: str | None = None, state: str | None = None) -> list[Entry]:
        sql, parameters = "SELECT * FROM outbox WHERE 1 = 1", list[Any]()
        if note_id is not None:
            sql, parameters = sql + " AND note_id = ?", [*parameters, note_id]
        if state is not None:
            sql, parameters = sql + " AND state = ?", [*parameters, state]
        return [_entry(row) for row in self.rows(sql + " ORDER BY seq", *parameters)]

    def last_entry(self, note_id: str) -> Entry | None:
        found = self.entries(note_id)
        return found[-1] if found else None

    def conflicting(self, seq: int) -> str:
        return str(self.rows("SELECT conflicting FROM outbox WHERE seq = ?", seq)[0]["conflicting"] or "[]")

    def append(self, note_id: str, op: str, base_version: int | None, fields: Mapping[str, FieldValue]) -> None:
        self.run(
            "INSERT INTO outbox (note_id, op, base_version, fields, state) VALUES (?, ?, ?, ?, 'pending')",
            note_id,
            op,
            base_version,
            _json(dict(fields)),
        )

    def restore(self, entry: Entry, state: str, solo: bool = False, conflicting: tuple[str, ...] = ()) -> None:
        """An answered change back in the outbox, in its place (its seq)."""
        self.run(
            "INSERT INTO outbox (seq, note_id, op, base_version, fields, state, solo, conflicting)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            entry.seq,
            entry.note_id,
            entry.op,
            entry.base_version,
            _json(entry.fields),
            state,
            int(solo),
            _json(list(conflicting)),
        )

    def answered(self, entry: Entry, result: Mapping[str, Any], report: SyncReport) -> tuple[str, ...] | None:
        """One change's result: the conflicting fields of a conflict to resolve now, else None
        (the change was applied, dropped, held or put back)."""
        status = result["status"]
        report.pushed += 1
        if status == "applied":
            report.applied += 1
            report.merged += bool(result.get("merged_fields"))
        elif status == "conflict" and result.get("conflict_reason") == "merge-budget":
            self.restore(entry, state="pending", solo=True)  # nothing applied: again, in a push of its own
        elif status == "conflict":
            report.conflicts += 1
            fields = tuple(result.get("conflicting_fields") or ())
            if result.get("note") is not None:
                return fields
            self.restore(entry, state="held", conflicting=fields)  # note_omitted: pull it, then resolve
        elif (result.get("problem") or {}).get("status") == 404:  # gone from the server: deleted there
            report.conflicts += 1
            return tuple(entry.fields)
        else:
            report.rejected.append(f"{entry.note_id}: {(result.get('problem') or {}).get('detail')}")
            self.run("INSERT OR IGNORE INTO refetch (note_id) VALUES (?)", entry.note_id)
        return None

    def resolve(self, note_id: str, server: Note, fields: tuple[str, ...], resolve: ConflictHandler) -> None:
        """A conflict with the server's copy `server` (sync guide, "Conflicts"): the app's handler
        chooses, on the device's copy as it stands (every unsent edit in it). Whatever it chooses
        replaces the note's waiting changes; its new change is based on the server's version."""
        local = self.note(note_id)
        device_copy = None if local is None or local.deleted else local
        resolution: Resolution = resolve(Conflict(note_id, device_copy, server, fields))
        self.run("DELETE FROM outbox WHERE note_id = ? AND state != 'in_flight'", note_id)
        if resolution.keep == "server" or (resolution.keep == "local" and device_copy is None and server.deleted):
            if (
                device_copy is not None
                and not server.deleted
                and (
                    device_copy.title,
                    device_copy.content,
                )
                != (server.title, server.content)
            ):
                self.run(
                    "INSERT INTO kept_texts (note_id, title, content, server_version) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (note_id) DO UPDATE SET title = excluded.title, content = excluded.content,"
                    " server_version = excluded.server_version",
                    note_id,
                    device_copy.title,
                    device_copy.content,
                    server.version,
                )
            elif device_copy is not None and server.deleted:  # deleted elsewhere: kept as a new note
                self.run(
                    "INSERT OR REPLACE INTO kept_texts (note_id, title, content, server_version) VALUES (?, ?, ?, 0)",
                    note_id,
                    device_copy.title,
                    device_copy.content,
                )
            self.adopt(server)
            return
        if resolution.keep == "local" and device_copy is None:  # delete the server's version
            self.put_note(replace(server, deleted=True))
            self.append(note_id, "delete", server.version, {})
            return
        wanted: dict[str, FieldValue] = (
            {name: device_copy.value(name) for name in FIELDS}
            if resolution.keep == "local" and device_copy is not None
            else {**{name: server.value(name) for name in FIELDS}, **dict(resolution.fields)}
        )
        if server.deleted:  # deleted elsewhere: the device's text comes back as a new note
            self.run("DELETE FROM notes WHERE id = ?", note_id)
            new_id = str(uuid.uuid4())
            title, content = str(wanted["title"]), str(wanted["content"])
            self.put_note(Note(new_id, title, content, bool(wanted["trashed"])))
            created: dict[str, FieldValue] = {"title": title, "content": content}
            if wanted["trashed"]:
                created["trashed"] = True
            self.append(new_id, "upsert", None, created)
            return
        self.put_note(replace(server, **wanted))  # type: ignore[arg-type]  # FIELDS only
        changed = {name: value for name, value in wanted.items() if server.value(name) != value}
        if changed:
            self.append(note_id, "upsert", server.version, changed)


def _note(row: sqlite3.Row) -> Note:
    return Note(
        id=row["id"],
        title=row["title"],
        content=row["content"],
        trashed=bool(row["trashed"]),
        version=row["version"],
        deleted=bool(row["removed"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        trashed_at=row["trashed_at"],
        media=tuple(Media(**item) for item in json.loads(row["media"])),
    )


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        seq=row["seq"],
        note_id=row["note_id"],
        op=row["op"],
        base_version=row["base_version"],
        fields=json.loads(row["fields"]),
        state=row["state"],
        solo=bool(row["solo"]),
    )
