"""template.yaml's operations: the outputs an operator reads."""

from typing import Any

from local import template as tpl

TEMPLATE = tpl.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def _of_type(kind: str) -> dict[str, Any]:
    return {name: resource["Properties"] for name, resource in RESOURCES.items() if resource["Type"] == kind}


# ---------------------------------------------------------------- outputs
OPERATOR_OUTPUTS = {
    "ApiUrl", "UserPoolId", "UserPoolClientId", "NotesTableName", "MediaBucketName",
    "MediaEventsQueueUrl", "MediaEventsQueueArn", "MediaCleanupQueueUrl", "MediaCleanupQueueArn",
    "MediaEventsDeadLetterQueueUrl", "MediaEventsDeadLetterQueueArn",
    "MediaCleanupDeadLetterQueueUrl", "MediaCleanupDeadLetterQueueArn",
    "DeleteNoteStateMachineArn", "DeleteAccountStateMachineArn", "PurgeTrashStateMachineArn",
    "TrashPurgeQueueUrl", "TrashPurgeQueueArn", "TrashPurgeDeadLetterQueueUrl", "TrashPurgeDeadLetterQueueArn",
    "FunctionsLogGroupName", "StateMachinesLogGroupName",
    "AlarmTopicArn", "MediaDistributionId",
}  # fmt: skip


def test_the_outputs_are_the_ones_an_operator_uses() -> None:
    outputs = TEMPLATE["Outputs"]
    assert set(outputs) == OPERATOR_OUTPUTS
    # Not one per function: functions are found through alarms, logs and traces
    functions = set(_of_type("AWS::Serverless::Function"))
    assert not functions & set().union(*(tpl.references(output["Value"]) for output in outputs.values()))
