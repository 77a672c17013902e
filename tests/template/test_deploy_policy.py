"""docs/deploy-policy.json, the deploying identity's policy, against what a deploy of this template
asks of it.

Without a service role CloudFormation creates, updates and deletes each resource with the caller's
permissions: those each resource type's handlers list in its resource schema ("handlers",
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html), read
here from cfn-lint's copy of the schemas, for every type of the template as SAM's transform hands it
to CloudFormation (tests/template/transformed.py). A handler lists permissions for features of its
type the template may not use; those reaching another service for a feature this template leaves
out are named in UNUSED_FEATURES, each with the property that would bring it in, and each checked
to be absent. To them add what sam deploy itself calls and what a service's guide asks of the
caller beyond its handler (SAM_DEPLOY, GUIDES). The policy must grant each of these, on a
resource it applies to (policy_sentry's copy of the Service Authorization Reference), and nothing
else. Names: CloudFormation names a resource without a name of its own `<stack>-<logical id>-<suffix>`
(CloudFormation template reference, "CloudFormation resource custom naming"), and the policy
scopes such resources to the stack names of samconfig.toml (`notes-sync-*`).
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from local import template as tpl
from tests.support.iam import iam_pattern
from tests.template.transformed import SAMCONFIG, samconfig_overrides, transform

POLICY: dict[str, Any] = json.loads((tpl.ROOT / "docs" / "deploy-policy.json").read_text(encoding="utf-8"))
STATEMENTS: list[dict[str, Any]] = POLICY["Statement"]
TEMPLATE = tpl.load()
HANDLERS = ("create", "read", "update", "delete")  # CloudFormation's own; "list" serves imports
ACCOUNT, REGION = "123456789012", "eu-west-1"


@dataclass(frozen=True)
class Feature:
    """Permissions a handler of `resource_type` lists for a feature the template does not use: one
    that comes with a `key` anywhere in such a resource's properties."""

    resource_type: str
    key: str
    permissions: frozenset[str]


