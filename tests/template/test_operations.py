"""template.yaml's operations: the API's access log, the alarms and the key their topic is
encrypted with, the dashboard and the outputs, and docs/operations.md, the runbook they point into:
every alarm notifies the alarm topic, which CloudWatch may publish to, and names its section there,
every dashboard widget is explained there, every output is read there."""

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from local import template as tpl
from local.front import AccessLogFormat

TEMPLATE = tpl.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_VARIABLES = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
RUNBOOK = (tpl.ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
CORE = tpl.ROOT / "layers" / "core" / "notes_core"


def _of_type(kind: str) -> dict[str, Any]:
    return {name: resource["Properties"] for name, resource in RESOURCES.items() if resource["Type"] == kind}


ALARMS = _of_type("AWS::CloudWatch::Alarm")


def _section(title: str) -> str:
    """The runbook's `## title` section, up to the next one."""
    start = RUNBOOK.index(f"\n## {title}\n")
    end = RUNBOOK.find("\n## ", start + 1)
    return RUNBOOK[start : end if end > 0 else None]


def _text(value: Any) -> str:
    """A string property as written, a !Sub's text included."""
    return value if isinstance(value, str) else str(value["Fn::Sub"])


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


# ---------------------------------------------------------------- alarms
@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_notifies_the_topic_and_names_its_runbook_section(name: str) -> None:
    alarm = ALARMS[name]

    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert f"Runbook: docs/operations.md#{name.lower()}" in _text(alarm["AlarmDescription"])
    assert f"\n### {name}\n" in _section("Alarms")


def test_the_runbook_has_a_section_per_alarm_and_none_for_an_alarm_that_is_gone() -> None:
    headings = re.findall(r"^### (\w+)$", _section("Alarms"), re.MULTILINE)

    assert sorted(headings) == sorted(ALARMS)


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]


def _returned_expression(alarm: dict[str, Any]) -> str:
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return _text(returned["Expression"])


def test_the_api_alarms_fire_on_a_5xx_rate_over_several_minutes_and_on_p99_latency() -> None:
    # The 5xx rate: 5xx over all requests of the stage, above a parameter, in 3 of 5 minutes
    rate = ALARMS["Api5xxAlarm"]
    metrics = {metric["MetricName"]: metric for metric in _metric_stats(rate)}
    assert set(metrics) == {"5xx", "Count"}
    assert all(m["Dimensions"][0] == {"Name": "ApiId", "Value": {"Ref": "HttpApi"}} for m in metrics.values())
    expression = _returned_expression(rate)
    assert "/" in expression
    assert rate["Threshold"] == {"Ref": "Api5xxRateThresholdPercent"}
    assert rate["DatapointsToAlarm"] >= 3
    assert rate["EvaluationPeriods"] >= rate["DatapointsToAlarm"]
    # The p99 latency, above a parameter
    latency = ALARMS["ApiLatencyAlarm"]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == (
        "AWS/ApiGateway",
        "Latency",
        "p99",
    )
    assert latency["Threshold"] == {"Ref": "ApiLatencyP99ThresholdMs"}
    # And both parameters have sensible defaults
    parameters = TEMPLATE["Parameters"]
    assert 0 < parameters["Api5xxRateThresholdPercent"]["Default"] <= 5
    assert 0 < parameters["ApiLatencyP99ThresholdMs"]["Default"] <= 5000


@pytest.mark.parametrize(("name", "metric"), [("LambdaErrorsAlarm", "Errors"), ("LambdaThrottlesAlarm", "Throttles")])
def test_one_alarm_watches_every_functions_errors_and_one_their_throttles(name: str, metric: str) -> None:
    # Lambda's metrics without a FunctionName dimension cover every function: one alarm, not one
    # per function, and no function can be added without it
    alarm = ALARMS[name]
    metrics = _metric_stats(alarm)
    assert {m["MetricName"] for m in metrics} == {metric, "Invocations"}
    assert all(m["Namespace"] == "AWS/Lambda" and "Dimensions" not in m for m in metrics)
    assert "/" in _returned_expression(alarm)
    watching = [other for other in ALARMS.values() if metric in {m["MetricName"] for m in _metric_stats(other)}]
    assert watching == [alarm]


