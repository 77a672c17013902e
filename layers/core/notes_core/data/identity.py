"""Data access to the Cognito user pool; Cognito's error codes become domain exceptions here.

The public flows (sign-up, sign-in, codes, refresh) use the app client's unauthenticated APIs and
need no IAM permission; only admin reads use the pool id.
"""

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from notes_core.data import aws
from notes_core.domain import errors
from notes_core.runtime.config import IdentitySettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

_settings = load_settings(IdentitySettings)


@cache
def _cognito() -> "CognitoIdentityProviderClient":
    """Built on first use: a function that never calls Cognito never pays for the client."""
    client: CognitoIdentityProviderClient = aws.client("cognito-idp")
    return client


# Cognito's error codes, in the product's terms. Each flow may narrow these further (the auth
# service hides whether an email exists where that would enumerate users).
_TRANSLATIONS: dict[str, type[errors.DomainError]] = {
    "UserNotFoundException": errors.NotFound,
    "UserNotConfirmedException": errors.UserNotConfirmed,
    "UsernameExistsException": errors.AlreadyExists,
    "AliasExistsException": errors.AlreadyExists,
    "InvalidPasswordException": errors.WeakPassword,
    "InvalidParameterException": errors.InvalidInput,
    "CodeMismatchException": errors.InvalidCode,
    "ExpiredCodeException": errors.InvalidCode,
    "TooManyRequestsException": errors.RateLimited,
    "LimitExceededException": errors.RateLimited,
    "TooManyFailedAttemptsException": errors.RateLimited,
    "CodeDeliveryFailureException": errors.RateLimited,
}


# Cognito locks a user out after repeated failed sign-ins with a NotAuthorizedException that only
# its message tells apart from a wrong password.
_LOCKED_OUT = "Password attempts exceeded"


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        message = exc.response["Error"].get("Message") or code
        if code == "NotAuthorizedException":
            if message.startswith(_LOCKED_OUT):
                raise errors.RateLimited("Too many failed attempts; wait a while and try again.") from None
            # Cognito's text may quote the token it refused: never echo a credential back.
            raise errors.NotAuthenticated("The credentials or the token were not accepted.") from None
        domain_error = _TRANSLATIONS.get(code)
        if domain_error is None:
            raise
        raise domain_error(message) from None


def sign_up(email: str, password: str, full_name: str) -> tuple[str, bool]:
    """Register a user; returns (user id, confirmed)."""
    with _translated():
        reply = _cognito().sign_up(
            ClientId=_settings.user_pool_client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": full_name}],
        )
    return reply["UserSub"], reply["UserConfirmed"]


def confirm_sign_up(email: str, code: str) -> None:
    with _translated():
        _cognito().confirm_sign_up(ClientId=_settings.user_pool_client_id, Username=email, ConfirmationCode=code)


def resend_confirmation_code(email: str) -> None:
    with _translated():
        _cognito().resend_confirmation_code(ClientId=_settings.user_pool_client_id, Username=email)


def password_sign_in(email: str, password: str) -> "AuthenticationResultTypeTypeDef":
    """The AuthenticationResult of a USER_PASSWORD_AUTH sign-in."""
    with _translated():
        reply = _cognito().initiate_auth(
            ClientId=_settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    if "AuthenticationResult" not in reply:
        # A challenge (new password, MFA) this API does not offer: the pool is configured without.
        raise errors.NotAuthenticated(f"Sign-in needs the {reply.get('ChallengeName')} challenge.")
    return reply["AuthenticationResult"]


def revoke_refresh_token(refresh_token: str) -> None:
    """End the session of a refresh token (and the access tokens issued with it)."""
    with _translated():
        _cognito().revoke_token(Token=refresh_token, ClientId=_settings.user_pool_client_id)


def issued_claims(token: str) -> tuple[str, int]:
    """(sub, iat) of a token Cognito has just issued to this function: read, not verified (it came
    straight from Cognito over TLS; tokens from clients are verified by the API's authorizer)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"]), int(claims["iat"])


def refresh_sign_in(refresh_token: str) -> "AuthenticationResultTypeTypeDef":
    """The AuthenticationResult of a REFRESH_TOKEN_AUTH sign-in."""
    with _translated():
        reply = _cognito().initiate_auth(
            ClientId=_settings.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    return reply["AuthenticationResult"]


def forgot_password(email: str) -> None:
    with _translated():
        _cognito().forgot_password(ClientId=_settings.user_pool_client_id, Username=email)


def confirm_forgot_password(email: str, code: str, new_password: str) -> None:
    with _translated():
        _cognito().confirm_forgot_password(
            ClientId=_settings.user_pool_client_id, Username=email, ConfirmationCode=code, Password=new_password
        )


def global_sign_out(access_token: str) -> None:
    """Revoke every refresh token of the token's user."""
    with _translated():
        _cognito().global_sign_out(AccessToken=access_token)


def get_user(username: str) -> tuple[dict[str, str], datetime]:
    """A user's attributes (name -> value) and creation time."""
    with _translated():
        reply = _cognito().admin_get_user(UserPoolId=_settings.user_pool_id, Username=username)
    attributes = {attribute["Name"]: attribute["Value"] for attribute in reply.get("UserAttributes", [])}
    return attributes, reply["UserCreateDate"]


def update_attributes(access_token: str, attributes: dict[str, str]) -> None:
    """Change the token's user's attributes; a new email is confirmed with a code Cognito sends."""
    with _translated():
        _cognito().update_user_attributes(
            AccessToken=access_token,
            UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        )


def change_password(access_token: str, old_password: str, new_password: str) -> None:
    with _translated():
        _cognito().change_password(
            AccessToken=access_token, PreviousPassword=old_password, ProposedPassword=new_password
        )


def verify_email(access_token: str, code: str) -> None:
    with _translated():
        _cognito().verify_user_attribute(AccessToken=access_token, AttributeName="email", Code=code)
