"""local.provision: template resources created in moto as CloudFormation would create them."""

import json

from local.provision import provision
from local.stack import LocalStack


def test_a_resource_whose_condition_is_false_is_not_created(stack: LocalStack) -> None:
    # Given a template with a queue under a false condition and one under none
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Skipped": {"Type": "AWS::SQS::Queue", "Condition": "Never", "Properties": {}},
            "Created": {"Type": "AWS::SQS::Queue", "Properties": {}},
        },
    }

    # When it is provisioned
    provisioned = provision(
        stack.session, endpoint_url=stack.moto.endpoint_url, stack_name="conditions", template=template
    )

    # Then only the unconditional queue exists, and nothing answers for the skipped one
    queues = stack.client("sqs").list_queues(QueueNamePrefix="conditions-")["QueueUrls"]
    assert [url.rsplit("/", 1)[-1] for url in queues] == ["conditions-created"]
    assert "Skipped" not in provisioned.resolver.refs


def test_log_groups_alarms_and_the_alarm_topic_come_from_the_template(stack: LocalStack) -> None:
    # Given the stack provisioned from template.yaml (default parameters: no alarm email)
    template = stack.provisioned.template
    of_type = {
        kind: [logical_id for logical_id, resource in template["Resources"].items() if resource["Type"] == kind]
        for kind in ("AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm")
    }

    # Then every log group keeps its logs as long as the template says
    groups = {group["logGroupName"]: group for group in stack.client("logs").describe_log_groups()["logGroups"]}
    for logical_id in of_type["AWS::Logs::LogGroup"]:
        assert groups[stack.ref(logical_id)]["retentionInDays"] == stack.ref("LogRetentionDays")
    # And every alarm exists with its actions pointing at the alarm topic, which has no subscriber
    names = [stack.ref(logical_id) for logical_id in of_type["AWS::CloudWatch::Alarm"]]
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names) > 0
    assert {tuple(alarm["AlarmActions"]) for alarm in alarms} == {(stack.ref("AlarmTopic"),)}
    assert stack.client("sns").list_subscriptions_by_topic(TopicArn=stack.ref("AlarmTopic"))["Subscriptions"] == []
    # ...and which is encrypted with the stack's own key, rotated, under the template's key policy
    key = stack.ref("AlarmTopicKey")
    topic = stack.client("sns").get_topic_attributes(TopicArn=stack.ref("AlarmTopic"))["Attributes"]
    assert topic["KmsMasterKeyId"] == key
    assert stack.client("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    policy = json.loads(stack.client("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy == stack.provisioned.resolver.resolve(
        template["Resources"]["AlarmTopicKey"]["Properties"]["KeyPolicy"]
    )


def test_the_dashboard_is_provisioned_with_the_stacks_own_resources(stack: LocalStack) -> None:
    # Given the stack provisioned from template.yaml
    template = stack.provisioned.template
    alarms = [name for name, resource in template["Resources"].items() if resource["Type"] == "AWS::CloudWatch::Alarm"]

    # When its dashboard is read back from CloudWatch (which refuses a body that is not JSON)
    body = stack.client("cloudwatch").get_dashboard(DashboardName=stack.ref("OperationsDashboard"))["DashboardBody"]
    widgets = json.loads(body)["widgets"]

    # Then its alarm widget shows the provisioned alarms, and its graphs name the provisioned table,
    # queues and state machines
    (alarm_widget,) = [widget for widget in widgets if widget["type"] == "alarm"]
    described = stack.client("cloudwatch").describe_alarms(AlarmNames=[stack.ref(name) for name in alarms])
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(a["AlarmArn"] for a in described["MetricAlarms"])
    for logical_id in ("NotesTable", "DeleteNoteStateMachine", "DeleteAccountStateMachine"):
        assert f'"{stack.ref(logical_id)}"' in body
    for queue in ("MediaEventsQueue", "MediaCleanupQueue", "MediaEventsDeadLetterQueue", "MediaCleanupDeadLetterQueue"):
        assert f'"{stack.provisioned.resolver.get_att(queue, "QueueName")}"' in body
