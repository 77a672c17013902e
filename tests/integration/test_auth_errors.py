"""The public auth routes answer bad input and Cognito's refusals with the contract's problems."""

import time
import uuid

import pytest

from notes_core.data import identity
from tests.support import events
from tests.support.api import PASSWORD, Api
from tests.support.faults import failing


def test_wrong_password_and_unknown_email_get_the_same_401(api: Api) -> None:
    # Given a confirmed user
    user = api.new_user(signed_in=False)

    # When signing in with a wrong password, and with an email nobody registered
    wrong_password = api.post("auth_sign_in", {"email": user.email, "password": "Not-The-Password-1"})
    unknown_email = api.post("auth_sign_in", {"email": "nobody-" + user.email, "password": PASSWORD})

    # Then both answers are the same 401 problem, so the email's existence is not revealed
    assert wrong_password.status == unknown_email.status == 401
    assert wrong_password.headers["content-type"] == "application/problem+json"
    assert wrong_password.body == unknown_email.body


def test_unconfirmed_user_cannot_sign_in(api: Api) -> None:
    user = api.new_user(confirmed=False, signed_in=False)

    reply = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})

    assert reply.status == 403
    assert reply.problem_type == "user-not-confirmed"


def test_email_already_registered_is_409(api: Api) -> None:
    user = api.new_user(signed_in=False)

    reply = api.post("auth_sign_up", {"email": user.email.upper(), "password": PASSWORD, "full_name": "Twin"})

    assert reply.status == 409
    assert reply.problem_type == "already-exists"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"email": "weak@example.com", "password": "alllowercase1", "full_name": "W"}, "/password"),
        ({"email": "weak@example.com", "password": "short", "full_name": "W"}, "/password"),
        ({"email": "not-an-email", "password": PASSWORD, "full_name": "W"}, "/email"),
        ({"email": "x@example.com", "password": PASSWORD}, "/full_name"),
        ({"email": "x@example.com", "password": PASSWORD, "full_name": "W", "user_id": "mine"}, "/user_id"),
        ({"email": "x@example.com", "password": PASSWORD, "full_name": "  "}, "/full_name"),
    ],
    ids=["weak-password", "short-password", "malformed-email", "missing-field", "unknown-field", "blank-name"],
)
def test_invalid_sign_up_is_422_naming_the_field(api: Api, body: dict[str, str], pointer: str) -> None:
    reply = api.post("auth_sign_up", body)

    assert reply.status == 422
    assert reply.problem_type == "validation-error"
    assert pointer in [error["pointer"] for error in reply.body["errors"]]


@pytest.mark.parametrize("raw_body", ["{not json", "", "[1, 2"])
def test_malformed_json_is_400(api: Api, raw_body: str) -> None:
    event = events.fixture("auth_sign_in")
    event["body"] = raw_body

    reply = api.invoke("auth_sign_in", event)

    assert reply.status == 400
    assert reply.problem_type == "malformed-request"


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    event = events.fixture("auth_sign_in")
    event["headers"]["content-type"] = "text/plain"

    reply = api.invoke("auth_sign_in", event)

    assert reply.status == 415


def test_a_body_over_5_mib_is_413(api: Api) -> None:
    reply = api.post("auth_sign_up", {"email": "big@example.com", "password": PASSWORD, "full_name": "x" * (5 << 20)})

    assert reply.status == 413


def test_wrong_reset_code_is_400(api: Api) -> None:
    # Given a user who asked for a reset code (moto checks codes it issued itself)
    user = api.new_user(signed_in=False)
    assert api.post("auth_forgot_password", {"email": user.email}).status == 202

    # When the wrong code is sent
    reply = api.post(
        "auth_reset_password",
        {"email": user.email, "code": "moto-confirmation-code:000000", "new_password": "Another-Pass-2"},
    )

    # Then the code is refused and the old password still works
    assert reply.status == 400
    assert reply.problem_type == "invalid-code"
    assert api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).status == 200


def test_reset_for_an_email_nobody_registered_is_the_same_400_as_a_wrong_code(api: Api) -> None:
    reply = api.post(
        "auth_reset_password",
        {"email": f"nobody-{uuid.uuid4().hex[:10]}@example.com", "code": "123456", "new_password": "Another-Pass-2"},
    )

    assert reply.status == 400
    assert reply.problem_type == "invalid-code"


@pytest.mark.parametrize("code", ["CodeMismatchException", "ExpiredCodeException"])
def test_a_code_cognito_refuses_on_confirm_is_400(api: Api, code: str) -> None:
    user = api.new_user(confirmed=False, signed_in=False)

    with failing(identity._cognito(), "ConfirmSignUp", code):
        reply = api.post("auth_confirm", {"email": user.email, "code": "999999"})

    assert reply.status == 400
    assert reply.problem_type == "invalid-code"


@pytest.mark.parametrize(
    "code", ["TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"]
)
def test_too_many_attempts_is_429(api: Api, code: str) -> None:
    user = api.new_user(signed_in=False)

    with failing(identity._cognito(), "InitiateAuth", code):
        reply = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})

    assert reply.status == 429
    assert reply.problem_type == "too-many-requests"


def test_five_failed_sign_ins_in_a_row_lock_the_email_out_with_429(api: Api) -> None:
    # Given a confirmed user, and an email nobody registered
    user = api.new_user(signed_in=False)
    nobody = "nobody-" + user.email

    # When each is tried with wrong passwords five times, then once more with the right one
    failures = [
        api.post("auth_sign_in", {"email": email, "password": "Not-The-Password-1"}).status
        for email in (user.email, nobody)
        for _ in range(5)
    ]
    locked = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})
    locked_nobody = api.post("auth_sign_in", {"email": nobody, "password": PASSWORD})

    # Then the five are 401s and the sixth a 429 for both, so a lockout does not reveal an email
    assert failures == [401] * 10
    assert (locked.status, locked.problem_type) == (429, "too-many-requests")
    assert locked.body == locked_nobody.body

    # And once the first lockout (one second) is over, the right password works again
    time.sleep(1.1)
    assert api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).status == 200


def test_forgot_password_answers_the_same_for_unknown_emails(api: Api) -> None:
    user = api.new_user(signed_in=False)

    known = api.post("auth_forgot_password", {"email": user.email})
    unknown = api.post("auth_forgot_password", {"email": "nobody-" + user.email})

    assert known.status == unknown.status == 202
    assert known.body == unknown.body is None


def test_resend_code_answers_the_same_for_unknown_and_confirmed_emails(api: Api) -> None:
    unconfirmed = api.new_user(confirmed=False, signed_in=False)
    confirmed = api.new_user(signed_in=False)

    replies = [
        api.post("auth_resend_code", {"email": email})
        for email in (unconfirmed.email, confirmed.email, "nobody-" + confirmed.email)
    ]

    assert [reply.status for reply in replies] == [202, 202, 202]


def test_unexpected_cognito_failure_is_a_bare_500_without_internals(api: Api) -> None:
    user = api.new_user(signed_in=False)

    with failing(identity._cognito(), "InitiateAuth", "InternalErrorException", status=500):
        reply = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD})

    assert reply.status == 500
    assert reply.problem_type == "internal-error"
    assert "Traceback" not in str(reply.body)
    assert "InternalErrorException" not in str(reply.body)
