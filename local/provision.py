"""Create template.yaml's resources in moto from the template's own properties.

The local stack and the tests both provision through here, so the schema the tests run against is
the schema that deploys. CloudFormation property names map onto API parameters below; resources
that moto cannot or need not run (the HTTP API, functions, layers) get placeholder identifiers so
that references to them still resolve. A resource whose Condition is false is not created, as in
CloudFormation. The local front invokes functions directly, so what SAM's transform adds for them
on AWS (versions, the `live` alias, CodeDeploy's deployment groups) has no local counterpart: the
template tier checks those on the transformed template (tests/template/test_sam_transform.py).
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3

from local import template as tpl

STACK_NAME = "notes-sync-local"
# The tags CloudFormation puts on every resource it creates, besides the stack's id ("CloudFormation
# resource tagging", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.html):
# how a resource of a stack is found from its logical id.
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"
# The trust policy of a role Lambda may assume: the one SAM writes for each function's role.
_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass
class Provisioned:
    """What was created: the resolver holds every Ref and GetAtt value."""

    template: dict[str, Any]
    resolver: tpl.Resolver

    def ref(self, logical_id: str) -> Any:
        return self.resolver.ref(logical_id)

    @cached_property
    def functions(self) -> dict[str, dict[str, Any]]:
        """Every function's properties, Globals applied (tpl.functions, once: 6 ms a call)."""
        return tpl.functions(self.template)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        properties = self.functions[logical_id]
        variables = self.resolver.resolve(properties.get("Environment", {}).get("Variables", {}))
        return {name: str(value) for name, value in variables.items()}