@pytest.mark.parametrize(
    ("name", "metric"), [("TableThrottlesAlarm", "ThrottledRequests"), ("TableSystemErrorsAlarm", "SystemErrors")]
)
def test_table_alarms_count_every_operation_on_the_table(name: str, metric: str) -> None:
    query = _returned_expression(ALARMS[name])

    assert f'SUM({metric}) FROM SCHEMA("AWS/DynamoDB", TableName, Operation)' in query
    assert "WHERE TableName = '${NotesTable}'" in query


@pytest.mark.parametrize("source", tpl.queue_sources(TEMPLATE), ids=lambda source: source.queue)
def test_every_work_queue_has_an_oldest_message_age_alarm(source: tpl.QueueSource) -> None:
    queue = RESOURCES[source.queue]["Properties"]
    (alarm,) = [
        alarm
        for alarm in ALARMS.values()
        if alarm.get("MetricName") == "ApproximateAgeOfOldestMessage"
        and alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [source.queue, "QueueName"]}}]
    ]

    # A message older than a receive's visibility timeout is waiting, not being worked on
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] > queue["VisibilityTimeout"]


# ---------------------------------------------------------------- the alarm topic's key
# A key policy read as KMS reads it, for the few elements this template uses: an Allow or Deny of
# actions (wildcards as IAM's) to principals, under StringEquals and ArnLike conditions
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
# ArnLike checks each of an ARN's six colon-delimited parts on its own). Any other element or
# operator fails the test rather than being misread.
ACCOUNT = tpl.ACCOUNT_ID
REGION = "us-east-1"
STACK = "notes-sync-prod"


def _arn_like(value: str, pattern: str) -> bool:
    parts, patterns = value.split(":", 5), pattern.split(":", 5)
    return len(parts) == len(patterns) == 6 and all(map(fnmatch.fnmatchcase, parts, patterns))


_CONDITION_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, expected: value == expected,
    "ArnLike": _arn_like,
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _applies(statement: dict[str, Any], principal: dict[str, str], action: str, context: dict[str, str]) -> bool:
    assert set(statement) <= {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}, statement
    assert statement["Resource"] == "*"  # a key policy's statements are about the key itself
    (kind, name), *_ = principal.items()
    if name not in _as_list(statement["Principal"].get(kind, [])):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), allowed.lower()) for allowed in _as_list(statement["Action"])):
        return False
    return all(
        key in context and any(_CONDITION_OPERATORS[operator](context[key], value) for value in _as_list(values))
        for operator, conditions in statement.get("Condition", {}).items()
        for key, values in conditions.items()
    )


def _allowed(policy: dict[str, Any], principal: dict[str, str], action: str, context: dict[str, str]) -> bool:
    applying = [s["Effect"] for s in policy["Statement"] if _applies(s, principal, action, context)]
    return "Allow" in applying and "Deny" not in applying


def _alarm_topic_key_policy() -> dict[str, Any]:
    key = RESOURCES["AlarmTopic"]["Properties"]["KmsMasterKeyId"]
    assert isinstance(key, dict), f"the alarm topic is encrypted with {key!r}, a key whose policy is not the stack's"
    (logical_id,) = tpl.references(key)
    assert RESOURCES[logical_id]["Type"] == "AWS::KMS::Key"
    policy: dict[str, Any] = tpl.Resolver(TEMPLATE, REGION, STACK).resolve(
        RESOURCES[logical_id]["Properties"]["KeyPolicy"]
    )
    return policy


CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def _alarm_arn(name: str, account: str = ACCOUNT) -> str:
    """The ARN of an alarm of the stack: under its AlarmName, or the name CloudFormation gives it."""
    given = ALARMS[name].get("AlarmName")
    resolved = tpl.Resolver(TEMPLATE, REGION, STACK).resolve(given) if given else f"{STACK}-{name}-1A2B3C4D5E6F"
    return f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{resolved}"


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_may_use_the_alarm_topics_key_to_publish(name: str) -> None:
    # Given the key policy of the key the alarm topic is encrypted with
    policy = _alarm_topic_key_policy()

    # When CloudWatch publishes the alarm's notification (SNS asks KMS for a data key, then
    # decrypts it, on its behalf: the request context names the alarm and its account)
    context = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": _alarm_arn(name)}

    # Then the key policy allows both
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert _allowed(policy, CLOUDWATCH, action, context), action


