"""The signed-in user's own account: profile and sign-out."""

import math
import time

from notes_core import cdn, errors, identity, table
from notes_core.caller import Caller
from notes_core.models.account import AccountReply
from notes_core.note import photo_key


def get_account(caller: Caller) -> AccountReply:
    user = table.get_user(caller.user_id)
    if user.deleting:
        raise errors.NotAuthenticated("This account is being deleted.")
    attributes, created_at = identity.get_user(caller.username)
    return AccountReply(
        user_id=caller.user_id,
        email=attributes.get("email", ""),
        full_name=attributes.get("name", ""),
        email_verified=attributes.get("email_verified", "false") == "true",
        created_at=created_at,
        photo_url=cdn.download_link(photo_key(caller.user_id))[0] if user.photo is not None else None,
    )


def sign_out(caller: Caller) -> None:
    """Revoke the user's refresh tokens and refuse writes with any access token issued before now.

    Token `iat` claims have whole-second precision, so the cut-off is the next whole second and the
    call returns only once it has passed: every token issued before this sign-out has an earlier
    `iat`, and every token issued after it (a new sign-in) has a later or equal one.
    """
    identity.global_sign_out(caller.access_token)
    not_before = math.floor(time.time()) + 1
    table.record_sign_out(caller.user_id, not_before)
    time.sleep(max(0.0, not_before - time.time()))
