"""template.yaml's promises that cfn-lint cannot check: authorization on every route, the shapes
the code relies on, and what `sam build` produced (run by `make template` first). Operations
(access log, alarms, dashboard, outputs): test_operations.py; what SAM's transform makes of the
template (aliases, CodeDeploy): test_sam_transform.py."""

import ast
import sys
from pathlib import Path
from typing import Any

import pytest

from local import template as tpl
from tools.openapi.generate import PUBLISHED

TEMPLATE = tpl.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PUBLIC_ROUTES = {
    "POST /v1/auth/sign-up",
    "POST /v1/auth/confirm",
    "POST /v1/auth/resend-code",
    "POST /v1/auth/sign-in",
    "POST /v1/auth/refresh",
    "POST /v1/auth/forgot-password",
    "POST /v1/auth/reset-password",
    "GET /v1/openapi.json",
}
BUILD_DIR = tpl.ROOT / ".aws-sam" / "build"


def _of_type(kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in RESOURCES.items() if resource["Type"] == kind}


def test_every_route_but_the_public_ones_has_the_jwt_authorizer() -> None:
    (api,) = _of_type("AWS::Serverless::HttpApi").values()
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] in auth["Authorizers"]
    assert "JwtConfiguration" in auth["Authorizers"][auth["DefaultAuthorizer"]]
    routes = tpl.routes(TEMPLATE)
    assert {route.route_key for route in routes if route.public} == PUBLIC_ROUTES
    for route in routes:
        event = next(
            event["Properties"]
            for event in tpl.functions(TEMPLATE)[route.function]["Events"].values()
            if event["Type"] == "HttpApi" and event["Properties"]["Path"] == route.path
        )
        assert event["ApiId"] == {"Ref": "HttpApi"}
        assert event.get("Auth", {}).get("Authorizer") in (None, "NONE")


def test_the_authorizer_checks_the_pools_issuer_and_the_app_client() -> None:
    (api,) = _of_type("AWS::Serverless::HttpApi").values()
    jwt = api["Properties"]["Auth"]["Authorizers"]["CognitoJwt"]["JwtConfiguration"]
    assert jwt["issuer"] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"}
    assert jwt["audience"] == [{"Ref": "UserPoolClient"}]
    assert "DefaultRouteSettings" in api["Properties"]
    assert "CorsConfiguration" in api["Properties"]


def test_every_route_has_one_function_of_its_own() -> None:
    functions = [route.function for route in tpl.routes(TEMPLATE)]
    assert len(functions) == len(set(functions))


# Every function has the core layer; the image parsers' layer and the token verifiers' layer go only
# where they are used.
IMAGE_USERS = {"MediaEventsWorkerFunction"}
JWT_USERS = {"WebSocketAuthorizerFunction"}


def _layers_of(function: str) -> list[str]:
    return [
        "CoreLayer",
        *(["ImageLayer"] if function in IMAGE_USERS else []),
        *(["JwtLayer"] if function in JWT_USERS else []),
    ]


@pytest.mark.parametrize("name", sorted(tpl.functions(TEMPLATE)))
def test_every_function_is_arm64_python312_traced_with_powertools(name: str) -> None:
    function = tpl.functions(TEMPLATE)[name]
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    assert function["Tracing"] == "Active"
    assert function["Layers"] == [{"Ref": layer} for layer in _layers_of(name)]
    variables = function["Environment"]["Variables"]
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(variables)
    assert (tpl.ROOT / function["CodeUri"] / "app.py").is_file()


