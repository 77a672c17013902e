"""The signed-in user's own account: profile, password, email, sign-out and deletion."""

import math
import time
import uuid
from contextlib import suppress

from notes_core.contract.bodies.account import (
    AccountReply,
    ChangeEmailRequest,
    ChangePasswordRequest,
    DeletionReply,
    UpdateAccountRequest,
    VerifyEmailRequest,
)
from notes_core.data import cdn, identity, table, workflows
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.domain.note import photo_key

# After the account is deleted, a marker refuses its tokens until every one has expired (access
# tokens live at most a day).
DELETION_MARKER_SECONDS = 2 * 86400
_FINISHED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")


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

    A token from before the user's last sign-out is refused like any write (it could otherwise
    sign the user out again, revoking the refresh tokens of the sessions that came after).
    Token `iat` claims count whole seconds, so the cut-off is the next whole second: every token
    issued before this sign-out has an earlier `iat`. The call does not wait for it to pass; a
    sign-in within that second waits instead (notes_core.usecases.auth.sign_in).
    """
    _may_write(caller)
    # Cognito may have revoked this token already (an earlier attempt of this sign-out whose
    # cut-off was not recorded, or an operator's global sign-out): then record the cut-off now.
    with suppress(errors.NotAuthenticated):
        identity.global_sign_out(caller.access_token)
    table.record_sign_out(caller.user_id, math.floor(time.time()) + 1)


def _may_write(caller: Caller) -> None:
    """Account writes are refused like note writes: for tokens older than a sign-out, and once
    the account is being deleted."""
    if table.get_user(caller.user_id).refuses(caller.issued_at):
        raise errors.TokenRefused()


def update_account(caller: Caller, request: UpdateAccountRequest) -> AccountReply:
    _may_write(caller)
    identity.update_attributes(caller.access_token, {"name": request.full_name})
    return get_account(caller)


def change_password(caller: Caller, request: ChangePasswordRequest) -> None:
    _may_write(caller)
    try:
        identity.change_password(caller.access_token, request.old_password, request.new_password)
    except errors.NotAuthenticated:
        raise errors.WrongPassword("The current password is wrong.") from None
    except errors.WeakPassword as exc:
        raise errors.WeakPassword(exc.detail, pointer="/new_password") from None


def change_email(caller: Caller, request: ChangeEmailRequest) -> None:
    """Cognito emails a code to the new address; POST /v1/account/email/verify confirms it."""
    _may_write(caller)
    try:
        identity.update_attributes(caller.access_token, {"email": request.email})
    except errors.AlreadyExists:
        raise errors.AlreadyExists("Another account uses this email address.") from None


def verify_email(caller: Caller, request: VerifyEmailRequest) -> None:
    _may_write(caller)
    identity.verify_email(caller.access_token, request.code)


def delete_account(caller: Caller) -> DeletionReply:
    """Mark the account (every write and GET /v1/account refuse its tokens from now on), then start
    the delete-account state machine. Asked again, it answers the same deletion; if that
    deletion's execution failed, it starts it again, and the machine finishes the job. A token
    from before the user's last sign-out deletes nothing (the mark is conditional on it)."""
    proposed_id = str(uuid.uuid4())
    try:
        deletion = table.mark_deleting(
            caller.user_id, caller.issued_at, table.Deletion(proposed_id, f"account-{proposed_id}")
        )
    except table.WriteRefused:
        raise errors.TokenRefused() from None
    status = workflows.account_deletion_status(deletion.execution)
    execution = deletion.execution
    if status in _FINISHED_BADLY:
        execution = f"account-{deletion.deletion_id}-{uuid.uuid4().hex[:8]}"
        table.record_deletion_execution(caller.user_id, execution)
    if status is None or status in _FINISHED_BADLY:
        workflows.start_account_deletion(
            execution,
            {
                "user_id": caller.user_id,
                "username": caller.username,
                "deletion_id": deletion.deletion_id,
                "marker_expires_at": int(time.time()) + DELETION_MARKER_SECONDS,
            },
        )
    return DeletionReply(deletion_id=deletion.deletion_id)
