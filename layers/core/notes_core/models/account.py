"""Bodies of the account routes (/v1/account*)."""

from datetime import datetime

from pydantic import Field

from notes_core.models import Reply


class AccountReply(Reply):
    user_id: str
    email: str
    full_name: str
    email_verified: bool
    created_at: datetime
    photo_url: str | None = Field(default=None, description="A short-lived link to the profile photo, if any.")
