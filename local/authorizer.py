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

from typing import Any

from notes_core.data.jwks import KeySource
from notes_core.domain.tokens import Refusal, TokenRefused, key_id, verified_claims


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
# Each refusal of notes_core.domain.tokens (the checks this authorizer makes) in the challenge's words.
_DESCRIPTIONS = {
    Refusal.MALFORMED: MALFORMED,
    Refusal.NOT_RSA: "the token is not signed with an RSA algorithm",
    Refusal.UNKNOWN_KEY: "the token's key id is not one of the issuer's keys",
    Refusal.BAD_SIGNATURE: "the token's signature is not valid",
    Refusal.WRONG_ISSUER: "the token does not have a valid issuer",
    Refusal.WRONG_AUDIENCE: WRONG_AUDIENCE,
    Refusal.EXPIRED: "the token has expired",
    Refusal.NOT_YET_VALID: "the token is not valid yet",
    Refusal.ISSUED_IN_FUTURE: "the token was issued in the future",
}


class JwtAuthorizer:
    """The checks are notes_core.domain.tokens' (the WebSocket API's authorizer makes them too); the
    keys come from the pool's JWKS on moto, fetched as that authorizer fetches them
    (notes_core.data.jwks)."""

    def __init__(self, issuer: str, audiences: list[str], jwks_url: str) -> None:
        self.issuer = issuer
        self.audiences = audiences
        self.jwks_url = jwks_url
        self._keys = KeySource(jwks_url)

    def claims(self, identity: str | None) -> dict[str, Any]:
        """The verified claims of the token in the identity source (the Authorization header)."""
        if not identity or not identity.strip():
            raise Unauthorized(None)
        token = identity.removeprefix("Bearer ").strip()
        try:
            return verified_claims(token, self._keys.keys_for(key_id(token)), self.issuer, self.audiences)
        except TokenRefused as refused:
            raise Unauthorized(_DESCRIPTIONS.get(refused.refusal, MALFORMED)) from None
