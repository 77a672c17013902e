"""Every function, invoked with its events/ fixture (the example user's identity swapped for a
real one where the function reads the user pool)."""

import json

from openapi_spec_validator import validate

from local import template as tpl
from tests.support import events
from tests.support.api import Api
from tests.support.tokens import claims_of


def test_every_function_has_a_fixture(api: Api) -> None:
    template = api.stack.provisioned.template
    code_dirs = {props["CodeUri"].strip("/").split("/")[-1] for props in tpl.functions(template).values()}
    missing = {name for name in code_dirs if not (events.EVENTS_DIR / f"{name}.json").exists()}
    assert not missing


def test_the_auth_fixtures_walk_the_whole_account_lifecycle(api: Api) -> None:
    # Given the fixtures' example user (ann@example.com), unknown to the pool
    fixture_body = json.loads(events.fixture("auth_sign_up")["body"])

    # When each public auth fixture is invoked in the order a client uses them
    signed_up = api.invoke("auth_sign_up", events.fixture("auth_sign_up"))
    confirmed = api.invoke("auth_confirm", events.fixture("auth_confirm"))
    resent = api.invoke("auth_resend_code", events.fixture("auth_resend_code"))
    signed_in = api.invoke("auth_sign_in", events.fixture("auth_sign_in"))
    refreshed = api.post("auth_refresh", {"refresh_token": signed_in.body["refresh_token"]})
    forgot = api.invoke("auth_forgot_password", events.fixture("auth_forgot_password"))
    reset = api.invoke("auth_reset_password", events.fixture("auth_reset_password"))
    new_password = json.loads(events.fixture("auth_reset_password")["body"])["new_password"]
    after_reset = api.post("auth_sign_in", {"email": fixture_body["email"], "password": new_password})
    old_password = api.invoke("auth_sign_in", events.fixture("auth_sign_in"))

    # Then each answers as the contract says
    assert signed_up.status == 201
    assert signed_up.body == {"user_id": signed_up.body["user_id"], "confirmed": False}
    assert (confirmed.status, resent.status, forgot.status, reset.status) == (204, 202, 202, 204)
    assert signed_in.status == 200
    assert set(signed_in.body) == {"access_token", "id_token", "refresh_token", "expires_in", "token_type"}
    assert signed_in.body["token_type"] == "Bearer"
    assert signed_in.body["expires_in"] == 15 * 60  # the template's AccessTokenValidityMinutes default
    assert claims_of(signed_in.body["access_token"])["sub"] == signed_up.body["user_id"]
    assert refreshed.status == 200
    assert set(refreshed.body) == {"access_token", "id_token", "expires_in", "token_type"}
    assert after_reset.status == 200
    assert old_password.status == 401


def test_account_fixture_returns_the_callers_profile(api: Api) -> None:
    # Given a confirmed, signed-in user
    user = api.new_user()

    # When the account fixture is invoked with that user's token
    reply = api.as_user("account_get", user)

    # Then the profile is the user's own
    assert reply.status == 200
    assert reply.body["user_id"] == user.user_id
    assert reply.body["email"] == user.email
    assert reply.body["full_name"] == "Test User"
    assert reply.body["created_at"].endswith("Z")
    assert set(reply.body) == {"user_id", "email", "full_name", "email_verified", "created_at"}


def test_sign_out_fixture_revokes_the_refresh_token(api: Api) -> None:
    # Given a signed-in user whose refresh token works
    user = api.new_user()
    assert api.post("auth_refresh", {"refresh_token": user.refresh_token}).status == 200

    # When the sign-out fixture is invoked with the user's token
    signed_out = api.as_user("auth_sign_out", user)

    # Then the refresh token is refused at once
    assert signed_out.status == 204
    refused = api.post("auth_refresh", {"refresh_token": user.refresh_token})
    assert refused.status == 401
    assert refused.problem_type == "unauthorized"


def test_openapi_fixture_returns_a_valid_document_of_every_route(api: Api) -> None:
    reply = api.invoke("openapi", events.fixture("openapi"))

    assert reply.status == 200
    validate(reply.body)
    template_routes = {(route.method.lower(), route.path) for route in tpl.routes(api.stack.provisioned.template)}
    documented = {(method, path) for path, item in reply.body["paths"].items() for method in item}
    assert documented == template_routes
