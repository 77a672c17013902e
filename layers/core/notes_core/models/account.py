"""Bodies of the account routes (/v1/account*)."""

from datetime import datetime

from notes_core.models import Reply


class AccountReply(Reply):
    user_id: str
    email: str
    full_name: str
    email_verified: bool
    created_at: datetime
