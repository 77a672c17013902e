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


@pytest.mark.parametrize(
    "kind", ["tampered", "expired", "wrong-issuer", "wrong-client", "id-token", "not-yet-valid", "garbage", "none"]
)
def test_the_authorizer_refuses_bad_tokens(client: Client, kind: str) -> None:
    # Given a real user and the issuer and client its tokens name
    user = client.sign_up_and_in()
    claims = claims_of(user["access_token"])
    issuer, client_id, sub = claims["iss"], claims["client_id"], claims["sub"]
    now = int(time.time())
    make_token: dict[str, Callable[[], str]] = {
        "tampered": lambda: _tamper(user["access_token"]),
        "expired": lambda: forge(issuer, client_id, sub, iat=now - 3600, exp=now - 60),
        "wrong-issuer": lambda: forge(issuer.replace("us-east-1_", "us-east-1_Other"), client_id, sub),
        "wrong-client": lambda: forge(issuer, "someotherclient", sub),
        "id-token": lambda: user["id_token"],
        "not-yet-valid": lambda: forge(issuer, client_id, sub, nbf=now + 600),
        "garbage": lambda: "not-a-jwt",
        "none": lambda: "",
    }
    token = make_token[kind]()

    # When it calls an authorized route with the bad token
    reply = client.request("GET", "/v1/account", token=token or None)

    # Then the front refuses it before any function runs
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"


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
