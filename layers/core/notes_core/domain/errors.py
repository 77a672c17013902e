"""Domain exceptions: what went wrong, in the product's own terms.

They carry no HTTP status: notes_core.contract.problems maps each class to a status and an RFC 9457
problem type in one table, so the mapping lives in exactly one place.
"""

from typing import Any


class DomainError(Exception):
    """Base of every error a client caused or must be told about."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class MalformedRequest(DomainError):
    """The request cannot be read at all (malformed JSON, bad cursor, bad header)."""


class InvalidInput(DomainError):
    """The request was read but its content breaks a rule (unknown field, too long, weak password)."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail, errors=errors or [])


class WeakPassword(InvalidInput):
    """The password does not meet the user pool's password policy."""

    def __init__(self, detail: str, pointer: str = "/password") -> None:
        super().__init__(detail, errors=[{"pointer": pointer, "detail": detail}])


class UnsupportedMediaType(DomainError):
    """The body's content type is not one this route accepts."""


class PayloadTooLarge(DomainError):
    """The body or the declared upload is larger than the limit."""


class NotAuthenticated(DomainError):
    """Wrong credentials, or a token that is no longer accepted (signed out, account deleted)."""


class TokenRefused(NotAuthenticated):
    """A write with a token issued before the user's last sign-out, or to an account being deleted."""

    def __init__(self) -> None:
        super().__init__("This token was issued before a sign-out, or the account is being deleted.")


class UserNotConfirmed(DomainError):
    """The account exists but its email address was never confirmed."""


class WrongPassword(DomainError):
    """The current password given to change it is wrong (the caller is signed in: not a 401)."""


class NotFound(DomainError):
    """No such resource for this caller (another user's resource looks the same as none)."""


class AlreadyExists(DomainError):
    """The resource exists already with other content (an email taken, a note id reused)."""


class WriteContention(DomainError):
    """Other writes to the same notes kept winning; the request is safe to retry."""


class PreconditionFailed(DomainError):
    """The change was based on a version whose fields have changed since: a conflict. The
    problem carries the server's copy so the client can merge."""


class PreconditionRequired(DomainError):
    """An update must say which version it was made on (If-Match or base_version)."""


class ResyncRequired(DomainError):
    """The cursor is older than the tombstone retention: deletions may have been forgotten, so
    the client must sync again from the beginning."""


class MediaLimitReached(DomainError):
    """The note already has its five images (pending uploads included)."""


class PushNotConfigured(DomainError):
    """A push token for a platform this deployment sends no pushes to (its SNS platform
    application was not given)."""


class InvalidCode(DomainError):
    """A confirmation or reset code is wrong or has expired."""


class RateLimited(DomainError):
    """Too many attempts; the client should wait before trying again."""


class RequestLimitReached(DomainError):
    """A per-client limit of a public auth route is used up for now (too many requests from one
    source IP address, or for one email address): nothing was done; the client may try again in
    `retry_after` seconds, when the limit's window ends."""

    def __init__(self, detail: str, retry_after: int, limit: dict[str, Any]) -> None:
        super().__init__(detail, limit=limit, retry_after=retry_after)
        self.retry_after = retry_after
