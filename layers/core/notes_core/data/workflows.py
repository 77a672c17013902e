"""Data access to Step Functions: starting the deletion and purge state machines, reading their status."""

import hashlib
import json
from functools import cache
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from notes_core.data import aws
from notes_core.runtime.config import WorkflowSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_settings = load_settings(WorkflowSettings)


@cache
def _sfn() -> "SFNClient":
    client: SFNClient = aws.client("stepfunctions")
    return client


def note_cleanup_name(user_id: str, note_id: str, version: int) -> str:
    """The delete-note execution's name, from (user, note, version): one execution per deletion.
    The user is hashed to keep within the 80 characters a name may have."""
    return f"{note_id}-v{version}-{hashlib.sha256(user_id.encode()).hexdigest()[:16]}"


def _start(state_machine_arn: str, name: str, execution_input: dict[str, object]) -> None:
    try:
        _sfn().start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input))
    except ClientError as exc:
        # Started before (a retried request): that execution is doing, or did, the job.
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def start_note_cleanup(user_id: str, note_id: str, version: int) -> None:
    name = note_cleanup_name(user_id, note_id, version)
    _start(
        _settings.delete_note_state_machine_arn,
        name,
        {"user_id": user_id, "note_id": note_id, "version": version},
    )


def start_trash_purge(name: str, execution_input: dict[str, object]) -> None:
    _start(_settings.purge_trash_state_machine_arn, name, execution_input)


def start_account_deletion(name: str, execution_input: dict[str, object]) -> None:
    _start(_settings.delete_account_state_machine_arn, name, execution_input)


def account_deletion_status(name: str) -> str | None:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE; None if never started."""
    arn = _settings.delete_account_state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    try:
        return _sfn().describe_execution(executionArn=arn)["status"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return None
        raise