class _Provisioner:
    def __init__(self, session: boto3.Session, endpoint_url: str | None, resolver: tpl.Resolver) -> None:
        self.resolver = resolver
        self.region = resolver.region
        self._session = session
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # the service is chosen at run time, which boto3-stubs' per-service overloads cannot type
            self._clients[service] = self._session.client(service, endpoint_url=self._endpoint_url)  # type: ignore[call-overload]
        return self._clients[service]

    def physical_name(self, logical_id: str) -> str:
        return f"{self.resolver.stack_name}-{logical_id}".lower()

    def provide(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.resolver.refs[logical_id] = ref
        for name, value in attributes.items():
            self.resolver.attributes[(logical_id, name)] = value

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{tpl.ACCOUNT_ID}:{resource}"

    def platform_applications(self) -> None:
        """Each parameter naming an SNS platform application of this account and region
        (arn:aws:sns:<region>:<account>:app/<platform>/<name>) names one the operator made outside the
        stack, with the push platform's credentials; locally the stack makes it in moto, without
        credentials, so that the parameter names an application that exists (the same name and
        platform give the same ARN)."""
        prefix = f"arn:aws:sns:{self.region}:{tpl.ACCOUNT_ID}:app/"
        for value in self.resolver.parameters.values():
            if isinstance(value, str) and value.startswith(prefix) and value.count("/") == 2:
                platform, name = value.removeprefix(prefix).split("/")
                self.client("sns").create_platform_application(
                    Name=name, Platform=platform, Attributes={"PlatformCredential": "local-stack-has-none"}
                )

    # ------------------------------------------------------------ one method per resource type
    def table(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("TableName", self.physical_name(logical_id))
        keys = (
            "AttributeDefinitions",
            "KeySchema",
            "LocalSecondaryIndexes",
            "GlobalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "StreamSpecification",
            "DeletionProtectionEnabled",
        )
        dynamodb = self.client("dynamodb")
        parameters = {key: properties[key] for key in keys if key in properties}
        if "StreamSpecification" in parameters:
            # CloudFormation's StreamSpecification has only StreamViewType, and enables the stream;
            # the API's needs StreamEnabled too
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-table-streamspecification.html).
            parameters["StreamSpecification"] = {"StreamEnabled": True, **parameters["StreamSpecification"]}
        created = dynamodb.create_table(TableName=name, **parameters)["TableDescription"]
        if "TimeToLiveSpecification" in properties:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in properties:
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=properties["PointInTimeRecoverySpecification"]
            )
        streams = {"StreamArn": created["LatestStreamArn"]} if "LatestStreamArn" in created else {}
        self.provide(logical_id, name, Arn=self.arn("dynamodb", f"table/{name}"), **streams)

    def queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("QueueName", self.physical_name(logical_id))
        attributes = {
            key: json.dumps(value)
            if isinstance(value, dict)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
            for key, value in properties.items()
            if key not in ("QueueName", "Tags")
        }
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.provide(logical_id, url, Arn=self.arn("sqs", name), QueueName=name, QueueUrl=url)

    def queue_policy(self, logical_id: str, properties: dict[str, Any]) -> None:
        for url in properties["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])}
            )
        self.provide(logical_id, self.physical_name(logical_id))

    def bucket(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("BucketName", self.physical_name(logical_id))
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        if "BucketEncryption" in properties:
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                | {key: value for key, value in rule.items() if key != "ServerSideEncryptionByDefault"}
                for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in properties:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in properties:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=properties["OwnershipControls"])
        if "CorsConfiguration" in properties:
            s3.put_bucket_cors(
                Bucket=name, CORSConfiguration={"CORSRules": properties["CorsConfiguration"]["CorsRules"]}
            )
        if "LifecycleConfiguration" in properties:
            rules = [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "NotificationConfiguration" in properties:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=_notifications(properties["NotificationConfiguration"])
            )
        self.provide(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.region}.amazonaws.com",
        )

    def bucket_policy(self, logical_id: str, properties: dict[str, Any]) -> None:
        """The policy without its conditional statements: moto 5.2 has no request context for
        conditions (aws:SecureTransport, AWS:SourceArn) and answers 403 to every object request
        under a statement whose condition it cannot match, Deny or Allow alike."""
        document = dict(properties["PolicyDocument"])
        document["Statement"] = [statement for statement in document["Statement"] if "Condition" not in statement]
        if document["Statement"]:
            self.client("s3").put_bucket_policy(Bucket=properties["Bucket"], Policy=json.dumps(document))
        self.provide(logical_id, properties["Bucket"])

    def user_pool(self, logical_id: str, properties: dict[str, Any]) -> None:
        parameters = {key: value for key, value in properties.items() if key not in ("UserPoolName", "UserPoolTags")}
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=properties.get("UserPoolName", self.physical_name(logical_id)), **parameters
        )["UserPool"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        self.provide(logical_id, pool["Id"], Arn=pool["Arn"], ProviderName=provider, ProviderURL=f"https://{provider}")

    def user_pool_client(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.client("cognito-idp").create_user_pool_client(**properties)["UserPoolClient"]
        self.provide(logical_id, client["ClientId"], Name=client.get("ClientName"))

    def state_machine(self, logical_id: str, properties: dict[str, Any]) -> None:
        definition = Path(tpl.ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
        for name, value in properties.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        name = properties.get("Name", self.physical_name(logical_id))
        arn = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=self.arn("iam", f"role/{name}").replace(f":{self.region}:", "::"),
            type=properties.get("Type", "STANDARD"),
        )["stateMachineArn"]
        self.provide(logical_id, arn, Name=name, Arn=arn)

    def log_group(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("LogGroupName", self.physical_name(logical_id))
        logs = self.client("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in properties:
            logs.put_retention_policy(logGroupName=name, retentionInDays=properties["RetentionInDays"])
        self.provide(logical_id, name, Arn=self.arn("logs", f"log-group:{name}:*"))

    def key(self, logical_id: str, properties: dict[str, Any]) -> None:
        """A KMS key under its key policy; its Ref is the key's id, as CloudFormation's
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#aws-resource-kms-key-return-values)."""
        same_names = ("Description", "KeyUsage", "KeySpec", "MultiRegion")
        parameters: dict[str, Any] = {key: properties[key] for key in same_names if key in properties}
        if "KeyPolicy" in properties:
            policy = properties["KeyPolicy"]
            parameters["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        kms = self.client("kms")
        metadata = kms.create_key(**parameters)["KeyMetadata"]
        if properties.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        self.provide(logical_id, metadata["KeyId"], Arn=metadata["Arn"], KeyId=metadata["KeyId"])

    def key_alias(self, logical_id: str, properties: dict[str, Any]) -> None:
        self.client("kms").create_alias(AliasName=properties["AliasName"], TargetKeyId=properties["TargetKeyId"])
        self.provide(logical_id, properties["AliasName"])

    def topic(self, logical_id: str, properties: dict[str, Any]) -> None:
        """The topic and the subscriptions its Subscription property lists."""
        name = properties.get("TopicName", self.physical_name(logical_id))
        attributes = {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in properties.items()
            if key not in ("TopicName", "Subscription", "Tags")
        }
        sns = self.client("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for subscription in properties.get("Subscription", []):
            sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
        self.provide(logical_id, arn, TopicArn=arn, TopicName=name)

    def alarm(self, logical_id: str, properties: dict[str, Any]) -> None:
        """A metric alarm, metric math (Metrics) included: the property names are the API's."""
        name = properties.get("AlarmName", self.physical_name(logical_id))
        parameters = {key: value for key, value in properties.items() if key != "AlarmName"}
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **parameters)
        self.provide(logical_id, name, Arn=self.arn("cloudwatch", f"alarm:{name}"))

    def dashboard(self, logical_id: str, properties: dict[str, Any]) -> None:
        """The dashboard as CloudWatch stores it (moto, like CloudWatch, refuses a body that is not JSON)."""
        name = properties.get("DashboardName", self.physical_name(logical_id))
        self.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=properties["DashboardBody"])
        self.provide(logical_id, name)

    def origin_access_control(self, logical_id: str, properties: dict[str, Any]) -> None:
        control = self.client("cloudfront").create_origin_access_control(
            OriginAccessControlConfig=properties["OriginAccessControlConfig"]
        )["OriginAccessControl"]
        self.provide(logical_id, control["Id"], Id=control["Id"])

    def distribution(self, logical_id: str, properties: dict[str, Any]) -> None:
        config = _distribution_config(properties["DistributionConfig"], caller_reference=self.physical_name(logical_id))
        created = self.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]
        self.provide(logical_id, created["Id"], Id=created["Id"], DomainName=created["DomainName"])

    def http_or_websocket_api(self, logical_id: str, properties: dict[str, Any]) -> None:
        """The API in moto's API Gateway v2 (which runs nothing: the local fronts serve it), for its
        id; Ref is the id, as CloudFormation's."""
        parameters = {
            key: properties[key] for key in ("Name", "ProtocolType", "RouteSelectionExpression", "Description")
        }
        api = self.client("apigatewayv2").create_api(**{k: v for k, v in parameters.items() if v is not None})
        self.provide(logical_id, api["ApiId"], ApiId=api["ApiId"], ApiEndpoint=api["ApiEndpoint"])

    def stage(self, logical_id: str, properties: dict[str, Any]) -> None:
        """A stage's Ref is its name (its Ref on AWS)."""
        self.provide(logical_id, properties["StageName"])

    def placeholder(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Resources moto does not run: functions are invoked by the local front instead."""
        name = self.physical_name(logical_id)
        service = resource["Type"].split("::")[1].lower()
        self.provide(logical_id, name, Arn=self.arn(service, name), Name=name)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    translated: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"]}
    translated["Filter"] = {"Prefix": rule["Prefix"]} if "Prefix" in rule else {"Prefix": ""}
    if "ExpirationInDays" in rule:
        translated["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        translated["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return translated


def _cloudfront_lists(node: Any) -> Any:
    """CloudFormation writes CloudFront's lists plainly; its API wraps each in {Quantity, Items}."""
    if isinstance(node, list):
        return {"Quantity": len(node), "Items": [_cloudfront_lists(item) for item in node]}
    if isinstance(node, dict):
        return {key: _cloudfront_lists(value) for key, value in node.items()}
    return node


def _distribution_config(config: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    translated: dict[str, Any] = _cloudfront_lists(config)
    behaviors = [translated["DefaultCacheBehavior"], *translated.get("CacheBehaviors", {}).get("Items", [])]
    for behavior in behaviors:
        if "CachedMethods" in behavior:  # the API nests them in AllowedMethods
            behavior["AllowedMethods"]["CachedMethods"] = behavior.pop("CachedMethods")
        if "TrustedKeyGroups" in behavior:
            behavior["TrustedKeyGroups"]["Enabled"] = behavior["TrustedKeyGroups"]["Quantity"] > 0
    return translated | {"CallerReference": caller_reference}


def _notifications(configuration: dict[str, Any]) -> dict[str, Any]:
    def key_filter(entry: dict[str, Any]) -> dict[str, Any]:
        rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}

    return {
        "QueueConfigurations": [
            {"QueueArn": entry["Queue"], "Events": [entry["Event"]], **key_filter(entry)}
            for entry in configuration.get("QueueConfigurations", [])
        ]
    }


_PROVISIONERS: dict[str, Callable[[_Provisioner, str, dict[str, Any]], None]] = {
    "AWS::DynamoDB::Table": _Provisioner.table,
    "AWS::SQS::Queue": _Provisioner.queue,
    "AWS::SQS::QueuePolicy": _Provisioner.queue_policy,
    "AWS::S3::Bucket": _Provisioner.bucket,
    "AWS::S3::BucketPolicy": _Provisioner.bucket_policy,
    "AWS::Cognito::UserPool": _Provisioner.user_pool,
    "AWS::Cognito::UserPoolClient": _Provisioner.user_pool_client,
    "AWS::Serverless::StateMachine": _Provisioner.state_machine,
    "AWS::Logs::LogGroup": _Provisioner.log_group,
    "AWS::KMS::Key": _Provisioner.key,
    "AWS::KMS::Alias": _Provisioner.key_alias,
    "AWS::SNS::Topic": _Provisioner.topic,
    "AWS::CloudWatch::Alarm": _Provisioner.alarm,
    "AWS::CloudWatch::Dashboard": _Provisioner.dashboard,
    "AWS::CloudFront::OriginAccessControl": _Provisioner.origin_access_control,
    "AWS::CloudFront::Distribution": _Provisioner.distribution,
    "AWS::ApiGatewayV2::Api": _Provisioner.http_or_websocket_api,
    "AWS::ApiGatewayV2::Stage": _Provisioner.stage,
}


def _zipped(directory: Path) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        for path in sorted(directory.rglob("*.py")):
            written.write(path, path.relative_to(directory))
    return archive.getvalue()


def create_functions(
    session: boto3.Session,
    endpoint_url: str,
    provisioned: Provisioned,
    environment: Callable[[str], dict[str, str]],
) -> None:
    """Every function in moto's Lambda, with its code directory, its settings and `environment`
    (logical id -> its variables), tagged as CloudFormation tags it: what `aws lambda
    get-function-configuration` shows of a deployed stack, and where `make sam-env` reads a running
    local stack's environments (local.sam_env). moto never runs Lambda code (the local stack calls
    the handlers itself) and checks no policy; one role stands in for the functions' roles."""
    iam = session.client("iam", endpoint_url=endpoint_url)
    role = iam.create_role(
        RoleName=f"{provisioned.resolver.stack_name}-functions", AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST)
    )["Role"]["Arn"]
    lambda_ = session.client("lambda", endpoint_url=endpoint_url)
    for logical_id, properties in provisioned.functions.items():
        lambda_.create_function(
            FunctionName=provisioned.ref(logical_id),
            Runtime=properties["Runtime"],
            Handler=properties["Handler"],
            Role=role,
            Code={"ZipFile": _zipped(tpl.ROOT / properties["CodeUri"])},
            Description=properties.get("Description", ""),
            Timeout=int(properties.get("Timeout", 3)),
            MemorySize=int(properties.get("MemorySize", 128)),
            Architectures=properties.get("Architectures", ["x86_64"]),
            Environment={"Variables": environment(logical_id)},
            Tags={LOGICAL_ID_TAG: logical_id, STACK_NAME_TAG: provisioned.resolver.stack_name},
        )


def provision(
    session: boto3.Session,
    *,
    endpoint_url: str | None = None,
    parameters: dict[str, Any] | None = None,
    stack_name: str = STACK_NAME,
    template: dict[str, Any] | None = None,
) -> Provisioned:
    """Create every resource of the template that moto can hold, in dependency order."""
    template = template or tpl.load()
    resolver = tpl.Resolver(template, session.region_name, stack_name, parameters=dict(parameters or {}))
    provisioner = _Provisioner(session, endpoint_url, resolver)
    provisioner.platform_applications()
    for logical_id, resource in tpl.resources_in_dependency_order(template):
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        create = _PROVISIONERS.get(resource["Type"])
        if create is None:
            provisioner.placeholder(logical_id, resource)
        else:
            create(provisioner, logical_id, resolver.resolve(resource.get("Properties", {})))
    return Provisioned(template, resolver)
