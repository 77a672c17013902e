"""Sign-up, sign-in and password flows. The rules here keep the answers from revealing whether an
email address is registered, except where the contract says otherwise (sign-up answers 409). Each
flow first counts the request against its per-client limits (notes_core.usecases.request_limits),
from the request's source IP address, before anything reaches Cognito."""

import time
from contextlib import suppress
from typing import TYPE_CHECKING

from notes_core.contract.bodies.auth import (
    ConfirmSignUpRequest,
    EmailRequest,
    RefreshRequest,
    ResetPasswordRequest,
    SignInReply,
    SignInRequest,
    SignUpReply,
    SignUpRequest,
    TokensReply,
)
from notes_core.data import identity, table
from notes_core.domain import errors
from notes_core.usecases.request_limits import Route, admit

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

_INCORRECT = "Incorrect email or password."
# A sign-in is retried this many times at most when it lands in the second of a sign-out.
_SIGN_IN_ATTEMPTS = 3


def sign_up(request: SignUpRequest, source_ip: str) -> SignUpReply:
    admit(Route.SIGN_UP, source_ip, request.email)
    try:
        user_id, confirmed = identity.sign_up(request.email, request.password, request.full_name)
    except errors.AlreadyExists:
        raise errors.AlreadyExists("An account with this email address exists already.") from None
    return SignUpReply(user_id=user_id, confirmed=confirmed)


def confirm_sign_up(request: ConfirmSignUpRequest, source_ip: str) -> None:
    admit(Route.CONFIRM, source_ip, request.email)
    try:
        identity.confirm_sign_up(request.email, request.code)
    except (errors.NotFound, errors.NotAuthenticated):
        # An unknown email or an already confirmed one: say no more than "this code does not work".
        raise errors.InvalidCode("The code is wrong or has expired.") from None


# Unknown or already confirmed emails get the same answer as a real resend or reset, so the
# answer does not reveal whether an email is registered.
_UNREVEALED = (errors.NotFound, errors.InvalidInput, errors.NotAuthenticated)


def resend_code(request: EmailRequest, source_ip: str) -> None:
    admit(Route.RESEND_CODE, source_ip, request.email)
    with suppress(*_UNREVEALED):
        identity.resend_confirmation_code(request.email)


def _password_sign_in(request: SignInRequest) -> "AuthenticationResultTypeTypeDef":
    try:
        return identity.password_sign_in(request.email, request.password)
    except (errors.NotFound, errors.NotAuthenticated):
        raise errors.NotAuthenticated(_INCORRECT) from None


def sign_in(request: SignInRequest, source_ip: str) -> SignInReply:
    """Tokens for the user. Writes refuse tokens issued before the user's last sign-out, whose
    cut-off is the whole second after it (token `iat` claims count whole seconds); a sign-in in
    that same second would get tokens already refused, so it ends that session and signs in again
    once the second has passed: it takes up to a second longer, and its tokens work."""
    admit(Route.SIGN_IN, source_ip, request.email)
    result = _password_sign_in(request)
    for _ in range(_SIGN_IN_ATTEMPTS):
        user_id, issued_at = identity.issued_claims(result["AccessToken"])
        cut_off = table.get_user(user_id).signed_out_at
        if cut_off is None or issued_at >= cut_off:
            break
        identity.revoke_refresh_token(result["RefreshToken"])
        time.sleep(max(0.0, cut_off - time.time()))
        result = _password_sign_in(request)
    return SignInReply(
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result["RefreshToken"],
        expires_in=result["ExpiresIn"],
    )


def refresh(request: RefreshRequest, source_ip: str) -> TokensReply:
    admit(Route.REFRESH, source_ip)
    try:
        result = identity.refresh_sign_in(request.refresh_token)
    except (errors.NotFound, errors.NotAuthenticated, errors.InvalidInput):
        raise errors.NotAuthenticated("The refresh token is not valid or was revoked.") from None
    return TokensReply(access_token=result["AccessToken"], id_token=result["IdToken"], expires_in=result["ExpiresIn"])


def forgot_password(request: EmailRequest, source_ip: str) -> None:
    admit(Route.FORGOT_PASSWORD, source_ip, request.email)
    with suppress(*_UNREVEALED):
        identity.forgot_password(request.email)


def reset_password(request: ResetPasswordRequest, source_ip: str) -> None:
    admit(Route.RESET_PASSWORD, source_ip, request.email)
    try:
        identity.confirm_forgot_password(request.email, request.code, request.new_password)
    except (errors.NotFound, errors.NotAuthenticated):
        raise errors.InvalidCode("The code is wrong or has expired.") from None
    except errors.WeakPassword as exc:
        raise errors.WeakPassword(exc.detail, pointer="/new_password") from None
