"""The HTTP API's JWT authorizer, as the local front applies it.

Checks what API Gateway checks for a Cognito access token (RS256 signature against the pool's
JWKS, issuer, client_id among the audiences, expiry), and that the token is an access token, as
notes-sync requires. The keys come from the user pool's JWKS endpoint on moto.
"""

import threading
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class Unauthorized(Exception):
    """The request carries no token the authorizer accepts."""


class JwtAuthorizer:
    def __init__(self, issuer: str, audiences: list[str], jwks_url: str) -> None:
        self.issuer = issuer
        self.audiences = audiences
        self.jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def _key_set(self, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                response = requests.get(self.jwks_url, timeout=5)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            return self._keys

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of the bearer token in an Authorization header."""
        if not authorization:
            raise Unauthorized("no token")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            try:
                decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
            except JoseError:
                decoded = jwt.decode(token, self._key_set(refresh=True), algorithms=["RS256"])
            registry = jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                client_id={"essential": True, "values": self.audiences},
                token_use={"essential": True, "value": "access"},
                exp={"essential": True},
                leeway=0,
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(str(exc) or type(exc).__name__) from None
        return dict(decoded.claims)
