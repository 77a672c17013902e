"""The user pool's signing keys (its JWKS), fetched over HTTPS and kept for the process.

Cognito publishes them at https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json
("Verifying a JSON Web Token",
https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html:
cache them, and fetch again when a token names a key id the cache does not hold: keys rotate).
A key id nobody knows is a cheap thing for anyone to send, so an unknown one refetches at most
once a REFETCH_SECONDS; every fetch waits at most FETCH_SECONDS, and never past the invocation's
deadline.
"""

import json
import threading
import time
import urllib.request
from typing import TYPE_CHECKING

from notes_core.runtime import deadline

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

# The HTTP API's JWT authorizer waits 1500 ms for a JWKS ("Timeout for JSON Web Key Set endpoint",
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
FETCH_SECONDS = 1.5
REFETCH_SECONDS = 60.0
_ANSWER_RESERVE_SECONDS = 0.5


class KeysUnavailable(Exception):
    """The JWKS could not be fetched (unreachable, slow, not a key set)."""


class KeySource:
    """The key set at `url`, fetched on first use and again (rate-limited) for an unknown key id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: KeySet | None = None
        self._fetched_at = -REFETCH_SECONDS
        self._lock = threading.Lock()

    def keys_for(self, kid: str) -> "KeySet":
        """The keys, fetched again first when they lack `kid` and the last fetch is old enough."""
        with self._lock:
            missing = self._keys is None or all(key.kid != kid for key in self._keys)
            if missing and (self._keys is None or time.monotonic() - self._fetched_at >= REFETCH_SECONDS):
                self._keys = self._fetch()
                self._fetched_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    def _fetch(self) -> "KeySet":
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        timeout = min(FETCH_SECONDS, deadline.remaining() - _ANSWER_RESERVE_SECONDS)
        if timeout <= 0:
            raise KeysUnavailable("no time left to fetch the keys")
        try:
            with urllib.request.urlopen(self.url, timeout=timeout) as answer:
                document = json.loads(answer.read())
            return KeySet.import_key_set(document)
        except (OSError, ValueError, JoseError) as exc:
            raise KeysUnavailable(f"{type(exc).__name__} fetching {self.url}") from None
