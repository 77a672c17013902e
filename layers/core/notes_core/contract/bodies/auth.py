"""Bodies of the public authentication routes (/v1/auth/*)."""

from typing import Annotated, Literal

from msgspec import Meta

from notes_core.contract.bodies.base import Reply, Request

# The user pool's usernames are email addresses, which Cognito takes up to 128 characters, and its
# codes go out through SES, which takes ASCII addresses only. The pattern is what both Cognito and
# moto take; it starts with a letter, digit or _, as moto's does. Surrounding blanks (spaces, tabs,
# line breaks: what every regex engine agrees on) are allowed and stripped (see normalised_email).
Email = Annotated[
    str,
    Meta(
        max_length=128,
        pattern=r"^[ \t\r\n]*[A-Za-z0-9_][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}[ \t\r\n]*$",
        description="An email address (ASCII, at most 128 characters).",
        examples=["ann@example.com"],
    ),
]
# The user pool's password policy (template.yaml: at least 8 characters, with a lower case letter,
# an upper case letter and a digit); Cognito takes passwords up to 256 characters. Lookaheads over
# [\s\S] read the same in every regex engine (`.` does not).
PASSWORD_POLICY = r"^(?=[\s\S]*[a-z])(?=[\s\S]*[A-Z])(?=[\s\S]*[0-9])"
Password = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=256,
        pattern=PASSWORD_POLICY,
        description="At least 8 characters, with a lower case letter (a-z), an upper case letter (A-Z) and a "
        "digit (0-9): the user pool's password policy.",
        examples=["Correct-Horse-1"],
    ),
]
Code = Annotated[
    str, Meta(min_length=1, max_length=64, pattern=r"\S", description="The emailed code.", examples=["123456"])
]
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
