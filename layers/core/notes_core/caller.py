"""The signed-in user behind an authorized request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Taken only from the verified access token's claims, never from a path or body."""

    user_id: str
    username: str
    issued_at: int  # the token's `iat`, epoch seconds: writes refuse tokens older than a sign-out
    access_token: str
