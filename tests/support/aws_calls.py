"""The AWS calls each function and state machine makes, and the IAM permissions each call needs.

The least-privilege audit (tests/support/iam.py) checks these against the template's policies.
A `CallRecorder` hooks boto3's default session, the one that notes_core's clients and moto's ASL
executor create their clients from (the local stack's own provisioning and queue pollers use a
session of their own and are not recorded). A call is attributed to the principal `acting_as`
names in the calling thread (local.principals): the local stack's `Functions.invoke` names the
function; each Task of a state machine names its machine (see `_attribute_state_machine_tasks`).

The integration tier records in its own process (tests/integration/conftest.py); the e2e tier's
stacks run as `python -m tests.support.recording_stack`, which records when
NOTES_SYNC_AWS_CALLS_DIR names a directory and writes what it recorded there when it stops.
"""

import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)

from local import template as tpl
from local.principals import acting, acting_as
from local.provision import Provisioned

DIRECTORY_VARIABLE = "NOTES_SYNC_AWS_CALLS_DIR"
UNATTRIBUTED = "(no function or state machine)"


# ---------------------------------------------------------------- what a call needs
@dataclass(frozen=True, order=True)
class Need:
    """One IAM permission a call needs: an action on a resource (an ARN, or * for actions that
    take no resource). For a DynamoDB call that names its items' keys, `leading_keys` holds their
    partition key values, what a policy's dynamodb:LeadingKeys condition is checked against
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html);
    empty when the call names none (a Query's are in its key condition, which is not read here)."""

    action: str
    resource: str
    leading_keys: tuple[str, ...] = ()


# IAM service prefixes that differ from boto3's service name (Step Functions' prefix is "states":
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
_IAM_PREFIXES = {"stepfunctions": "states"}

# A transaction needs, on each item's table, the action of that item's kind: "Permissions for Put,
# Update, Delete, and Get actions are governed by the permissions used for the underlying PutItem,
# UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action, you can use the
# dynamodb:ConditionCheckItem permission"
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
_TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}

# S3 operations authorized by an action of another name:
# - HeadObject: "To use HEAD, you must have the s3:GetObject permission"
#   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html);
# - ListObjectsV2 needs s3:ListBucket on the bucket
#   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
# DeleteObjects needs s3:DeleteObject on each key it names
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). A presigned GET, PUT or
# POST is signed with the function's credentials and "limited by the permissions of the user who
# creates it" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html):
# it needs s3:GetObject or s3:PutObject on its key, as the call it stands for.
_S3_ACTIONS = {"HeadObject": "s3:GetObject", "ListObjectsV2": "s3:ListBucket"}

# "You cannot set permissions explicitly for SendMessageBatch, DeleteMessageBatch, or
# ChangeMessageVisibilityBatch. Instead, setting permissions for SendMessage, DeleteMessage, or
# ChangeMessageVisibility sets permissions for the corresponding batch versions"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
_SQS_ACTIONS = {
    "SendMessageBatch": "sqs:SendMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

# Cognito's public and access-token-authorized operations: "Amazon Cognito doesn't evaluate
# Identity and Access Management (IAM) policies in requests for this API operation", as each of
# their API reference pages says; the list of operations by authorization model is in "Understanding
# API, OIDC, and managed login pages authentication"
# (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pools-API-operations.html).
# The Admin* operations need cognito-idp:<Operation> on the user pool.
_COGNITO_WITHOUT_IAM = frozenset(
    {
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GlobalSignOut",
        "RevokeToken",
        "GetUser",
        "ChangePassword",
        "UpdateUserAttributes",
        "VerifyUserAttribute",
        "GetUserAttributeVerificationCode",
        "DeleteUser",
    }
)


# The @connections API's operations, each an HTTP method on the connection: "The @connections API
# uses the same ARN format as REST APIs: arn:aws:execute-api:region:account-id:api-id/stage-name/POST/@connections"
# and is allowed by execute-api:ManageConnections
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html);
# PostToConnection is POST, GetConnection GET, DeleteConnection DELETE, on @connections/{connectionId}
# (the apigatewaymanagementapi service model).
_CONNECTION_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}

# SNS calls on a platform application or an endpoint are authorized on its ARN
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html:
# CreatePlatformEndpoint on the application; GetEndpointAttributes, SetEndpointAttributes,
# DeleteEndpoint and Publish to a TargetArn on the endpoint).
_SNS_RESOURCE_PARAMETERS = ("PlatformApplicationArn", "EndpointArn", "TargetArn", "TopicArn")


