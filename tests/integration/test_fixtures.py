"""Every function, invoked with its events/ fixture (the example user's identity swapped for a
real one where the function reads the user pool)."""

import json
from collections.abc import Callable

import pytest
from openapi_spec_validator import validate

from local import template as tpl
from tests.support import events
from tests.support.api import Api, User
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
    assert set(reply.body) == {"user_id", "email", "full_name", "email_verified", "created_at", "photo_url"}


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


FIXTURE_NOTE = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"  # the note id the notes and media fixtures name


def _with_fixture_note(api: Api, user: User, edits: int = 0) -> None:
    assert (
        api.invoke(
            "notes_create", events.as_caller(events.fixture("notes_create"), user.access_token, user.claims)
        ).status
        == 201
    )
    for n in range(edits):
        api.call("notes_update", user, body={"title": f"edit {n}"}, headers={"if-match": f'"{n + 1}"'})


# What each authorized or queue fixture answers for a fresh user, after the setup it needs.
AUTHORIZED_FIXTURES: dict[str, tuple[Callable[[Api, User], None], int]] = {
    "account_update": (lambda api, user: None, 200),
    "account_password": (lambda api, user: None, 204),
    "account_email_verify": (lambda api, user: None, 204),
    "account_photo": (lambda api, user: None, 201),
    "account_delete": (lambda api, user: None, 202),
    "notes_create": (lambda api, user: None, 201),
    "notes_list": (_with_fixture_note, 200),
    "notes_get": (_with_fixture_note, 200),
    "notes_update": (_with_fixture_note, 200),
    "notes_delete": (lambda api, user: _with_fixture_note(api, user, edits=1), 202),
    "notes_batch": (_with_fixture_note, 200),
    "sync_pull": (_with_fixture_note, 200),
    "sync_push": (lambda api, user: None, 200),
    "media_request_upload": (_with_fixture_note, 201),
    "media_get": (_with_fixture_note, 404),  # the fixture's image id was never reserved
    "media_delete": (_with_fixture_note, 404),
    "notes_revisions": (_with_fixture_note, 200),
    "notes_revision_get": (_with_fixture_note, 200),  # version 1: every note's first revision
    "notes_revision_restore": (lambda api, user: _with_fixture_note(api, user, edits=1), 200),  # If-Match "2"
    "trash_empty": (lambda api, user: None, 202),
    "devices_put": (lambda api, user: None, 204),
    "devices_delete": (lambda api, user: None, 204),
}


@pytest.mark.parametrize("code_dir", sorted(AUTHORIZED_FIXTURES))
def test_every_authorized_fixture_is_answered_as_the_contract_says(api: Api, code_dir: str) -> None:
    # Given a fresh user and what the fixture's request presupposes
    user = api.new_user()
    setup, status = AUTHORIZED_FIXTURES[code_dir]
    setup(api, user)

    # When the function gets its fixture as that user
    reply = api.as_user(code_dir, user)

    # Then it answers with the contract's status
    assert reply.status == status, reply.body


@pytest.mark.parametrize(
    "code_dir", ["media_events_worker", "media_cleanup_worker", "trash_purge_worker", "silent_push_worker", "poke"]
)
def test_the_queue_consumers_process_their_fixtures(api: Api, code_dir: str) -> None:
    result = api.stack.functions.invoke(api.function_of(code_dir), events.fixture(code_dir))

    assert result == {"batchItemFailures": []}


def test_the_email_change_fixture_is_accepted(api: Api) -> None:
    user = api.new_user()

    assert api.as_user("account_email", user).status == 202


def test_the_websocket_fixtures_are_answered_as_api_gateway_expects(api: Api) -> None:
    # The authorizer's fixture carries an example token, which no key of the pool signed: a Deny
    # policy on the method (API Gateway answers 403), not an error
    denied = api.stack.functions.invoke(api.function_of("ws_authorizer"), events.fixture("ws_authorizer"))
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["policyDocument"]["Statement"][0]["Resource"] == events.fixture("ws_authorizer")["methodArn"]
    # $connect and $disconnect of the example user (authorized by the fixture's context)
    assert api.stack.functions.invoke(api.function_of("ws_connect"), events.fixture("ws_connect")) == {
        "statusCode": 200
    }
    disconnected = api.stack.functions.invoke(api.function_of("ws_disconnect"), events.fixture("ws_disconnect"))
    assert disconnected == {"statusCode": 200}