UNUSED_FEATURES = [
    Feature(
        "AWS::Lambda::Function",
        "VpcConfig",
        frozenset(
            {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"}
        ),
    ),
    Feature(
        "AWS::Lambda::Function",
        "FileSystemConfigs",
        frozenset({"elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets"}),
    ),
    Feature("AWS::Lambda::Function", "CapacityProviderConfig", frozenset({"lambda:PassCapacityProvider"})),
    Feature("AWS::Lambda::Function", "CodeSigningConfigArn", frozenset({"lambda:GetCodeSigningConfig"})),
    Feature(
        "AWS::DynamoDB::Table",
        "KinesisStreamSpecification",
        frozenset(
            {
                "kinesis:DescribeStream",
                "kinesis:PutRecords",
                "dynamodb:EnableKinesisStreamingDestination",
                "dynamodb:DisableKinesisStreamingDestination",
                "dynamodb:UpdateKinesisStreamingDestination",
            }
        ),
    ),
    Feature(
        "AWS::DynamoDB::Table",
        "ImportSourceSpecification",
        frozenset(
            {
                "dynamodb:ImportTable",
                "dynamodb:DescribeImport",
                "s3:GetObject",
                "s3:GetObjectMetadata",
                "s3:ListBucket",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:PutRetentionPolicy",
            }
        ),
    ),
    Feature(
        "AWS::S3::Bucket",
        "MetadataTableConfiguration",
        frozenset(
            {
                "s3:CreateBucketMetadataTableConfiguration",
                "s3:DeleteBucketMetadataTableConfiguration",
                "s3:UpdateBucketMetadataAnnotationTableConfiguration",
                "s3:UpdateBucketMetadataInventoryTableConfiguration",
                "s3:UpdateBucketMetadataJournalTableConfiguration",
                "s3tables:CreateNamespace",
                "s3tables:CreateTable",
                "s3tables:CreateTableBucket",
                "s3tables:GetTable",
                "s3tables:GetTableMetadataLocation",
                "s3tables:PutTableBucketPolicy",
                "s3tables:PutTableEncryption",
                "s3tables:PutTablePolicy",
                "s3tables:UpdateTableMetadataLocation",
            }
        ),
    ),
    # A data protection policy's audit findings may go to Firehose or S3 ("s3:REST.PUT.OBJECT" is
    # S3's name of the operation in its access logs, not an IAM action).
    Feature(
        "AWS::Logs::LogGroup", "DataProtectionPolicy", frozenset({"firehose:TagDeliveryStream", "s3:REST.PUT.OBJECT"})
    ),
    Feature(
        "AWS::CodeDeploy::DeploymentGroup", "OnPremisesTagSet", frozenset({"codedeploy:RegisterOnPremisesInstance"})
    ),
    Feature(
        "AWS::CloudFront::Distribution",
        "ConnectionMode",
        frozenset({"cloudfront:CreateConnectionGroup", "cloudfront:GetConnectionGroup"}),
    ),
    Feature("AWS::CloudFront::Distribution", "VpcOriginConfig", frozenset({"cloudfront:GetVpcOrigin"})),
]
# What sam deploy calls itself (samcli/lib/deploy/deployer.py, lib/utils/managed_cloudformation_stack.py,
# lib/package/s3_uploader.py): the stack and its change sets, SAM's managed stack, the artifacts it
# uploads (HeadObject needs s3:GetObject; a failed multipart upload is aborted).
SAM_DEPLOY = {
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplateSummary",
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DescribeStackEvents",
    "s3:PutObject",
    "s3:GetObject",
    "s3:AbortMultipartUpload",
}
# What a service's guide asks of whoever configures it, beyond the handler's list.
GUIDES = {
    # "Configuring logging for an HTTP API", "Permissions to activate logging"
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html)
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:CreateLogDelivery",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:CreateLogGroup",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
}
# The IAM prefix of each service whose resources the template declares, AWS::Serverless::* by what
# SAM makes of them.
SERVICE_PREFIXES = {
    "AWS::Serverless::Function": "lambda",
    "AWS::Serverless::LayerVersion": "lambda",
    "AWS::Serverless::HttpApi": "apigateway",
    "AWS::Serverless::Api": "apigateway",
    "AWS::Serverless::StateMachine": "states",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::ApiGatewayV2": "apigateway",
    "AWS::CloudFront": "cloudfront",
    "AWS::CloudWatch": "cloudwatch",
    "AWS::CodeDeploy": "codedeploy",
    "AWS::Cognito": "cognito-idp",
    "AWS::DynamoDB": "dynamodb",
    "AWS::Events": "events",
    "AWS::IAM": "iam",
    "AWS::KMS": "kms",
    "AWS::Lambda": "lambda",
    "AWS::Logs": "logs",
    "AWS::S3": "s3",
    "AWS::Scheduler": "scheduler",
    "AWS::SNS": "sns",
    "AWS::SQS": "sqs",
    "AWS::SSM": "ssm",
    "AWS::StepFunctions": "states",
}
# Every conditional resource exists in one case or the other.
EVERYTHING_ON = {
    "CdnKeyGroupId": "kg-1",
    "CdnKeyPairId": "K2JCJMDEHXQW5F",
    "CdnPrivateKeyParameterName": "cdn-key",
    "AlarmEmail": "ops@example.com",
    "SesSourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.com",
    "SesFromAddress": "no-reply@example.com",
    "FcmPlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/GCM/notes",
    "ApnsPlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/notes",
    "ApnsSandboxPlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS_SANDBOX/notes",
}
# The S3 key of each layer's content, for every layer of the template.
LAYERS = {
    name: "layer-1"
    for name, resource in tpl.load()["Resources"].items()
    if resource["Type"] == "AWS::Serverless::LayerVersion"
}


