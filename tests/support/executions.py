"""Waiting for state machine executions run by moto's ASL executor."""

import time
from typing import Any


def wait_for(sfn: Any, state_machine_arn: str, name: str | None = None, seconds: float = 60) -> dict[str, Any]:
    """The execution (the named one, or the newest) once it has stopped running."""
    deadline = time.monotonic() + seconds
    while True:
        executions = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
        found = [e for e in executions if name is None or e["name"] == name]
        if found and found[0]["status"] != "RUNNING":
            described: dict[str, Any] = sfn.describe_execution(executionArn=found[0]["executionArn"])
            return described
        assert time.monotonic() < deadline, f"no finished execution of {state_machine_arn} ({name})"
        time.sleep(0.1)


def states_entered(sfn: Any, execution_arn: str) -> list[str]:
    """The names of the states the execution entered, in order (Map iterations included)."""
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [event["stateEnteredEventDetails"]["name"] for event in events if event["type"].endswith("StateEntered")]