def test_the_alarm_topics_key_serves_no_other_account_and_the_account_administers_it() -> None:
    # Given the key policy of the key the alarm topic is encrypted with
    policy = _alarm_topic_key_policy()
    other_account = "210987654321"

    # Then CloudWatch may not use it for another account's alarm (the confused deputy) nor with
    # no alarm named at all
    elsewhere = {"aws:SourceAccount": other_account, "aws:SourceArn": _alarm_arn("Api5xxAlarm", other_account)}
    assert not _allowed(policy, CLOUDWATCH, "kms:GenerateDataKey", elsewhere)
    assert not _allowed(policy, CLOUDWATCH, "kms:GenerateDataKey", {"aws:SourceAccount": ACCOUNT})
    # ...nor do anything else with it
    context = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": _alarm_arn("Api5xxAlarm")}
    assert not _allowed(policy, CLOUDWATCH, "kms:Encrypt", context)
    # And the account keeps administering the key (and granting its use through IAM policies)
    root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert all(_allowed(policy, root, action, {}) for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"))
    # ...which rotates every year
    assert RESOURCES["AlarmTopicKey"]["Properties"]["EnableKeyRotation"] is True


# ---------------------------------------------------------------- dashboard
class _Symbolic(tpl.Resolver):
    """Resolves a resource's Ref to `<Name>` and its GetAtt to `<Name.Attribute>`; parameters and
    pseudo parameters to their values (defaults)."""

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::") or name in self.parameters:
            return super().ref(name)
        return f"<{name}>"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return f"<{logical_id}.{attribute}>"


def _dashboard_widgets() -> list[dict[str, Any]]:
    (dashboard,) = _of_type("AWS::CloudWatch::Dashboard").values()
    body = _Symbolic(TEMPLATE, "us-east-1", "notes-sync").resolve(dashboard["DashboardBody"])
    widgets: list[dict[str, Any]] = json.loads(body)["widgets"]
    return widgets


def _graphed() -> tuple[list[list[Any]], list[str]]:
    """Every metric the dashboard's graphs draw ([namespace, name, dimension, value, ...]) and every
    expression (SEARCH and Metrics Insights)."""
    metrics, expressions = [], []
    for widget in _dashboard_widgets():
        for entry in widget["properties"].get("metrics", []):
            if isinstance(entry[0], dict):
                expressions.append(entry[0]["expression"])
            else:
                metrics.append([part for part in entry if not isinstance(part, dict)])
    return metrics, expressions


def _emitted_business_metrics() -> set[str]:
    """The metric names notes_core passes to Powertools' add_metric."""
    names: set[str] = set()
    for path in CORE.rglob("*.py"):
        for argument in re.findall(r"add_metric\(name=(.*?), unit=", path.read_text(encoding="utf-8")):
            names.update(re.findall(r'"(\w+)"', argument))
    return names


def test_the_dashboard_shows_every_alarm_and_every_part_of_the_stack() -> None:
    metrics, expressions = _graphed()

    def drawn(namespace: str, name: str, *dimensions: str) -> bool:
        return [namespace, name, *dimensions] in metrics

    # Every alarm's state
    (alarm_widget,) = [w for w in _dashboard_widgets() if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(f"<{name}.Arn>" for name in ALARMS)
    # The API: requests, 4xx, 5xx, latency percentiles
    stage = ("ApiId", "<HttpApi>", "Stage", "$default")
    assert all(drawn("AWS/ApiGateway", name, *stage) for name in ("Count", "4xx", "5xx", "Latency"))
    # The functions: errors, throttles, duration, cold starts (the functions' own metric)
    assert all(drawn("AWS/Lambda", name) for name in ("Errors", "Throttles", "Duration"))
    namespace = GLOBAL_VARIABLES["POWERTOOLS_METRICS_NAMESPACE"]
    assert any(f"{{{namespace},function_name,service}}" in e and '"ColdStart"' in e for e in expressions)
    # Every state machine's executions
    for machine in _of_type("AWS::Serverless::StateMachine"):
        for name in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"):
            assert drawn("AWS/States", name, "StateMachineArn", f"<{machine}>"), (machine, name)
    # Every queue's depth, and every work queue's oldest message
    for queue in _of_type("AWS::SQS::Queue"):
        assert drawn("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"<{queue}.QueueName>")
    for source in tpl.queue_sources(TEMPLATE):
        assert drawn("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"<{source.queue}.QueueName>")
    # The table's capacity, throttles and system errors
    for name in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"):
        assert drawn("AWS/DynamoDB", name, "TableName", "<NotesTable>")
    for name in ("ThrottledRequests", "SystemErrors"):
        assert any(f"SUM({name})" in e and "'<NotesTable>'" in e for e in expressions)
    # Every business metric the functions emit, as Powertools publishes them
    service = GLOBAL_VARIABLES["POWERTOOLS_SERVICE_NAME"]
    emitted = _emitted_business_metrics()
    assert emitted == {
        "ChangesWritten",
        "Conflicts",
        "ImagesAccepted",
        "ImagesRejected",
        "ObjectsDeleted",
        "RequestsOverLimit",
        "RequestLimitsUnchecked",
        "PokesSent",
        "ConnectionsGone",
        "SilentPushesSent",
    }
    assert all(drawn(namespace, name, "service", service) for name in emitted)


def test_every_dashboard_widget_is_explained_in_the_runbook() -> None:
    explained = _section("The dashboard")

    for widget in _dashboard_widgets():
        if widget["type"] != "text":
            assert f"\n| {widget['properties']['title']} |" in explained, widget["properties"]["title"]


# ---------------------------------------------------------------- outputs
OPERATOR_OUTPUTS = {
    "ApiUrl", "UserPoolId", "UserPoolClientId", "NotesTableName", "MediaBucketName",
    "MediaEventsQueueUrl", "MediaEventsQueueArn", "MediaCleanupQueueUrl", "MediaCleanupQueueArn",
    "MediaEventsDeadLetterQueueUrl", "MediaEventsDeadLetterQueueArn",
    "MediaCleanupDeadLetterQueueUrl", "MediaCleanupDeadLetterQueueArn",
    "DeleteNoteStateMachineArn", "DeleteAccountStateMachineArn", "PurgeTrashStateMachineArn",
    "TrashPurgeQueueUrl", "TrashPurgeQueueArn", "TrashPurgeDeadLetterQueueUrl", "TrashPurgeDeadLetterQueueArn",
    "FunctionsLogGroupName", "StateMachinesLogGroupName", "ApiAccessLogGroupName",
    "DashboardUrl", "AlarmTopicArn", "DeploymentApplicationName", "MediaDistributionId",
    "WebSocketUrl", "PokeDeadLetterQueueUrl", "SilentPushQueueUrl", "SilentPushDeadLetterQueueUrl",
    "SilentPushDeadLetterQueueArn",
}  # fmt: skip


def test_the_outputs_are_the_ones_an_operator_uses_and_the_runbook_reads_each() -> None:
    outputs = TEMPLATE["Outputs"]
    assert set(outputs) == OPERATOR_OUTPUTS
    # Not one per function: functions are found through alarms, logs and traces
    functions = set(_of_type("AWS::Serverless::Function"))
    assert not functions & set().union(*(tpl.references(output["Value"]) for output in outputs.values()))
    # And the runbook sets a variable from each, and reads nothing else
    read = re.findall(r"^\w+=\$\(out (\w+)\)", _section("Where the values come from"), re.MULTILINE)
    assert sorted(read) == sorted(outputs)


def test_the_runbook_uses_no_variable_it_does_not_set() -> None:
    """Every `$VARIABLE` the runbook's commands use is set in it (or by the shell)."""
    code = "\n".join(re.findall(r"```sh\n(.*?)```", RUNBOOK, re.DOTALL))
    assigned = set(re.findall(r"(?:^|\s|export |local )(\w+)=", code, re.MULTILINE))
    assigned |= set(re.findall(r"for (\w+) in", code))
    used = set(re.findall(r"\$\{?([A-Za-z_]\w*)", code))

    assert used - assigned == set()


def test_the_runbook_names_every_parameter_a_deploy_of_parameters_alone_leaves_behind_the_alias() -> None:
    """Functions read these from their environment; SAM publishes no version when only they change
    (test_sam_transform.py), so the runbook's "Deploying" tells operators to move the aliases."""
    functions = _of_type("AWS::Serverless::Function").values()
    environments = [TEMPLATE["Globals"]["Function"]["Environment"], *(f.get("Environment", {}) for f in functions)]
    read = tpl.references(environments) & set(TEMPLATE["Parameters"])
    deploying = _section("Deploying")

    assert read
    for parameter in read:
        assert f"`{parameter}`" in deploying or (parameter.startswith("Cdn") and "the `Cdn*` ones" in deploying)


def test_the_runbook_links_only_to_its_own_sections() -> None:
    headings = re.findall(r"^#{2,3} (.+)$", RUNBOOK, re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}

    assert set(re.findall(r"\]\(#([\w-]+)\)", RUNBOOK)) <= anchors
