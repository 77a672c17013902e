"""The client: account, local edits, the sync loop (push, then pull), conflicts, images, pokes.

Each public method names the section of the sync guide (docs/sync-protocol.md) it implements."""

import base64
import contextlib
import json
import mimetypes
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from notes_sync_client.errors import ApiError, ProfileInUse, ResyncRequired, SignInRequired, Unavailable
from notes_sync_client.models import (
    ConflictHandler,
    FieldValue,
    KeptText,
    Media,
    Note,
    SyncReport,
    keep_device_text,
)
from notes_sync_client.pokes import PokeListener
from notes_sync_client.store import Store
from notes_sync_client.transport import Answer, Backoff, Http

PULL_PAGE = 200  # the server's default page
REFRESH_MARGIN_SECONDS = 30  # refresh an access token this close to its expiry before using it
# Image types the server takes (sync guide, "Images"); mimetypes may not know HEIC.
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
IMAGE_TYPES |= {".gif": "image/gif", ".heic": "image/heic"}
MAX_SYNC_ROUNDS = 5  # pushes that resolutions of conflicts may add, in one sync


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT the server issued (read, not verified: the server verifies it)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


class Client:
    """One profile of one user on one device.

    `profile` is a directory (its `state.sqlite3` holds everything); `on_conflict` decides what
    becomes of a conflict the server could not merge (default: the device's text is kept, as a new
    edit on the server's version); `on_progress` hears how many notes a pull has brought so far."""

    def __init__(
        self,
        api_url: str,
        profile: Path | str,
        *,
        on_conflict: ConflictHandler = keep_device_text,
        on_progress: Callable[[int], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.profile = Path(profile)
        self.store = Store(self.profile / "state.sqlite3")
        self.http = Http(api_url, transport=transport, backoff=backoff)
        self.on_conflict = on_conflict
        self.on_progress = on_progress
        self._sync_lock = threading.Lock()
        self._token_lock = threading.Lock()

    def close(self) -> None:
        self.http.close()
        self.store.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def device_id(self) -> str:
        """This installation's id (sync guide, "Push": made once, sent with every push)."""
        found = self.store.meta("device_id")
        assert found is not None
        return found

    @property
    def email(self) -> str | None:
        return self.store.meta("email")

    # ------------------------------------------------------------------ account
    def sign_up(self, email: str, password: str, full_name: str) -> None:
        """`POST /v1/auth/sign-up`: a code is sent to the address (README, "API v1")."""
        body = {"email": email, "password": password, "full_name": full_name}
        self._ok(self.http.send("POST", "/v1/auth/sign-up", body=body))

    def confirm(self, email: str, code: str) -> None:
        """`POST /v1/auth/confirm` with the emailed code."""
        self._ok(self.http.send("POST", "/v1/auth/confirm", body={"email": email, "code": code}))

    def sign_in(self, email: str, password: str) -> None:
        """`POST /v1/auth/sign-in`; the tokens are kept in the profile. A profile holds one
        account: signing in to another one there is refused (ProfileInUse)."""
        answer = self._ok(self.http.send("POST", "/v1/auth/sign-in", body={"email": email, "password": password}))
        user_id = str(_claims(answer.body["access_token"])["sub"])
        known = self.store.meta("user_id")
        if known is not None and known != user_id and (self.store.notes() or self.store.outbox()):
            raise ProfileInUse(f"this profile holds the notes of {self.store.meta('email')}: use another one")
        if known is not None and known != user_id:
            self.store.forget_account()
        self._keep_tokens(answer.body, email=email, user_id=user_id)

    def sign_out(self) -> None:
        """Sync guide, "Signing out and tokens": `POST /v1/auth/sign-out` signs the user out on
        every device (refresh tokens revoked); the tokens here are forgotten. Notes and unsent
        changes stay in the profile for the next sign-in to the same account."""
        with contextlib.suppress(SignInRequired):  # signed out already
            self._authorized("POST", "/v1/auth/sign-out")
        self.store.set_meta({"access_token": None, "id_token": None, "refresh_token": None, "expires_at": None})

    def refresh(self) -> str:
        """Sync guide, "Signing out and tokens": `POST /v1/auth/refresh`. Its answer carries no
        new refresh token: the one kept stays (it lasts `RefreshTokenValidityDays`). A refused
        refresh token (revoked by a sign-out, or expired) means signing in again."""
        with self._token_lock:
            refresh_token = self.store.meta("refresh_token")
            if refresh_token is None:
                raise SignInRequired("not signed in")
            answer = self.http.send("POST", "/v1/auth/refresh", body={"refresh_token": refresh_token})
            if answer.status == 401:
                self.store.set_meta({"access_token": None, "id_token": None, "refresh_token": None})
                raise SignInRequired("the session ended (signed out elsewhere, or expired): sign in again")
            self._keep_tokens(self._ok(answer).body)
            token = self.store.meta("access_token")
            assert token is not None
            return token

    def access_token(self) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        token, expires_at = self.store.meta("access_token"), self.store.meta("expires_at")
        if token is None and self.store.meta("refresh_token") is None:
            raise SignInRequired("not signed in")
        if token is None or expires_at is None or float(expires_at) - REFRESH_MARGIN_SECONDS < time.time():
            return self.refresh()
        return token

    def register_push_token(self, platform: str, token: str) -> None:
        """`PUT /v1/devices/{device_id}` (`platform`: fcm, apns or apns_sandbox): the server sends
        this device a silent push when its notes change while it is in the background."""
        self._ok(self._authorized("PUT", f"/v1/devices/{self.device_id}", body={"platform": platform, "token": token}))

    def listen(self, url: str, on_poke: Callable[[int | None], None]) -> PokeListener:
        """Sync guide, "Realtime: pokes and silent pushes": a started listener on the WebSocket
        `url` that calls `on_poke` on every poke and (re)connect; the app then calls `sync()`."""
        return PokeListener(self, url, on_poke, self.http.backoff).start()

    def on_silent_push(self) -> SyncReport:
        """What the app calls when a silent push arrives: it carries no data, so sync."""
        return self.sync()

    def _keep_tokens(self, tokens: Mapping[str, Any], **more: str) -> None:
        values: dict[str, str | None] = {
            "access_token": str(tokens["access_token"]),
            "id_token": str(tokens["id_token"]),
            "expires_at": str(time.time() + int(tokens["expires_in"])),
            **more,
        }
        if "refresh_token" in tokens:
            values["refresh_token"] = str(tokens["refresh_token"])
        self.store.set_meta(values)

    # ------------------------------------------------------------------ notes on the device
    def notes(self, trashed: bool | None = False) -> list[Note]:
        """The device's notes (the trash with `trashed=True`, both with None)."""
        return self.store.notes(trashed)

    def note(self, note_id: str) -> Note | None:
        found = self.store.note(note_id)
        return None if found is None or found.deleted else found

    def create(self, title: str, content: str = "", trashed: bool = False) -> str:
        """A new note, its id made on the device (sync guide, "The note"); pushed on the next sync."""
        return self.store.create(title, content, trashed)

    def edit(self, note_id: str, **fields: FieldValue) -> Note:
        """Change `title`, `content` or `trashed` (sync guide, "The outbox, step by step")."""
        unknown = set(fields) - {"title", "content", "trashed"}
        if unknown:
            raise TypeError(f"not note fields: {sorted(unknown)}")
        return self.store.edit(note_id, fields)

    def trash(self, note_id: str) -> Note:
        """Sync guide, "The trash": `trashed` is a field like the others."""
        return self.edit(note_id, trashed=True)

    def restore(self, note_id: str) -> Note:
        return self.edit(note_id, trashed=False)

    def delete(self, note_id: str) -> None:
        """Delete for good (sync guide, "The outbox, step by step": a delete)."""
        self.store.delete(note_id)

    def kept_texts(self) -> list[KeptText]:
        """The device's texts of conflicts resolved with the server's copy, not dismissed yet."""
        return self.store.kept_texts()

    def dismiss_kept_text(self, note_id: str) -> None:
        self.store.dismiss_kept_text(note_id)

    # ------------------------------------------------------------------ sync
    def sync(self) -> SyncReport:
        """Sync guide, "The loop": push the outbox (the push in flight first, byte for byte), then
        pull every page since the cursor; conflicts waiting for the server's copy are resolved
        with it. Raises Unavailable when the server cannot be reached after the guide's retries:
        nothing is lost, sync again later."""
        report = SyncReport()
        with self._sync_lock:
            for _ in range(MAX_SYNC_ROUNDS):
                self._push(report)
                self._pull(report)
                self._resolve_held()
                self._refetch()
                if not any(entry.state == "pending" for entry in self.store.outbox()):
                    break
        return report

    def _push(self, report: SyncReport) -> None:
        """Sync guide, "Push" and "The outbox, step by step": until nothing is pending."""
        while (body := self.store.push_body(self.device_id)) is not None:
            answer = self._ok(self._authorized("POST", "/v1/sync", raw_body=body.encode()))
            self.store.finish_push(answer.body["results"], self.on_conflict, report)

    def _pull(self, report: SyncReport) -> None:
        """Sync guide, "Pull": every page since the cursor, each applied with its cursor; on 410
        ("Tombstones and resync") from the beginning, keeping the outbox."""
        while True:
            cursor = self.store.meta("cursor")
            try:
                page = self._page(cursor)
            except ResyncRequired:
                self.store.start_resync()
                report.resynced = True
                continue
            report.pulled += self.store.apply_page(page["changes"], page["cursor"], self.on_conflict)
            if self.on_progress is not None:
                self.on_progress(report.pulled)
            if not page["has_more"]:
                self.store.finish_resync()
                return

    def _page(self, cursor: str | None) -> dict[str, Any]:
        params = {"limit": str(PULL_PAGE)} | ({"cursor": cursor} if cursor else {})
        answer = self._authorized("GET", "/v1/sync", params=params)
        if answer.status == 410:
            raise ResyncRequired()
        page: dict[str, Any] = self._ok(answer).body
        return page

    def _resolve_held(self) -> None:
        """Conflicts answered without the server's copy (`note_omitted`) that the pull did not
        bring: the copy is read with `GET /v1/notes/{id}` (404: the note is gone)."""
        for note_id in self.store.held():
            self.store.resolve_held(note_id, self._server_note(note_id), self.on_conflict)

    def _refetch(self) -> None:
        for note_id in self.store.refetched():
            self.store.apply_refetch(note_id, self._server_note(note_id))

    def _server_note(self, note_id: str) -> Note | None:
        answer = self._authorized("GET", f"/v1/notes/{note_id}")
        if answer.status == 404:
            return None
        return Note.from_api(self._ok(answer).body)

    # ------------------------------------------------------------------ server-side reads
    def history(self, note_id: str) -> list[dict[str, Any]]:
        """Sync guide, "Revisions": every revision kept, newest first."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
            page = self._ok(self._authorized("GET", f"/v1/notes/{note_id}/revisions", params=params)).body
            found += page["revisions"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    def revision(self, note_id: str, version: int) -> dict[str, Any]:
        """Sync guide, "Revisions": one revision's whole text."""
        found: dict[str, Any] = self._ok(self._authorized("GET", f"/v1/notes/{note_id}/revisions/{version}")).body
        return found

    # ------------------------------------------------------------------ images
    def attach(
        self, note_id: str, data: bytes, content_type: str, *, media_id: str | None = None, wait_seconds: float = 60
    ) -> Media:
        """Sync guide, "Images": the note is pushed first; a slot is reserved under a `media_id`
        made here (asked again after a lost answer, the same slot); the file goes to the presigned
        POST; then the server's check is awaited (`ready` or `rejected`). Reserving the slot and
        its check are new versions of the note, which the next pull brings."""
        note = self.note(note_id)
        if note is None:
            raise KeyError(note_id)
        if note.version is None or any(entry.note_id == note_id for entry in self.store.outbox()):
            self.sync()
        media_id = media_id or str(uuid.uuid4())
        slot = self._ok(
            self._authorized(
                "POST",
                f"/v1/notes/{note_id}/media",
                body={"content_type": content_type, "size": len(data), "media_id": media_id},
            )
        ).body
        if slot["upload"] is not None:
            posted = self.http.post_form(slot["upload"]["url"], slot["upload"]["fields"], data, media_id)
            if not posted.ok:
                raise ApiError(posted.status, posted.body)
        deadline = time.monotonic() + wait_seconds
        while True:
            media = self._ok(self._authorized("GET", f"/v1/notes/{note_id}/media/{media_id}")).body
            if media["status"] != "pending" or time.monotonic() > deadline:
                return Media.from_api(media)
            time.sleep(0.25)

    def attach_file(self, note_id: str, path: Path | str) -> Media:
        path = Path(path)
        content_type = IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        if content_type is None:
            raise ValueError(f"{path.name}: not an image type the server takes (jpeg, png, webp, gif, heic)")
        return self.attach(note_id, path.read_bytes(), content_type)

    def download(self, note_id: str, media_id: str) -> bytes:
        """Sync guide, "Images", step 3: a ready image's short-lived link, fetched now."""
        media = self._ok(self._authorized("GET", f"/v1/notes/{note_id}/media/{media_id}")).body
        if media["status"] != "ready" or not media.get("url"):
            raise ApiError(409, {"message": f"the image is {media['status']}"})
        return self.http.get_bytes(media["url"])

    # ------------------------------------------------------------------ HTTP
    def _authorized(self, method: str, path: str, **kwargs: Any) -> Answer:
        """An API call with the access token; on a 401, the tokens are refreshed once and the call
        sent again (sync guide, "Retries, backoff and rate limits")."""
        answer = self.http.send(method, path, token=self.access_token(), **kwargs)
        if answer.status == 401:
            answer = self.http.send(method, path, token=self.refresh(), **kwargs)
            if answer.status == 401:
                raise SignInRequired("the server refuses this session: sign in again")
        return answer

    @staticmethod
    def _ok(answer: Answer) -> Answer:
        if not answer.ok:
            raise ApiError(answer.status, answer.body, answer.request_id)
        return answer


__all__ = ["Client", "Unavailable"]
