"""The signed-in user behind an authorized request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Taken only from the verified access token's claims, never from a path or body."""

    user_id: str
    username: str
    issued_at: int  # the token's `iat`, epoch seconds: writes refuse tokens older than a sign-out
    access_token: str


# The system's own writes (the media worker marking an upload ready, say) are made on a user's
# behalf with this issue time: later than any sign-out cut-off, so only an account deletion stops
# them. No verified token can carry it.
SYSTEM_ISSUED_AT = 2**53


def system_caller(user_id: str) -> Caller:
    return Caller(user_id=user_id, username=user_id, issued_at=SYSTEM_ISSUED_AT, access_token="")