def test_access_tokens_are_short_lived_by_default() -> None:
    assert TEMPLATE["Parameters"]["AccessTokenValidityMinutes"]["Default"] == 15
    (client,) = _of_type("AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert properties["AccessTokenValidity"] == {"Ref": "AccessTokenValidityMinutes"}
    assert properties["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert properties["GenerateSecret"] is False
    assert set(properties["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}


def test_the_user_pool_signs_in_by_verified_email() -> None:
    (pool,) = _of_type("AWS::Cognito::UserPool").values()
    properties = pool["Properties"]
    assert properties["UsernameAttributes"] == ["email"]
    assert properties["AutoVerifiedAttributes"] == ["email"]
    assert properties["Policies"]["PasswordPolicy"]["MinimumLength"] >= 8


def test_the_table_has_the_keys_indexes_and_protections_the_code_relies_on() -> None:
    (table,) = _of_type("AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "user_id", "KeyType": "HASH"},
        {"AttributeName": "id", "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: index["KeySchema"][1]["AttributeName"] for index in properties["LocalSecondaryIndexes"]
    }
    assert indexes == {"by-seq": "seq", "live-by-seq": "live_seq", "trash-by-seq": "trashed_seq"}
    (expiry,) = properties["GlobalSecondaryIndexes"]
    assert [key["AttributeName"] for key in expiry["KeySchema"]] == ["trash_shard", "purge_after"]
    assert expiry["Projection"]["NonKeyAttributes"] == ["trashed_v"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_the_media_bucket_is_private_encrypted_and_tls_only() -> None:
    (bucket,) = _of_type("AWS::S3::Bucket").values()
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (policy,) = _of_type("AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements
    )


def test_every_queue_with_a_consumer_has_a_dead_letter_queue_and_enough_visibility() -> None:
    queues = _of_type("AWS::SQS::Queue")
    for name, queue in queues.items():
        if name.endswith("DeadLetterQueue"):
            continue
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in queues
        assert redrive["maxReceiveCount"] >= 1
    functions = tpl.functions(TEMPLATE)
    for source in tpl.queue_sources(TEMPLATE):
        visibility = queues[source.queue]["Properties"]["VisibilityTimeout"]
        assert visibility >= 6 * functions[source.function]["Timeout"]
        assert source.reports_batch_item_failures


# What the python3.12 runtime provides (layers/core/requirements.txt leaves them out on purpose).
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six"}


def test_sam_build_produced_every_function_and_arm64_layers() -> None:
    assert (BUILD_DIR / "template.yaml").is_file(), "run `make template` (it runs sam build first)"
    for name in tpl.functions(TEMPLATE):
        assert (BUILD_DIR / name / "app.py").is_file()
    layer = BUILD_DIR / "CoreLayer" / "python"
    assert (layer / "notes_core" / "edge" / "http.py").is_file()
    assert not (layer / "notes_core" / "openapi").exists()  # build-time code (tools/) stays out of the layer
    # The OpenAPI document ships with the function that serves it, and with no other
    assert (BUILD_DIR / "OpenApiFunction" / "openapi.json").read_bytes() == PUBLISHED.read_bytes()
    assert [name for name in tpl.functions(TEMPLATE) if (BUILD_DIR / name / "openapi.json").exists()] == [
        "OpenApiFunction"
    ]
    assert list(layer.glob("msgspec/_core.*aarch64*.so"))
    assert not list(layer.glob("pydantic*"))  # no function imports it
    assert not _top_level_names(layer) & RUNTIME_PACKAGES
    assert not _top_level_names(layer) & {"PIL", "pillow_heif"}  # the image layer's
    # The media-events worker's image parsers, built for arm64 (manylinux_2_28 wheels)
    images = BUILD_DIR / "ImageLayer" / "python"
    assert list(images.glob("PIL/_imaging.*aarch64*.so"))
    assert list(images.glob("PIL/_webp.*aarch64*.so"))
    assert list(images.glob("_pillow_heif.*aarch64*.so"))
    assert not _top_level_names(images) & RUNTIME_PACKAGES
    # The WebSocket authorizer's token verification: joserfc, and cryptography built for arm64
    jwt = BUILD_DIR / "JwtLayer" / "python"
    assert (jwt / "joserfc" / "jwt.py").is_file()
    assert list(jwt.glob("cryptography/hazmat/bindings/_rust.*aarch64*.so")) or list(
        jwt.glob("cryptography/hazmat/bindings/_rust.abi3.so")
    )
    assert not _top_level_names(layer) & {"joserfc", "cryptography"}  # the JWT layer's, not every function's
    assert not _top_level_names(jwt) & RUNTIME_PACKAGES


def _top_level_names(directory: Path) -> set[str]:
    """What `import <name>` finds in a directory on sys.path: packages, modules, extension modules."""
    return {path.name.split(".")[0] for path in directory.iterdir() if not path.name.endswith((".dist-info", ".libs"))}


def _imported_by(module: Path) -> set[str]:
    """Every module an import statement of the file names, wherever it stands (imports inside
    functions too), but those only a type checker reads (under `if TYPE_CHECKING:`)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # a submodule, maybe
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(module.read_text(encoding="utf-8")))
    return names


def _packages_a_function_can_import(code_dir: Path) -> set[str]:
    """The top-level packages outside the standard library that a function's handler can import,
    following notes_core's modules: every one its cold start or any of its paths may load."""
    core = tpl.ROOT / "layers" / "core"
    packages: set[str] = set()
    seen: set[Path] = set()
    pending = [code_dir / "app.py"]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _imported_by(module):
            top = name.split(".")[0]
            if top != "notes_core":
                packages.add(top)
                continue
            path = core.joinpath(*name.split("."))
            pending += [file for file in (path.with_suffix(".py"), path / "__init__.py") if file.is_file()]
    return packages - set(sys.stdlib_module_names)


@pytest.mark.parametrize("name", sorted(tpl.functions(TEMPLATE)))
def test_every_package_a_function_can_import_is_in_its_layers_or_the_runtime(name: str) -> None:
    """Locally every function finds every package (one virtualenv): on Lambda, only what its own
    layers and the runtime hold."""
    assert (BUILD_DIR / "template.yaml").is_file(), "run `make template` (it runs sam build first)"
    # Given the function's layers as sam build made them
    layers = {layer: _top_level_names(BUILD_DIR / layer / "python") for layer in _layers_of(name)}

    # When every package its code can import is listed
    needed = _packages_a_function_can_import(tpl.ROOT / tpl.functions(TEMPLATE)[name]["CodeUri"])

    # Then each is in one of its layers or the runtime, and each layer but the core one is used
    assert "notes_core" in layers["CoreLayer"]
    assert needed - set().union(*layers.values()) - RUNTIME_PACKAGES == set()
    for layer, names in layers.items():
        assert layer == "CoreLayer" or needed & names, f"{name} does not use {layer}"


@pytest.mark.parametrize(("layer", "expected"), [("ImageLayer", IMAGE_USERS), ("JwtLayer", JWT_USERS)])
def test_only_the_functions_given_a_heavy_layer_can_import_its_packages(layer: str, expected: set[str]) -> None:
    packages = _top_level_names(BUILD_DIR / layer / "python")
    users = {
        name
        for name, function in tpl.functions(TEMPLATE).items()
        if _packages_a_function_can_import(tpl.ROOT / function["CodeUri"]) & packages
    }
    assert users == expected


# Lambda's quota on a function's code and its layers, extracted: 250 MB, 262,144,000 bytes (Lambda
# developer guide, "Lambda quotas": "Deployment package (.zip file archive) size").
UNZIPPED_CODE_LIMIT_BYTES = 262_144_000


def _bytes_under(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


@pytest.mark.parametrize("name", sorted(tpl.functions(TEMPLATE)))
def test_every_function_with_its_layers_fits_lambdas_unzipped_size_quota(name: str) -> None:
    assert (BUILD_DIR / "template.yaml").is_file(), "run `make template` (it runs sam build first)"
    sizes = {part: _bytes_under(BUILD_DIR / part) for part in [name, *_layers_of(name)]}
    assert sum(sizes.values()) <= UNZIPPED_CODE_LIMIT_BYTES, sizes


# ---------------------------------------------------------------- media, deletion, operations
def test_the_bucket_notifies_the_media_events_queue_which_lets_only_the_bucket_send() -> None:
    (bucket,) = _of_type("AWS::S3::Bucket").values()
    configurations = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    events = {(c["Event"], c["Filter"]["S3Key"]["Rules"][0]["Value"]) for c in configurations}
    assert {
        ("s3:ObjectCreated:*", "media/"),
        ("s3:ObjectCreated:*", "photos/"),
        ("s3:ObjectRemoved:*", "media/"),
    } <= events
    assert all(c["Queue"] == {"Fn::GetAtt": ["MediaEventsQueue", "Arn"]} for c in configurations)
    assert bucket["DependsOn"] == "MediaEventsQueuePolicy"
    (policy,) = _of_type("AWS::SQS::QueuePolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert "aws:SourceArn" in statement["Condition"]["ArnLike"]


_NO_VALUE = {"Ref": "AWS::NoValue"}
CDN_SIGNING = {"CdnKeyGroupId": "kg-1", "CdnKeyPairId": "K2JCJMDEHXQW5F", "CdnPrivateKeyParameterName": "cdn-key"}


def _rendered(parameters: dict[str, str]) -> dict[str, Any]:
    """The template as CloudFormation deploys it with these parameters: resources and outputs whose
    condition is false left out, each Fn::If replaced by its chosen branch, AWS::NoValue dropped
    (other intrinsics stay as written)."""
    resolver = tpl.Resolver(TEMPLATE, "us-east-1", "notes-sync", parameters=dict(parameters))

    def chosen(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                condition, when_true, when_false = node["Fn::If"]
                return chosen(when_true if resolver.condition(condition) else when_false)
            return {key: value for key, child in node.items() if (value := chosen(child)) != _NO_VALUE}
        if isinstance(node, list):
            return [value for child in node if (value := chosen(child)) != _NO_VALUE]
        return node

    def kept(section: dict[str, Any]) -> dict[str, Any]:
        return {
            name: chosen(entry)
            for name, entry in section.items()
            if "Condition" not in entry or resolver.condition(entry["Condition"])
        }

    return {"Globals": chosen(TEMPLATE["Globals"]), "Resources": kept(RESOURCES), "Outputs": kept(TEMPLATE["Outputs"])}


def _bucket_statements(rendered: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = (r for r in rendered["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy")
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize(
    "parameters",
    [{}, {key: value for key, value in CDN_SIGNING.items() if key != "CdnPrivateKeyParameterName"}],
    ids=["none", "two-of-three"],
)
def test_without_cdn_signing_no_cloudfront_can_read_an_image(parameters: dict[str, str]) -> None:
    # Given the stack as deployed without (all of) the CDN signing parameters
    rendered = _rendered(parameters)

    # Then there is no distribution, no origin access control and no CloudFront grant on the
    # bucket: an object is read only through a presigned link
    assert not [name for name, r in rendered["Resources"].items() if r["Type"].startswith("AWS::CloudFront::")]
    assert not [s for s in _bucket_statements(rendered) if "cloudfront.amazonaws.com" in str(s.get("Principal"))]
    assert rendered["Globals"]["Function"]["Environment"]["Variables"]["CDN_DOMAIN"] == ""
    assert not {"MediaDistribution", "MediaOriginAccessControl"} & set().union(
        *(tpl.references(output["Value"]) for output in rendered["Outputs"].values())
    )


def test_with_cdn_signing_every_cloudfront_request_needs_a_signature() -> None:
    # Given the stack as deployed with CDN signing
    rendered = _rendered(CDN_SIGNING)
    resources = rendered["Resources"]

    # Then the distribution reads the bucket through origin access control, and every one of its
    # cache behaviours trusts only the configured key group
    config = resources["MediaDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["MediaOriginAccessControl", "Id"]}
    assert resources["MediaOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == (
        "always"
    )
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    assert all(b["TrustedKeyGroups"] == [{"Ref": "CdnKeyGroupId"}] for b in behaviours)
    assert all(b["ViewerProtocolPolicy"] == "https-only" for b in behaviours)
    # ...and the bucket lets only this distribution read images
    (grant,) = [s for s in _bucket_statements(rendered) if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert "${MediaDistribution}" in grant["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert rendered["Globals"]["Function"]["Environment"]["Variables"]["CDN_DOMAIN"] == {
        "Fn::GetAtt": ["MediaDistribution", "DomainName"]
    }


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({}, {"EmailSendingAccount": "COGNITO_DEFAULT"}),
        (
            {
                "SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
                "SesFromAddress": "a@example.com",
            },
            {
                "EmailSendingAccount": "DEVELOPER",
                "SourceArn": {"Ref": "SesSourceArn"},
                "From": {"Ref": "SesFromAddress"},
            },
        ),
    ],
    ids=["cognito-default", "ses"],
)
def test_the_user_pool_sends_email_through_ses_when_an_identity_is_given(
    parameters: dict[str, str], expected: dict[str, Any]
) -> None:
    (pool,) = (r for r in _rendered(parameters)["Resources"].values() if r["Type"] == "AWS::Cognito::UserPool")

    assert pool["Properties"]["EmailConfiguration"] == expected


@pytest.mark.parametrize("name", sorted(_of_type("AWS::Serverless::StateMachine")))
def test_state_machines_are_standard_traced_logged_and_alarmed(name: str) -> None:
    properties = RESOURCES[name]["Properties"]
    assert properties["Type"] == "STANDARD"
    assert properties["Tracing"] == {"Enabled": True}
    assert properties["Logging"]["Destinations"]
    alarms = [
        alarm["Properties"]
        for alarm in _of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ExecutionsFailed"
    ]
    assert {"Name": "StateMachineArn", "Value": {"Ref": name}} in [a["Dimensions"][0] for a in alarms]


@pytest.mark.parametrize("name", sorted(n for n in _of_type("AWS::SQS::Queue") if n.endswith("DeadLetterQueue")))
def test_every_dead_letter_queue_has_a_depth_alarm(name: str) -> None:
    alarms = [alarm["Properties"] for alarm in _of_type("AWS::CloudWatch::Alarm").values()]
    watching = [
        alarm
        for alarm in alarms
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [name, "QueueName"]}}]
    ]
    assert len(watching) == 1
    assert watching[0]["Threshold"] == 0
    assert watching[0]["ComparisonOperator"] == "GreaterThanThreshold"


_READ_ONLY_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "cognito-idp:AdminGetUser",
    "s3:GetObject",
    "ssm:GetParameter",
}


@pytest.mark.parametrize("route", [r for r in tpl.routes(TEMPLATE) if r.method == "GET"], ids=lambda r: r.route_key)
def test_read_only_routes_get_read_only_policies(route: tpl.Route) -> None:
    function = tpl.functions(TEMPLATE)[route.function]
    actions: set[str] = set()
    for policy in function.get("Policies", []):
        for written in policy["Statement"]:
            statement = written.get("Fn::If", [None, written])[1]  # the CDN key's, when configured
            action = statement["Action"]
            actions |= set(action if isinstance(action, list) else [action])
    assert actions <= _READ_ONLY_ACTIONS


# ---------------------------------------------------------------- realtime
def test_the_websocket_api_authorizes_connect_with_a_request_authorizer_reading_both_headers() -> None:
    (api,) = tpl.websocket_apis(TEMPLATE)
    (authorizer,) = _of_type("AWS::ApiGatewayV2::Authorizer").values()
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"] for route in _of_type("AWS::ApiGatewayV2::Route").values()
    }

    assert set(api.routes) == {"$connect", "$disconnect"}  # clients send nothing
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    # No identity source: the sources are ANDed, and the token comes in one of two headers
    assert "IdentitySource" not in authorizer["Properties"]
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert api.connect_authorizer == "WebSocketAuthorizerFunction"


def test_the_table_stream_reaches_the_poke_function_filtered_with_partial_failures_and_a_destination() -> None:
    table = _of_type("AWS::DynamoDB::Table")["NotesTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    (source,) = tpl.stream_sources(TEMPLATE)
    assert (source.function, source.table) == ("PokeFunction", "NotesTable")
    assert source.reports_batch_item_failures
    assert source.bisect_on_error
    assert 0 <= source.maximum_retry_attempts <= 10
    assert 0 < source.maximum_record_age_seconds <= 3600
    assert source.on_failure == "PokeDeadLetterQueue"
    assert 1 <= len(source.filter_patterns) <= 5  # Lambda's default quota of filters per mapping


def test_only_the_poke_function_manages_connections_and_only_of_its_own_stage() -> None:
    managing = {}
    for name, function in tpl.functions(TEMPLATE).items():
        for policy in function.get("Policies", []):
            for statement in policy.get("Statement", []):
                if isinstance(statement, dict) and "execute-api:ManageConnections" in str(statement.get("Action")):
                    managing[name] = statement["Resource"]
    assert list(managing) == ["PokeFunction"]
    for resource in managing["PokeFunction"]:
        assert resource["Fn::Sub"].endswith(
            ("/${WebSocketStage}/POST/@connections/*", "/${WebSocketStage}/DELETE/@connections/*")
        )
