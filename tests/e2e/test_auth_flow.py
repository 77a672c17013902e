"""A client signing up, confirming, signing in and calling an authorized route over HTTP."""

import base64
import json
import time
import uuid
from collections.abc import Callable

import pytest

from tests.e2e.conftest import PASSWORD, Client
from tests.support.tokens import claims_of, forge


def test_sign_up_confirm_sign_in_and_read_the_account(client: Client) -> None:
    # Given a new email address
    email = f"flow-{uuid.uuid4().hex[:10]}@example.com"

    # When the user signs up, confirms with the (locally accepted) code and signs in
    signed_up = client.request(
        "POST", "/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "full_name": "Flo"}
    )
    confirmed = client.request("POST", "/v1/auth/confirm", json={"email": email, "code": "000000"})
    signed_in = client.request("POST", "/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
    account = client.request("GET", "/v1/account", token=signed_in.json()["access_token"])

    # Then each step answers as documented and the account is the user's own
    assert signed_up.status_code == 201
    assert signed_up.json()["confirmed"] is False
    assert confirmed.status_code == 204
    assert signed_in.status_code == 200
    assert signed_in.json()["token_type"] == "Bearer"
    assert signed_in.json()["expires_in"] == 900
    assert account.status_code == 200
    assert account.json()["user_id"] == signed_up.json()["user_id"]
    assert account.json()["email"] == email
    assert account.json()["full_name"] == "Flo"
    assert account.json()["email_verified"] is True


def test_refresh_gives_a_working_access_token(client: Client) -> None:
    user = client.sign_up_and_in()

    refreshed = client.request("POST", "/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})

    assert refreshed.status_code == 200
    assert client.request("GET", "/v1/account", token=refreshed.json()["access_token"]).status_code == 200


def test_after_sign_out_the_refresh_token_is_refused(client: Client) -> None:
    user = client.sign_up_and_in()

    signed_out = client.request("POST", "/v1/auth/sign-out", token=user["access_token"])
    refreshed = client.request("POST", "/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})

    assert signed_out.status_code == 204
    assert refreshed.status_code == 401
    assert refreshed.headers["content-type"] == "application/problem+json"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _challenge(description: str) -> str:
    return f'Bearer scope="" error="invalid_token" error_description="{description}"'


@pytest.mark.parametrize(
    ("kind", "challenge"),
    [
        ("none", "Bearer"),
        ("garbage", _challenge("token contains an invalid number of segments")),
        ("another-scheme", _challenge("token contains an invalid number of segments")),
        ("tampered", _challenge("the token's signature is not valid")),
        ("wrong-issuer", _challenge("the token does not have a valid issuer")),
        ("wrong-client", _challenge("the token does not have a valid audience")),
        ("expired", _challenge("the token has expired")),
        ("not-yet-valid", _challenge("the token is not valid yet")),
        ("issued-in-the-future", _challenge("the token was issued in the future")),
    ],
)
def test_the_authorizer_refuses_bad_tokens_as_api_gateway_does(client: Client, kind: str, challenge: str) -> None:
    # Given a real user and the issuer and client its tokens name
    user = client.sign_up_and_in()
    claims = claims_of(user["access_token"])
    issuer, client_id, sub = claims["iss"], claims["client_id"], claims["sub"]
    now = int(time.time())
    make_authorization: dict[str, Callable[[], str | None]] = {
        "none": lambda: None,
        "garbage": lambda: "Bearer not-a-jwt",
        "another-scheme": lambda: "Basic ZTJlOnBhc3N3b3Jk",
        "tampered": lambda: "Bearer " + _tamper(user["access_token"]),
        "wrong-issuer": lambda: "Bearer " + forge(issuer.replace("us-east-1_", "us-east-1_Other"), client_id, sub),
        "wrong-client": lambda: "Bearer " + forge(issuer, "someotherclient", sub),
        "expired": lambda: "Bearer " + forge(issuer, client_id, sub, iat=now - 3600, exp=now - 60),
        "not-yet-valid": lambda: "Bearer " + forge(issuer, client_id, sub, nbf=now + 600),
        "issued-in-the-future": lambda: "Bearer " + forge(issuer, client_id, sub, iat=now + 600),
    }
    authorization = make_authorization[kind]()

    # When it calls an authorized route with it
    headers = {} if authorization is None else {"authorization": authorization}
    reply = client.request("GET", "/v1/account", headers=headers)

    # Then API Gateway's authorizer refuses it before any function runs, in API Gateway's shape
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"message": "Unauthorized"}
    assert reply.headers["www-authenticate"] == challenge


def test_an_id_token_passes_the_gateway_and_the_function_refuses_it(client: Client) -> None:
    """The JWT authorizer cannot tell an ID token from an access token (AWS says so); ours can."""
    user = client.sign_up_and_in()

    reply = client.request("GET", "/v1/account", token=user["id_token"])

    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["type"].endswith("/unauthorized")
    assert "www-authenticate" not in reply.headers


def test_a_token_without_the_bearer_prefix_is_accepted(client: Client) -> None:
    # "The identitySource can include only the token, or the token prefixed with Bearer" (AWS).
    user = client.sign_up_and_in()

    reply = client.request("GET", "/v1/account", headers={"authorization": user["access_token"]})

    assert reply.status_code == 200


def test_a_forged_token_with_every_claim_right_is_accepted(client: Client) -> None:
    """The control for the refusals above: moto's key with correct claims passes the authorizer."""
    user = client.sign_up_and_in()
    claims = claims_of(user["access_token"])

    token = forge(claims["iss"], claims["client_id"], claims["sub"], username=claims["username"])

    assert client.request("GET", "/v1/account", token=token).status_code == 200


def test_a_token_from_before_a_sign_out_cannot_delete_the_account(client: Client) -> None:
    # Given a user who signed in, then signed out, then signed in again
    user = client.sign_up_and_in()
    assert client.request("POST", "/v1/auth/sign-out", token=user["access_token"]).status_code == 204
    again = client.request("POST", "/v1/auth/sign-in", json={"email": user["email"], "password": PASSWORD}).json()

    # When the first token (stolen, say) asks to delete the account
    deleted = client.request("DELETE", "/v1/account", token=user["access_token"])

    # Then it is refused and the account is whole
    assert deleted.status_code == 401
    assert client.request("GET", "/v1/account", token=again["access_token"]).status_code == 200
