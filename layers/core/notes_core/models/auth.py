"""Bodies of the public authentication routes (/v1/auth/*)."""

from typing import Annotated, Literal

from msgspec import Meta

from notes_core.models import Reply, Request

# A deliberately plain check: Cognito has the last word; this only refuses what is clearly not
# an address before a round trip. Surrounding blanks are allowed and stripped (see _normalised).
Email = Annotated[
    str,
    Meta(max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s.]+\s*$", description="An email address."),
]
# Length only: the user pool's password policy (template.yaml) judges the rest and Cognito's
# refusal becomes a 422.
Password = Annotated[str, Meta(min_length=8, max_length=256)]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"\S", description="The emailed code.")]
FullName = Annotated[str, Meta(min_length=1, max_length=256, pattern=r"\S")]
Token = Annotated[str, Meta(min_length=1, max_length=8192)]


def normalised_email(address: str) -> str:
    """Email addresses are compared without surrounding blanks and case, as the pool does."""
    return address.strip().lower()


class SignUpRequest(Request):
    email: Email
    password: Password
    full_name: FullName

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)
        self.full_name = self.full_name.strip()  # blanks around a name or a code are not part of it


class SignUpReply(Reply):
    user_id: Annotated[str, Meta(description="The new user's id (Cognito sub).")]
    confirmed: bool


class ConfirmSignUpRequest(Request):
    email: Email
    code: Code

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)
        self.code = self.code.strip()


class EmailRequest(Request):
    email: Email

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)


class SignInRequest(Request):
    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256)]

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)


class RefreshRequest(Request):
    refresh_token: Token


class ResetPasswordRequest(Request):
    email: Email
    code: Code
    new_password: Password

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)
        self.code = self.code.strip()


class TokensReply(Reply, kw_only=True):
    access_token: str
    id_token: str
    expires_in: Annotated[int, Meta(description="Seconds until the access token expires.")]
    token_type: Literal["Bearer"] = "Bearer"


class SignInReply(TokensReply):
    refresh_token: str
