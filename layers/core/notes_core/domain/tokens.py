"""The checks an API Gateway JWT authorizer makes of a Cognito token, with a reason for each refusal.

"Control access to HTTP APIs with JWT authorizers in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html) lists
them: the token is decoded; its algorithm (RSA only) and signature are checked against the issuer's
keys (JWKS) by its `kid`; then `iss`, `aud` or, when there is no `aud`, `client_id` (as
"Troubleshooting issues with HTTP API JWT authorizers" says), `exp` (after now), `nbf` and `iat`
(before now, when present). The WebSocket API's Lambda authorizer makes the same checks
(notes_core.usecases.realtime), plus those an HTTP API leaves to the functions (`token_use`) and
the sign-out cut-off; the local stack's emulation of the HTTP API's authorizer (local/authorizer.py)
makes exactly these.

Only what verifies a token is here, on the keys it is given: the keys are fetched by
notes_core.data.jwks. joserfc (and the `cryptography` it verifies RSA signatures with) is imported
by the first check of a signature: only the WebSocket authorizer loads it, from a layer of its own.
"""

import base64
import binascii
import json
import time
from collections.abc import Collection
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


class Refusal(StrEnum):
    """Why a token was refused, in the order the checks are made."""

    NO_TOKEN = "no-token"
    MALFORMED = "malformed"  # not three base64url segments whose header is a JSON object
    NOT_RSA = "not-rsa"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    WRONG_ISSUER = "wrong-issuer"
    WRONG_AUDIENCE = "wrong-audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    ISSUED_IN_FUTURE = "issued-in-future"


class TokenRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _segment(encoded: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: a header of nested arrays
        raise TokenRefused(Refusal.MALFORMED) from None
    if not isinstance(decoded, dict):
        raise TokenRefused(Refusal.MALFORMED)
    return decoded


def key_id(token: str | None) -> str:
    """The `kid` of a token whose form allows it to be checked at all (three segments, a JSON
    header naming an RSA algorithm and a key): read before any key is fetched, so that a token no
    key could verify costs nothing."""
    if not token:
        raise TokenRefused(Refusal.NO_TOKEN)
    if token.count(".") != 2:
        raise TokenRefused(Refusal.MALFORMED)
    header = _segment(token.split(".")[0])
    if header.get("alg") not in RSA_ALGORITHMS:
        raise TokenRefused(Refusal.NOT_RSA)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRefused(Refusal.UNKNOWN_KEY)
    return kid


def verified_claims(
    token: str, keys: "KeySet", issuer: str, audiences: Collection[str], now: float | None = None
) -> dict[str, Any]:
    """The claims of a token signed by one of `keys` for `issuer` and one of `audiences`, valid at
    `now`; TokenRefused with the first check it fails."""
    from joserfc import jwt
    from joserfc.errors import JoseError

    kid = key_id(token)
    if all(key.kid != kid for key in keys):
        raise TokenRefused(Refusal.UNKNOWN_KEY)
    try:
        claims = dict(jwt.decode(token, keys, algorithms=list(RSA_ALGORITHMS)).claims)
    except (JoseError, ValueError):
        raise TokenRefused(Refusal.BAD_SIGNATURE) from None
    check_claims(claims, issuer, audiences, time.time() if now is None else now)
    return claims


def check_claims(claims: dict[str, Any], issuer: str, audiences: Collection[str], now: float) -> None:
    if claims.get("iss") != issuer:
        raise TokenRefused(Refusal.WRONG_ISSUER)
    audience = claims["aud"] if "aud" in claims else claims.get("client_id")
    named = audience if isinstance(audience, list) else [audience]
    if not any(name in audiences for name in named):
        raise TokenRefused(Refusal.WRONG_AUDIENCE)
    # exp "must be after the current time"; a token without one cannot be, so it is refused.
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
        raise TokenRefused(Refusal.EXPIRED)
    if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
        raise TokenRefused(Refusal.NOT_YET_VALID)
    if isinstance(claims.get("iat"), int | float) and claims["iat"] > now:
        raise TokenRefused(Refusal.ISSUED_IN_FUTURE)
