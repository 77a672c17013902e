"""Bodies of the public authentication routes (/v1/auth/*)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from notes_core.models import Reply, Request


def _lower(value: str) -> str:
    return value.lower()


# A deliberately plain check: Cognito has the last word; this only refuses what is clearly not
# an address before a round trip.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"),
    AfterValidator(_lower),
]
# Length only: the user pool's password policy (template.yaml) judges the rest and Cognito's
# refusal becomes a 422.
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=8192)]


class SignUpRequest(Request):
    email: Email
    password: Password
    full_name: FullName


class SignUpReply(Reply):
    user_id: str = Field(description="The new user's id (Cognito sub).")
    confirmed: bool


class ConfirmSignUpRequest(Request):
    email: Email
    code: Code


class EmailRequest(Request):
    email: Email


class SignInRequest(Request):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RefreshRequest(Request):
    refresh_token: Token


class ResetPasswordRequest(Request):
    email: Email
    code: Code
    new_password: Password


class TokensReply(Reply):
    access_token: str
    id_token: str
    expires_in: int = Field(description="Seconds until the access token expires.")
    token_type: Literal["Bearer"] = "Bearer"


class SignInReply(TokensReply):
    refresh_token: str
