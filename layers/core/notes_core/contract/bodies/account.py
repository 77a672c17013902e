"""Bodies of the account routes (/v1/account*)."""

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from notes_core.contract.bodies.auth import Code, Email, FullName, Password, normalised_email
from notes_core.contract.bodies.base import Reply, Request


class AccountReply(Reply):
    user_id: str
    email: str
    full_name: str
    email_verified: bool
    created_at: Annotated[datetime, Meta(tz=True)]
    photo_url: Annotated[str, Meta(description="A short-lived link to the profile photo, if any.")] | None = None


class UpdateAccountRequest(Request):
    full_name: FullName

    def __post_init__(self) -> None:
        self.full_name = self.full_name.strip()


class ChangePasswordRequest(Request):
    old_password: Annotated[str, Meta(min_length=1, max_length=256)]
    new_password: Password


class ChangeEmailRequest(Request):
    email: Email

    def __post_init__(self) -> None:
        self.email = normalised_email(self.email)


class VerifyEmailRequest(Request):
    code: Code

    def __post_init__(self) -> None:
        self.code = self.code.strip()


class DeletionReply(Reply):
    deletion_id: Annotated[
        str, Meta(description="Names this deletion in the delete-account state machine's executions.")
    ]
