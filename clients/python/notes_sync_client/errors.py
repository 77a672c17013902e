"""What can go wrong, as exceptions an app (or the `notes-sync` command) can tell apart."""

from typing import Any


class NotesSyncError(Exception):
    """Every error this package raises."""


class ApiError(NotesSyncError):
    """An answer that is not a success and not worth retrying unchanged (docs/errors.md): a problem
    document (`problem`, with its `type` name) or one of API Gateway's `{"message": ...}` bodies."""

    def __init__(self, status: int, body: Any, request_id: str | None = None) -> None:
        self.status = status
        self.body = body
        self.request_id = request_id
        self.problem: dict[str, Any] = body if isinstance(body, dict) and "type" in body else {}
        super().__init__(self.describe())

    @property
    def problem_type(self) -> str | None:
        """The problem's name (`version-conflict`), or None for a gateway answer."""
        kind = self.problem.get("type")
        return str(kind).rsplit("/", 1)[-1] if kind else None

    def describe(self) -> str:
        if self.problem:
            text = f"{self.status} {self.problem_type}: {self.problem.get('detail') or self.problem.get('title')}"
            for error in self.problem.get("errors") or []:
                text += f"\n  {error.get('pointer') or error.get('header')}: {error.get('detail')}"
        elif isinstance(self.body, dict) and "message" in self.body:
            text = f"{self.status} {self.body['message']}"
        else:
            text = f"{self.status} {str(self.body)[:200]}"
        return text + (f" (apigw-requestid {self.request_id})" if self.request_id else "")


class Unavailable(NotesSyncError):
    """The server could not be reached or kept failing (network errors, 5xx, 409 write-contention,
    429) after every retry the guide allows: nothing is lost, sync again later."""


class SignInRequired(NotesSyncError):
    """No tokens, or the refresh token was refused (revoked by a sign-out, expired): sign in again."""


class ProfileInUse(NotesSyncError):
    """The profile holds another account's notes: use another profile directory."""


class ResyncRequired(NotesSyncError):
    """Internal signal: the pull's cursor is older than the tombstone retention (410)."""
