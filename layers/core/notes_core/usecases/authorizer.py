"""The WebSocket API's $connect authorizer: a Cognito access token, checked as the HTTP API's JWT
authorizer checks one (notes_core.domain.tokens: signature by the pool's keys, issuer, app client,
expiry, not-before, issue time), plus what the HTTP API leaves to the functions: it must be an
access token (`token_use`), issued after the user's last sign-out, of an account not being deleted.

A token whose form cannot be right is refused before anything is fetched or read: the authorizer
has no identity source (so that either of the two places a token may come in will do) and runs
for every anonymous connection attempt.
"""

from dataclasses import dataclass
from functools import cache

from notes_core.data import jwks, table
from notes_core.domain import errors, tokens
from notes_core.runtime.config import TokenSettings, load_settings
from notes_core.runtime.observability import logger


@dataclass(frozen=True)
class Identity:
    user_id: str
    issued_at: int  # the token's `iat`


@cache
def _keys() -> jwks.KeySource:
    return jwks.KeySource(load_settings(TokenSettings).jwks_url)


def authorize(token: str | None) -> Identity:
    """Whose token this is; errors.NotAuthenticated for any token the connection must be refused
    for (the reason is logged, never the token)."""
    settings = load_settings(TokenSettings)
    try:
        kid = tokens.key_id(token)
        assert token is not None
        claims = tokens.verified_claims(
            token, _keys().keys_for(kid), settings.token_issuer, [settings.user_pool_client_id]
        )
    except tokens.TokenRefused as refused:
        logger.info("connection refused", extra={"reason": refused.refusal.value})
        raise errors.NotAuthenticated(refused.refusal.value) from None
    sub, issued_at = claims.get("sub"), claims.get("iat")
    if claims.get("token_use") != "access" or not isinstance(sub, str) or not isinstance(issued_at, int):
        logger.info("connection refused", extra={"reason": "not-an-access-token"})
        raise errors.NotAuthenticated("not-an-access-token")
    if table.get_user(sub).refuses(issued_at):
        logger.info("connection refused", extra={"reason": "signed-out"})
        raise errors.TokenRefused()
    return Identity(sub, issued_at)