def permissions_needed(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    partition_keys: Mapping[str, str] | None = None,
    connections_arn: str | None = None,
) -> list[Need]:
    """The IAM permissions an API call (boto3 service name, operation name, request parameters)
    needs; none for the calls IAM does not evaluate. `partition_keys` names each table's partition
    key attribute (by table name), for the leading keys of its items; `connections_arn` is the
    WebSocket API stage's ARN (arn:aws:execute-api:<region>:<account>:<api id>/<stage>), which an
    @connections call names only through its endpoint."""
    account = tpl.ACCOUNT_ID
    if service == "apigatewaymanagementapi":
        method = _CONNECTION_METHODS[operation]
        return [
            Need("execute-api:ManageConnections", f"{connections_arn}/{method}/@connections/{params['ConnectionId']}")
        ]
    if service == "sns":
        resource = next((params[name] for name in _SNS_RESOURCE_PARAMETERS if name in params), "*")
        return [Need(f"sns:{operation}", resource)]
    if service == "dynamodb":
        return _dynamodb(operation, params, f"arn:aws:dynamodb:{region}:{account}:table/", partition_keys or {})
    if service == "s3":
        return _s3(operation, params)
    if service == "sqs":
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
        account_id, queue = urlsplit(params["QueueUrl"]).path.strip("/").split("/")
        return [Need(_SQS_ACTIONS.get(operation, f"sqs:{operation}"), f"arn:aws:sqs:{region}:{account_id}:{queue}")]
    if service == "stepfunctions":
        # StartExecution is authorized on the state machine, DescribeExecution on the execution
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
        return [Need(f"states:{operation}", params.get("executionArn") or params["stateMachineArn"])]
    if service == "cognito-idp":
        if operation in _COGNITO_WITHOUT_IAM:
            return []
        pool = f"arn:aws:cognito-idp:{region}:{account}:userpool/{params['UserPoolId']}"
        return [Need(f"cognito-idp:{operation}", pool)]
    if service == "ssm":
        # A parameter's ARN is parameter/ and its name without a leading slash
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html).
        names = params["Names"] if "Names" in params else [params["Name"]]
        return [Need(f"ssm:{operation}", f"arn:aws:ssm:{region}:{account}:parameter/{n.lstrip('/')}") for n in names]
    return [Need(f"{_IAM_PREFIXES.get(service, service)}:{operation}", "*")]


def _dynamodb(operation: str, params: Mapping[str, Any], tables: str, partition_keys: Mapping[str, str]) -> list[Need]:
    def leading_keys(table: str, item: Mapping[str, Any] | None) -> tuple[str, ...]:
        """The partition key value of an item's key (or whole item), as a string."""
        attribute = partition_keys.get(table)
        if attribute is None or not item or attribute not in item:
            return ()
        return (str(next(iter(item[attribute].values()))),)

    if operation == "TransactWriteItems":
        return [
            Need(
                _TRANSACTION_ITEM_ACTIONS[kind],
                tables + request["TableName"],
                leading_keys(request["TableName"], request.get("Key") or request.get("Item")),
            )
            for item in params["TransactItems"]
            for kind, request in item.items()
        ]
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem: their own action on each table
        return [Need(f"dynamodb:{operation}", tables + table) for table in params["RequestItems"]]
    resource = tables + params["TableName"]
    if "IndexName" in params:
        # A query of an index is authorized on the index's ARN, table/NAME/index/INDEX
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
        resource += f"/index/{params['IndexName']}"
    return [
        Need(
            f"dynamodb:{operation}",
            resource,
            leading_keys(params["TableName"], params.get("Key") or params.get("Item")),
        )
    ]


def _s3(operation: str, params: Mapping[str, Any]) -> list[Need]:
    bucket = f"arn:aws:s3:::{params['Bucket']}"
    if operation == "DeleteObjects":
        return [Need("s3:DeleteObject", f"{bucket}/{item['Key']}") for item in params["Delete"]["Objects"]]
    resource = f"{bucket}/{params['Key']}" if "Key" in params else bucket
    return [Need(_S3_ACTIONS.get(operation, f"s3:{operation}"), resource)]


# ---------------------------------------------------------------- what a process recorded
@dataclass
class Recording:
    """Calls per (principal, "service:Operation"), permissions needed per (principal, action,
    resource), and the values the recording stack's template resolves to (its ARNs)."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    needs: Counter[tuple[str, Need]] = field(default_factory=Counter)
    stack: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_stack(cls, resolver: tpl.Resolver) -> "Recording":
        """An empty recording of the stack `resolver` resolves the template for."""
        stack = {
            "region": resolver.region,
            "stack_name": resolver.stack_name,
            "parameters": resolver.parameters,
            "refs": resolver.refs,
            "attributes": [[logical_id, name, value] for (logical_id, name), value in resolver.attributes.items()],
        }
        return cls(stack=stack)

    def resolver(self, template: dict[str, Any]) -> tpl.Resolver:
        """The recording stack's resolver, for `template`."""
        return tpl.Resolver(
            template,
            self.stack["region"],
            self.stack["stack_name"],
            parameters=dict(self.stack["parameters"]),
            refs=dict(self.stack["refs"]),
            attributes={(logical_id, name): value for logical_id, name, value in self.stack["attributes"]},
        )

    def save(self, path: Path) -> None:
        document = {
            "calls": [[principal, call, count] for (principal, call), count in self.calls.items()],
            "needs": [[p, n.action, n.resource, list(n.leading_keys), count] for (p, n), count in self.needs.items()],
            "stack": self.stack,
        }
        path.write_text(json.dumps(document), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Recording":
        document = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            calls=Counter({(principal, call): count for principal, call, count in document["calls"]}),
            needs=Counter(
                {(p, Need(action, resource, tuple(keys))): n for p, action, resource, keys, n in document["needs"]}
            ),
            stack=document["stack"],
        )


