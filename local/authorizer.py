"""The HTTP API's JWT authorizer, as the local front applies it: what API Gateway checks, no more.

"Control access to HTTP APIs with JWT authorizers in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html) lists
the steps: the identity source holds the token, alone or prefixed with `Bearer `; the token is
decoded; its algorithm (RSA only) and signature are checked with the issuer's JWKS; then `kid`,
`iss`, `aud` or `client_id`, `exp`, `nbf`, `iat` (and the route's scopes: no route here has any).
The same page says there is no standard way to tell an access token from an ID token, and the
authorizer does not try: an ID token of the right client passes it, and our functions refuse it
themselves (notes_core.edge.http.caller). The keys come from the user pool's JWKS endpoint on moto.
"""

import base64
import json
import threading
import time
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# "Timeout for JSON Web Key Set endpoint: 1500 ms" (Quotas for configuring and running an HTTP API,
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
_JWKS_TIMEOUT_SECONDS = 1.5
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


class Unauthorized(Exception):
    """The authorizer refuses the request: 401 {"message":"Unauthorized"} with this challenge.

    "Troubleshooting issues with HTTP API JWT authorizers"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html)
    shows the challenge, `Bearer scope="" error="invalid_token" error_description="..."`, and one
    description, for a wrong audience. AWS documents no other description text; the ones below
    without a source are this stack's own wording in the documented form, so a client must not
    parse them. Without any token the challenge is a bare `Bearer`, as a public deployment log
    probing a real HTTP API recorded (no AWS page says it).
    """

    def __init__(self, description: str | None) -> None:
        super().__init__(description or "no token")
        self.description = description

    @property
    def challenge(self) -> str:
        if self.description is None:
            return "Bearer"
        return f'Bearer scope="" error="invalid_token" error_description="{self.description}"'


# The documented text (troubleshooting page above).
WRONG_AUDIENCE = "the token does not have a valid audience"
# What a real HTTP API answered for `Bearer not-a-token`, as recorded by public deployment logs
# (the text is the Go JWT library's); not on an AWS page.
MALFORMED = "token contains an invalid number of segments"


def _segment(encoded: str) -> dict[str, Any]:
    decoded = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


class JwtAuthorizer:
    def __init__(self, issuer: str, audiences: list[str], jwks_url: str) -> None:
        self.issuer = issuer
        self.audiences = audiences
        self.jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def _key_set(self, kid: str) -> KeySet:
        """The issuer's keys, fetched again when they hold no key `kid` (keys rotate)."""
        with self._lock:
            if self._keys is None or all(key.kid != kid for key in self._keys):
                response = requests.get(self.jwks_url, timeout=_JWKS_TIMEOUT_SECONDS)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            return self._keys

    def claims(self, identity: str | None) -> dict[str, Any]:
        """The verified claims of the token in the identity source (the Authorization header)."""
        if not identity or not identity.strip():
            raise Unauthorized(None)
        token = identity.removeprefix("Bearer ").strip()
        if token.count(".") != 2:
            raise Unauthorized(MALFORMED)
        try:
            header = _segment(token.split(".")[0])
        except ValueError:
            raise Unauthorized("the token header is not valid") from None
        if header.get("alg") not in _RSA_ALGORITHMS:
            raise Unauthorized("the token is not signed with an RSA algorithm")
        kid = header.get("kid")
        keys = self._key_set(kid) if isinstance(kid, str) else None
        if keys is None or all(key.kid != kid for key in keys):
            raise Unauthorized("the token's key id is not one of the issuer's keys")
        try:
            claims = dict(jwt.decode(token, keys, algorithms=list(_RSA_ALGORITHMS)).claims)
        except (JoseError, ValueError):
            raise Unauthorized("the token's signature is not valid") from None
        self._check(claims)
        return claims

    def _check(self, claims: dict[str, Any]) -> None:
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise Unauthorized("the token does not have a valid issuer")
        # "API Gateway validates client_id only if aud is not present" (troubleshooting page).
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        named = audience if isinstance(audience, list) else [audience]
        if not any(name in self.audiences for name in named):
            raise Unauthorized(WRONG_AUDIENCE)
        # exp "must be after the current time"; a token without one cannot be, so it is refused.
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            raise Unauthorized("the token has expired")
        # nbf and iat "must be before the current time" when present (Cognito's tokens have no nbf).
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
            raise Unauthorized("the token is not valid yet")
        if isinstance(claims.get("iat"), int | float) and claims["iat"] > now:
            raise Unauthorized("the token was issued in the future")
