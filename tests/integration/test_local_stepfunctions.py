"""The local stack's Step Functions (moto, with local.moto_stepfunctions's fixes) answers as Step
Functions does: CreateStateMachine refuses a definition that is not Amazon States Language with
InvalidDefinition, and a definition parsed once still runs each execution on its own input."""

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import LocalStack

ROLE = "arn:aws:iam::123456789012:role/local-test"


def _finished(stepfunctions: Any, arn: str) -> dict[str, Any]:
    for _ in range(200):
        execution: dict[str, Any] = stepfunctions.describe_execution(executionArn=arn)
        if execution["status"] != "RUNNING":
            return execution
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


@pytest.mark.parametrize(
    "definition",
    [
        "{ not json",
        json.dumps({"StartAt": "Missing", "States": {}}),
        json.dumps({"StartAt": "Go", "States": {"Go": {"Type": "Teleport", "End": True}}}),
    ],
)
def test_an_invalid_definition_is_refused_every_time(stack: LocalStack, definition: str) -> None:
    stepfunctions = stack.client("stepfunctions")
    for attempt in range(2):
        # When a state machine is created with a definition that is not valid ASL (twice: a refused
        # definition is not kept as parsed)
        with pytest.raises(ClientError) as refused:
            stepfunctions.create_state_machine(
                name=f"invalid-{uuid.uuid4().hex[:8]}-{attempt}", definition=definition, roleArn=ROLE
            )

        # Then Step Functions refuses it, as CreateStateMachine does
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"


def test_executions_of_one_definition_each_evaluate_their_own_input(stack: LocalStack) -> None:
    # Given a state machine whose definition (parsed when it was created) passes its input through a Choice
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    }
    stepfunctions = stack.client("stepfunctions")
    machine = stepfunctions.create_state_machine(
        name=f"choice-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]

    # When it runs three times with different inputs
    arns = [
        stepfunctions.start_execution(stateMachineArn=machine, name=f"n-{n}", input=json.dumps({"n": n}))[
            "executionArn"
        ]
        for n in (2, 0, 5)
    ]

    # Then each execution took the branch its own input chose
    outputs = [json.loads(_finished(stepfunctions, arn)["output"]) for arn in arns]
    assert outputs == [{"n": 2, "size": "big"}, {"n": 0, "size": "small"}, {"n": 5, "size": "big"}]
