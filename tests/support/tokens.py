"""JWTs signed with moto's own Cognito signing key, for tokens moto would never issue (expired,
another issuer, another client): their signature is valid, so only the claim checks can refuse them."""

import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource


def _moto_signing_key() -> RSAKey:
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def forge(issuer: str, client_id: str, sub: str | None = None, token_use: str = "access", **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub or str(uuid.uuid4()),
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
    }
    claims["client_id" if token_use == "access" else "aud"] = client_id
    claims.update(overrides)
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, _moto_signing_key())


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, unverified (for building events from tokens moto issued)."""
    return dict(jwt.decode(token, _moto_signing_key(), algorithms=["RS256"]).claims)