@pytest.fixture(scope="module")
def deployed() -> list[dict[str, Any]]:
    """The resources of dev as samconfig.toml deploys it, and of prod with every option on."""
    cases = [
        {"parameters": samconfig_overrides("default"), "layer_keys": LAYERS},
        {"parameters": {**samconfig_overrides("prod"), **EVERYTHING_ON}, "layer_keys": LAYERS},
    ]
    return [template["Resources"] for template in transform(cases)]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def _handler_permissions(resource_type: str) -> set[str]:
    handlers = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema.get("handlers", {})
    return {permission for handler in HANDLERS for permission in handlers.get(handler, {}).get("permissions", [])}


def _needed(deployed: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Each permission a deploy needs, and what needs it."""
    resources = [resource for template in deployed for resource in template.values()]
    needed: dict[str, set[str]] = {}
    for resource_type in sorted({resource["Type"] for resource in resources}):
        unused: set[str] = set()
        for feature in (feature for feature in UNUSED_FEATURES if feature.resource_type == resource_type):
            used = [r for r in resources if r["Type"] == resource_type and feature.key in _keys(r.get("Properties"))]
            assert not used, f"the template uses {feature.key}: grant what {resource_type}'s handlers list for it"
            unused |= feature.permissions
        for permission in _handler_permissions(resource_type) - unused:
            needed.setdefault(permission, set()).add(resource_type)
    for permission in SAM_DEPLOY:
        needed.setdefault(permission, set()).add("sam deploy")
    for permission in GUIDES:
        needed.setdefault(permission, set()).add("the HTTP API's access log")
    return needed


def _allowing(action: str) -> list[dict[str, Any]]:
    return [
        statement
        for statement in STATEMENTS
        if any(iam_pattern(granted, case_sensitive=False).fullmatch(action) for granted in _listed(statement["Action"]))
    ]


def _allows(action: str, resource: str) -> bool:
    return any(
        iam_pattern(pattern, case_sensitive=True).fullmatch(resource)
        for statement in _allowing(action)
        for pattern in _listed(statement["Resource"])
    )


@cache
def _resource_formats(action: str) -> list[str] | None:
    """The ARN formats `action` applies to ("*" for none) in the Service Authorization Reference, or
    None when policy_sentry's copy does not know the action."""
    service, name = action.split(":")
    rows = get_action_data(service, name).get(service, [])
    return [row["resource_arn_format"] for row in rows] or None


@cache
def _known_actions(service: str) -> frozenset[str]:
    return frozenset(action.lower() for action in get_actions_for_service(service))


def test_the_policy_is_an_identity_policy_of_allow_statements() -> None:
    assert set(POLICY) == {"Version", "Statement"}
    assert POLICY["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in STATEMENTS]
    assert len(sids) == len(set(sids))
    for statement in STATEMENTS:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement["Sid"]
        assert statement["Effect"] == "Allow"
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*?.]+", action) for action in _listed(statement["Action"]))
        assert all(resource == "*" or resource.startswith("arn:aws:") for resource in _listed(statement["Resource"])), (
            statement["Sid"]
        )


def test_it_fits_in_a_managed_policy() -> None:
    # "IAM and AWS STS quotas": a managed policy holds at most 6,144 characters, white space not
    # counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
    text = (tpl.ROOT / "docs" / "deploy-policy.json").read_text(encoding="utf-8")

    assert len(re.sub(r"\s", "", text)) <= 6144


def test_every_action_it_names_is_an_iam_action(deployed: list[dict[str, Any]]) -> None:
    # An action is one IAM knows (policy_sentry's copy of the Service Authorization Reference), or,
    # newer than that copy, one a CloudFormation handler lists.
    listed = {permission.lower() for permission in _needed(deployed)}
    for statement in STATEMENTS:
        for pattern in _listed(statement["Action"]):
            service = pattern.split(":")[0]
            known = _known_actions(service) | {action for action in listed if action.startswith(f"{service}:")}
            matched = [
                action for action in known if iam_pattern(pattern.lower(), case_sensitive=False).fullmatch(action)
            ]
            assert matched, f"{statement['Sid']}: {pattern} is no action IAM knows"


def test_every_resource_type_of_the_template_has_its_service_allowed(deployed: list[dict[str, Any]]) -> None:
    declared = {resource["Type"] for resource in TEMPLATE["Resources"].values()}
    transformed = {resource["Type"] for template in deployed for resource in template.values()}
    allowed = {action.split(":")[0] for statement in STATEMENTS for action in _listed(statement["Action"])}
    for resource_type in sorted(declared | transformed):
        namespace = resource_type if resource_type in SERVICE_PREFIXES else resource_type.rsplit("::", 1)[0]
        assert namespace in SERVICE_PREFIXES, f"add {namespace}'s IAM prefix to SERVICE_PREFIXES"
        assert SERVICE_PREFIXES[namespace] in allowed, resource_type


def test_it_grants_every_permission_a_deploy_of_the_stack_needs(deployed: list[dict[str, Any]]) -> None:
    missing = {permission: sorted(why) for permission, why in _needed(deployed).items() if not _allowing(permission)}

    assert missing == {}


def test_it_grants_nothing_a_deploy_does_not_need(deployed: list[dict[str, Any]]) -> None:
    needed = list(_needed(deployed))
    unneeded = [
        f"{statement['Sid']}: {pattern}"
        for statement in STATEMENTS
        for pattern in _listed(statement["Action"])
        if not any(iam_pattern(pattern, case_sensitive=False).fullmatch(permission) for permission in needed)
    ]

    assert unneeded == []


def _fits(pattern: str, arn_format: str) -> bool:
    """Whether `pattern` names resources of `arn_format` (a Service Authorization Reference format,
    `arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}`): with its wildcards
    filled in (a trailing one also across a colon or a slash, as IAM expands it) it reads as that
    format, or it starts with the format's resource type (`log-group:` for
    `log-group:${LogGroupName}:log-stream:${LogStreamName}`)."""
    parts = re.split(r"\$\{[^}]+\}", arn_format)
    for ending in ("x", "x:x", "x/x"):
        sample = re.sub(r"\*$", ending, pattern).replace("*", "x")
        if re.fullmatch(".+".join(re.escape(part) for part in parts), sample):
            return True
    resource_type = arn_format.split(":", 5)[-1].split("${", maxsplit=1)[0]
    return bool(resource_type) and pattern.split(":", 5)[-1].startswith(resource_type)


def test_each_needed_action_is_granted_on_a_resource_it_applies_to(deployed: list[dict[str, Any]]) -> None:
    # An action that applies to no resource type is granted on "*"; any other on a pattern of one of
    # its resource types (or "*").
    wrong = []
    for permission in sorted(_needed(deployed)):
        formats = _resource_formats(permission)
        if formats is None:
            continue
        typed = [arn_format for arn_format in formats if arn_format != "*"]
        patterns = [pattern for statement in _allowing(permission) for pattern in _listed(statement["Resource"])]
        if not any(pattern == "*" or any(_fits(pattern, arn_format) for arn_format in typed) for pattern in patterns):
            wrong.append(f"{permission} on {patterns}, which are not {typed or ['*']}")

    assert wrong == []


def test_the_roles_it_may_pass_and_the_policies_it_may_attach_are_the_stacks(deployed: list[dict[str, Any]]) -> None:
    roles = [r["Properties"] for template in deployed for r in template.values() if r["Type"] == "AWS::IAM::Role"]
    trusted = {
        service
        for role in roles
        for statement in role["AssumeRolePolicyDocument"]["Statement"]
        for service in _listed(statement["Principal"]["Service"])
    }
    attached = {arn for role in roles for arn in role.get("ManagedPolicyArns", []) if isinstance(arn, str)}
    conditions = {statement["Sid"]: statement.get("Condition", {}) for statement in STATEMENTS}

    assert set(conditions["PassRoles"]["StringEquals"]["iam:PassedToService"]) == trusted
    assert set(conditions["RolesManagedPolicies"]["ArnEquals"]["iam:PolicyARN"]) == attached


# How a deploy creates each resource of these types: the action, and the resource's ARN from its
# name (its own name property, if it has one and the template sets it, else CloudFormation's).
CREATED_AS = {
    "AWS::Lambda::Function": ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:{name}", None),
    "AWS::IAM::Role": ("iam:CreateRole", "arn:aws:iam::{account}:role/{name}", None),
    "AWS::DynamoDB::Table": ("dynamodb:CreateTable", "arn:aws:dynamodb:{region}:{account}:table/{name}", None),
    "AWS::SQS::Queue": ("sqs:CreateQueue", "arn:aws:sqs:{region}:{account}:{name}", None),
    "AWS::SNS::Topic": ("sns:CreateTopic", "arn:aws:sns:{region}:{account}:{name}", None),
    "AWS::CloudWatch::Alarm": (
        "cloudwatch:PutMetricAlarm",
        "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
        "AlarmName",
    ),
    "AWS::CloudWatch::Dashboard": (
        "cloudwatch:PutDashboard",
        "arn:aws:cloudwatch::{account}:dashboard/{name}",
        "DashboardName",
    ),
    "AWS::Lambda::LayerVersion": (
        "lambda:PublishLayerVersion",
        "arn:aws:lambda:{region}:{account}:layer:{name}",
        "LayerName",
    ),
    "AWS::Logs::LogGroup": ("logs:CreateLogGroup", "arn:aws:logs:{region}:{account}:log-group:{name}", "LogGroupName"),
    "AWS::KMS::Alias": ("kms:CreateAlias", "arn:aws:kms:{region}:{account}:{name}", "AliasName"),
    "AWS::S3::Bucket": ("s3:CreateBucket", "arn:aws:s3:::{name}", "BucketName"),
    "AWS::CodeDeploy::Application": (
        "codedeploy:CreateApplication",
        "arn:aws:codedeploy:{region}:{account}:application:{name}",
        "ApplicationName",
    ),
}


def _stack_names() -> list[str]:
    environments = [value for value in SAMCONFIG.values() if isinstance(value, dict)]
    return sorted({environment["deploy"]["parameters"]["stack_name"] for environment in environments})


def _name(value: Any, stack: str) -> str:
    """A name the template sets (`!Sub ${AWS::StackName}-core`), as it is in `stack`."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    text = text[0] if isinstance(text, list) else text  # !Sub [text, {variables}]
    known = {"AWS::StackName": stack, "AWS::AccountId": ACCOUNT, "AWS::Region": REGION}
    return re.sub(r"\$\{([^}]+)\}", lambda variable: known.get(variable.group(1), "0f1e2d3c"), str(text))


@pytest.mark.parametrize("stack", _stack_names())
def test_the_stacks_resources_are_in_the_policys_names(stack: str, deployed: list[dict[str, Any]]) -> None:
    # Given each resource of the stack as CloudFormation names it
    creations = [
        ("cloudformation:CreateChangeSet", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/0f1e2d3c")
    ]
    for logical_id, resource in {**deployed[0], **deployed[1]}.items():
        if resource["Type"] not in CREATED_AS:
            continue
        action, arn, name_property = CREATED_AS[resource["Type"]]
        properties = resource.get("Properties", {})
        if name_property in properties:
            name = _name(properties[name_property], stack)
        else:
            name = f"{stack}-{logical_id}-AbCdEf123456"
        creations.append((action, arn.format(region=REGION, account=ACCOUNT, name=name)))

    # Then the policy lets the deploy create each there
    refused = [f"{action} {resource}" for action, resource in creations if not _allows(action, resource)]
    assert len(creations) > len(CREATED_AS)
    assert refused == []
