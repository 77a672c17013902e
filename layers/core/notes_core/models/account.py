"""Bodies of the account routes (/v1/account*)."""

from datetime import datetime

from pydantic import Field

from notes_core.models import Reply, Request
from notes_core.models.auth import Code, Email, FullName, Password


class AccountReply(Reply):
    user_id: str
    email: str
    full_name: str
    email_verified: bool
    created_at: datetime
    photo_url: str | None = Field(default=None, description="A short-lived link to the profile photo, if any.")


class UpdateAccountRequest(Request):
    full_name: FullName


class ChangePasswordRequest(Request):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class ChangeEmailRequest(Request):
    email: Email


class VerifyEmailRequest(Request):
    code: Code


class DeletionReply(Reply):
    deletion_id: str = Field(description="Names this deletion in the delete-account state machine's executions.")
