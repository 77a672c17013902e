"""template.yaml's operations: the API's access log and the outputs an operator reads."""

import json
import re
from typing import Any

from local import template as tpl
from local.front import AccessLogFormat

TEMPLATE = tpl.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def _of_type(kind: str) -> dict[str, Any]:
    return {name: resource["Properties"] for name, resource in RESOURCES.items() if resource["Type"] == kind}


# ---------------------------------------------------------------- access log
def test_the_api_stage_writes_a_json_access_log_line_per_request() -> None:
    # Given the HTTP API's access log settings
    (api,) = _of_type("AWS::Serverless::HttpApi").values()
    settings = api["AccessLogSettings"]

    # Then it goes to a log group of its own, kept as long as the other logs
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert RESOURCES["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # And its format is one JSON object per request, with the fields an operator reads, both when a
    # function answered and when the gateway did (no integration: "-"); the local front fills in every
    # variable it names (AccessLogFormat refuses others), so the local stack logs the same fields
    log_format = AccessLogFormat(settings["Format"])
    fields = {
        "requestId", "ip", "requestTime", "httpMethod", "routeKey", "path", "status",
        "responseLatency", "integrationLatency", "integrationErrorMessage", "userAgent",
    }  # fmt: skip
    answered_by_a_function = dict.fromkeys(AccessLogFormat.VARIABLES, "7")
    answered_by_the_gateway = {"requestId": "Mc7UVioPPHcEKPA=", "status": 404, "responseLatency": 0}
    for values in (answered_by_a_function, answered_by_the_gateway):
        line = json.loads(log_format.line(values))
        assert set(line) == fields
        assert isinstance(line["status"], int)
        assert isinstance(line["responseLatency"], int)
    assert "\n" not in settings["Format"]
    # And no header but the user agent, nor anything of the token, is logged
    assert not re.search(r"authoriz|header|token|claims", settings["Format"], re.IGNORECASE)


# ---------------------------------------------------------------- outputs
OPERATOR_OUTPUTS = {
    "ApiUrl", "UserPoolId", "UserPoolClientId", "NotesTableName", "MediaBucketName",
    "MediaEventsQueueUrl", "MediaEventsQueueArn", "MediaCleanupQueueUrl", "MediaCleanupQueueArn",
    "MediaEventsDeadLetterQueueUrl", "MediaEventsDeadLetterQueueArn",
    "MediaCleanupDeadLetterQueueUrl", "MediaCleanupDeadLetterQueueArn",
    "DeleteNoteStateMachineArn", "DeleteAccountStateMachineArn", "PurgeTrashStateMachineArn",
    "TrashPurgeQueueUrl", "TrashPurgeQueueArn", "TrashPurgeDeadLetterQueueUrl", "TrashPurgeDeadLetterQueueArn",
    "FunctionsLogGroupName", "StateMachinesLogGroupName", "ApiAccessLogGroupName",
    "AlarmTopicArn", "MediaDistributionId",
}  # fmt: skip


def test_the_outputs_are_the_ones_an_operator_uses() -> None:
    outputs = TEMPLATE["Outputs"]
    assert set(outputs) == OPERATOR_OUTPUTS
    # Not one per function: functions are found through alarms, logs and traces
    functions = set(_of_type("AWS::Serverless::Function"))
    assert not functions & set().union(*(tpl.references(output["Value"]) for output in outputs.values()))
