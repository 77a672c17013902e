"""Sign-up, sign-in and password flows. The rules here keep the answers from revealing whether an
email address is registered, except where the contract says otherwise (sign-up answers 409)."""

from contextlib import suppress

from notes_core import errors, identity
from notes_core.models.auth import (
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

_INCORRECT = "Incorrect email or password."


def sign_up(request: SignUpRequest) -> SignUpReply:
    try:
        user_id, confirmed = identity.sign_up(request.email, request.password, request.full_name)
    except errors.AlreadyExists:
        raise errors.AlreadyExists("An account with this email address exists already.") from None
    return SignUpReply(user_id=user_id, confirmed=confirmed)


def confirm_sign_up(request: ConfirmSignUpRequest) -> None:
    try:
        identity.confirm_sign_up(request.email, request.code)
    except (errors.NotFound, errors.NotAuthenticated):
        # An unknown email or an already confirmed one: say no more than "this code does not work".
        raise errors.InvalidCode("The code is wrong or has expired.") from None


# Unknown or already confirmed emails get the same answer as a real resend or reset, so the
# answer does not reveal whether an email is registered.
_UNREVEALED = (errors.NotFound, errors.InvalidInput, errors.NotAuthenticated)


def resend_code(request: EmailRequest) -> None:
    with suppress(*_UNREVEALED):
        identity.resend_confirmation_code(request.email)


def sign_in(request: SignInRequest) -> SignInReply:
    try:
        result = identity.password_sign_in(request.email, request.password)
    except (errors.NotFound, errors.NotAuthenticated):
        raise errors.NotAuthenticated(_INCORRECT) from None
    return SignInReply(
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result["RefreshToken"],
        expires_in=result["ExpiresIn"],
    )


def refresh(request: RefreshRequest) -> TokensReply:
    try:
        result = identity.refresh_sign_in(request.refresh_token)
    except (errors.NotFound, errors.NotAuthenticated, errors.InvalidInput):
        raise errors.NotAuthenticated("The refresh token is not valid or was revoked.") from None
    return TokensReply(access_token=result["AccessToken"], id_token=result["IdToken"], expires_in=result["ExpiresIn"])


def forgot_password(request: EmailRequest) -> None:
    with suppress(*_UNREVEALED):
        identity.forgot_password(request.email)


def reset_password(request: ResetPasswordRequest) -> None:
    try:
        identity.confirm_forgot_password(request.email, request.code, request.new_password)
    except (errors.NotFound, errors.NotAuthenticated):
        raise errors.InvalidCode("The code is wrong or has expired.") from None
    except errors.WeakPassword as exc:
        raise errors.WeakPassword(exc.detail, pointer="/new_password") from None