# ---------------------------------------------------------------- recording
class CallRecorder:
    """While started, records every call made through `session` (boto3's default session unless
    told otherwise) in this process."""

    def __init__(self, provisioned: Provisioned, session: boto3.Session | None = None) -> None:
        self._session = session
        self._region = provisioned.resolver.region
        self._machines = {
            provisioned.ref(logical_id): logical_id
            for logical_id, resource in provisioned.template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::StateMachine"
        }
        self._partition_keys = {
            provisioned.ref(logical_id): next(
                key["AttributeName"] for key in resource["Properties"]["KeySchema"] if key["KeyType"] == "HASH"
            )
            for logical_id, resource in provisioned.template["Resources"].items()
            if resource["Type"] == "AWS::DynamoDB::Table"
        }
        self._connections_arn = next(
            (
                f"arn:aws:execute-api:{self._region}:{tpl.ACCOUNT_ID}:{provisioned.ref(api.api)}/{provisioned.ref(api.stage)}"
                for api in tpl.websocket_apis(provisioned.template)
            ),
            None,
        )
        self._recording = Recording.of_stack(provisioned.resolver)
        self._lock = threading.Lock()

    def start(self) -> "CallRecorder":
        """Hook the session: clients made from it before this would not be recorded (notes_core
        makes its clients on first use)."""
        if self._session is None:
            if boto3.DEFAULT_SESSION is None:
                boto3.setup_default_session()
            self._session = boto3.DEFAULT_SESSION
        assert self._session is not None
        self._session.events.register("before-parameter-build", self._on_call)
        # generate_presigned_post emits before-parameter-build for CreateBucket (it borrows its
        # URL), then signs "PutObject" with the POST policy's fields: the key is known only there.
        self._session.events.register("choose-signer.s3.PutObject", self._on_signing_put)
        _attribute_state_machine_tasks()
        return self

    def recording(self) -> Recording:
        with self._lock:
            return Recording(Counter(self._recording.calls), Counter(self._recording.needs), self._recording.stack)

    def _on_call(self, params: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any) -> None:
        if context.get("is_presign_request") and model.name == "CreateBucket":
            return  # a presigned POST being built: recorded when it is signed
        self._record(model.service_model.service_name, model.name, params)

    def _on_signing_put(self, context: Mapping[str, Any], **_: Any) -> None:
        fields = context.get("s3-presign-post-fields")
        if fields is None:
            return  # a PutObject call or a presigned PUT: recorded by _on_call
        conditions = context["s3-presign-post-policy"]["conditions"]
        bucket = next((c["bucket"] for c in conditions if isinstance(c, dict) and "bucket" in c), "")
        self._record("s3", "PutObject", {"Bucket": bucket, "Key": fields["key"]})

    def principal(self) -> str:
        """Whose calls this thread makes now: a function's or state machine's logical id."""
        principal = acting()
        return UNATTRIBUTED if principal is None else self._machines.get(principal, principal)

    def _record(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        principal = self.principal()
        needs: list[Need] = []
        if principal != UNATTRIBUTED:
            try:
                needs = permissions_needed(
                    service, operation, params, self._region, self._partition_keys, self._connections_arn
                )
            except Exception as exc:
                # Never fail the call itself: an unmapped request is a need no policy grants.
                needs = [Need(f"{service}:{operation}", f"(no resource known for this request: {exc!r})")]
        with self._lock:
            self._recording.calls[(principal, f"{service}:{operation}")] += 1
            for need in needs:
                self._recording.needs[(principal, need)] += 1


_patched = threading.Lock()


def _attribute_state_machine_tasks() -> None:
    """Each Task of a state machine, run by moto's ASL executor, acts as its state machine's ARN
    (its service calls run in the thread that evaluates the Task)."""
    if not _patched.acquire(blocking=False):
        return
    original = StateTaskService._eval_execution

    def _eval_execution(self: StateTaskService, env: Any) -> None:
        with acting_as(env.states.context_object.context_object_data["StateMachine"]["Id"]):
            original(self, env)

    StateTaskService._eval_execution = _eval_execution  # type: ignore[method-assign]
