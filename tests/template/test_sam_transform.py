"""What CloudFormation deploys: template.yaml after SAM's transform (sam-cli's own samtranslator, run
by tests/template/sam_transform.py), with each environment's parameters from samconfig.toml.

Every function is invoked through its `live` alias, which CodeDeploy moves to each new version as
DeploymentType says and moves back when an error alarm fires; a change to notes_core alone
publishes new versions. The local stack shows none of this: it invokes the functions directly.
"""

import re
from typing import Any

import pytest

from local import template as tpl
from tests.template.transformed import SAMCONFIG, samconfig_overrides, transform

TEMPLATE = tpl.load()
FUNCTIONS = sorted(tpl.functions(TEMPLATE))
ROLLBACK_ALARMS = ["Api5xxAlarm", "LambdaErrorsAlarm"]


CDN_SIGNING = {"CdnKeyGroupId": "kg-1", "CdnKeyPairId": "K2JCJMDEHXQW5F", "CdnPrivateKeyParameterName": "cdn-key"}
LAYERS = {"CoreLayer": "layer-1", "ImageLayer": "layer-1", "JwtLayer": "layer-1"}  # the S3 key of each layer's content
CASES = {
    "dev": (samconfig_overrides("default"), LAYERS),
    "prod": (samconfig_overrides("prod"), LAYERS),
    "dev, CDN signing": ({**samconfig_overrides("default"), **CDN_SIGNING}, LAYERS),
    "prod, CDN signing": ({**samconfig_overrides("prod"), **CDN_SIGNING}, LAYERS),
    "prod, notes_core changed": (samconfig_overrides("prod"), {**LAYERS, "CoreLayer": "layer-2"}),
    "prod, image parsers changed": (samconfig_overrides("prod"), {**LAYERS, "ImageLayer": "layer-2"}),
    "prod, LogLevel changed": ({**samconfig_overrides("prod"), "LogLevel": "DEBUG"}, LAYERS),
}
# The functions the local stack (local.template.functions: Globals merged as SAM merges them) sees with each layer.
LAYER_USERS = {
    layer: {name for name, properties in tpl.functions(TEMPLATE).items() if {"Ref": layer} in properties["Layers"]}
    for layer in LAYERS
}


@pytest.fixture(scope="module")
def transformed() -> dict[str, dict[str, Any]]:
    """Each case's template as SAM's transform makes it."""
    cases = [{"parameters": parameters, "layer_keys": layers} for parameters, layers in CASES.values()]
    return {name: template["Resources"] for name, template in zip(CASES, transform(cases), strict=True)}


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


def _deployment_config(group: dict[str, Any]) -> str:
    text, variables = group["Properties"]["DeploymentConfigName"]["Fn::Sub"]
    return str(text).replace("${ConfigName}", variables["ConfigName"])


def _version_of(resources: dict[str, Any], function: str) -> str:
    alias = resources[f"{function}Aliaslive"]["Properties"]
    version: str = alias["FunctionVersion"]["Fn::GetAtt"][0]
    return version


@pytest.mark.parametrize(("case", "rolled_out"), [("dev", "all at once"), ("prod", "canary")])
def test_each_environment_deploys_every_function_as_samconfig_says(
    transformed: dict[str, dict[str, Any]], case: str, rolled_out: str
) -> None:
    # Given the stack as samconfig.toml's environment deploys it
    resources = transformed[case]
    groups = _of_type(resources, "AWS::CodeDeploy::DeploymentGroup")

    # Then every function has a deployment group, all of the environment's DeploymentType
    assert sorted(groups) == [f"{function}DeploymentGroup" for function in FUNCTIONS]
    (config,) = {_deployment_config(group) for group in groups.values()}
    assert config == f"CodeDeployDefault.Lambda{CASES[case][0]['DeploymentType']}"
    if rolled_out == "all at once":
        assert config == "CodeDeployDefault.LambdaAllAtOnce"
    else:
        # ...and prod's canary lasts long enough for the error alarms to fire and roll it back
        canary = re.fullmatch(r"CodeDeployDefault\.LambdaCanary10Percent(\d+)Minutes", config)
        assert canary, config
        for name in ROLLBACK_ALARMS:
            alarm = TEMPLATE["Resources"][name]["Properties"]
            period = alarm.get("Period") or alarm["Metrics"][0]["MetricStat"]["Period"]
            assert int(canary.group(1)) * 60 >= alarm["EvaluationPeriods"] * period


def test_the_error_alarms_stop_a_deployment_and_move_the_alias_back(transformed: dict[str, dict[str, Any]]) -> None:
    # Given the stack as prod deploys it, named as its stack (CodeDeploy finds the alarms by name)
    resolver = tpl.Resolver(TEMPLATE, "us-east-1", SAMCONFIG["prod"]["deploy"]["parameters"]["stack_name"])
    alarm_names = [resolver.resolve(TEMPLATE["Resources"][name]["Properties"]["AlarmName"]) for name in ROLLBACK_ALARMS]

    for group in _of_type(transformed["prod"], "AWS::CodeDeploy::DeploymentGroup").values():
        properties = group["Properties"]
        # Then every deployment group watches the error alarms under the names the alarms have
        configuration = properties["AlarmConfiguration"]
        assert configuration["Enabled"] is True
        assert [resolver.resolve(alarm["Name"]) for alarm in configuration["Alarms"]] == alarm_names
        # ...and moves the alias back when one fires
        assert properties["AutoRollbackConfiguration"]["Enabled"] is True
        assert "DEPLOYMENT_STOP_ON_ALARM" in properties["AutoRollbackConfiguration"]["Events"]


@pytest.mark.parametrize("case", CASES)
def test_cloudformation_can_order_every_resource_the_transformed_template_holds(
    transformed: dict[str, dict[str, Any]], case: str
) -> None:
    """CloudFormation refuses a template whose resources depend on one another in a circle
    ("Circular dependency between resources"), and counts what an alias's CodeDeployLambdaAliasUpdate
    names as well as what its properties do: davidgf/serverless-plugin-canary-deployments#127 is
    that refusal for an alias, its deployment group, an alarm and an HTTP API's integration.
    tpl.dependencies counts every Ref, Fn::GetAtt and Fn::Sub in Properties and UpdatePolicy, and
    DependsOn (tests/unit/test_local_template.py shows it finding such circles)."""
    # Given the resources as CloudFormation receives them
    resources = transformed[case]

    # When they are put in an order that creates each after what it depends on (a circle raises)
    order = [logical_id for logical_id, _ in tpl.resources_in_dependency_order({"Resources": resources})]

    # Then every resource has its place
    assert sorted(order) == sorted(resources)


def test_routes_and_queues_invoke_each_function_through_its_live_alias(transformed: dict[str, dict[str, Any]]) -> None:
    resources = transformed["prod"]
    # Every function has the alias, and CodeDeploy moves it
    for function in FUNCTIONS:
        alias = resources[f"{function}Aliaslive"]
        assert alias["Properties"]["Name"] == "live"
        assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"] == {
            "Ref": f"{function}DeploymentGroup"
        }
    # Every route's integration invokes the alias
    (api,) = [api for api in _of_type(resources, "AWS::ApiGatewayV2::Api").values() if "Body" in api["Properties"]]
    paths = api["Properties"]["Body"]["paths"]
    for route in tpl.routes(TEMPLATE):
        integration = paths[route.path][route.method.lower()]["x-amazon-apigateway-integration"]
        assert f"${{{route.function}Aliaslive}}" in integration["uri"]["Fn::Sub"], route.route_key
    # ...the WebSocket API's authorizer and routes invoke aliases too
    (websocket,) = tpl.websocket_apis(TEMPLATE)
    websocket_functions = {*websocket.routes.values(), websocket.connect_authorizer}
    for kind, uri in (
        ("AWS::ApiGatewayV2::Integration", "IntegrationUri"),
        ("AWS::ApiGatewayV2::Authorizer", "AuthorizerUri"),
    ):
        for resource in _of_type(resources, kind).values():
            assert resource["Properties"][uri]["Fn::Sub"][1]["Alias"]["Ref"].endswith("Aliaslive")
    # ...and only the aliases may be invoked by API Gateway; the queues' and the stream's consumers are their aliases
    permissions = _of_type(resources, "AWS::Lambda::Permission").values()
    assert {p["Properties"]["FunctionName"]["Ref"] for p in permissions} == {
        f"{function}Aliaslive"
        for function in [*(route.function for route in tpl.routes(TEMPLATE)), *websocket_functions]
    }
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    assert {m["Properties"]["FunctionName"]["Ref"] for m in mappings} == {
        f"{function}Aliaslive"
        for function in [
            *(source.function for source in tpl.queue_sources(TEMPLATE)),
            *(source.function for source in tpl.stream_sources(TEMPLATE)),
        ]
    }


def test_a_change_to_notes_core_alone_moves_every_alias_to_a_new_version(
    transformed: dict[str, dict[str, Any]],
) -> None:
    # Given two deploys whose only difference is the layer's content (notes_core)
    before, after = transformed["prod"], transformed["prod, notes_core changed"]

    # Then every function gets a new version, which its alias (through CodeDeploy) moves to
    for function in FUNCTIONS:
        assert _version_of(before, function) != _version_of(after, function), function
        assert _of_type(after, "AWS::Lambda::Version")[_version_of(after, function)]


def test_a_change_to_the_image_layer_alone_moves_only_its_users_aliases(
    transformed: dict[str, dict[str, Any]],
) -> None:
    # Given two deploys whose only difference is the image layer's content (Pillow, pillow-heif)
    before, after = transformed["prod"], transformed["prod, image parsers changed"]

    # Then the functions that have the layer get a new version, and no other function does
    moved = {function for function in FUNCTIONS if _version_of(before, function) != _version_of(after, function)}
    assert moved == LAYER_USERS["ImageLayer"] == {"MediaEventsWorkerFunction"}


def test_each_function_deploys_with_the_layers_the_local_stack_reads_for_it(
    transformed: dict[str, dict[str, Any]],
) -> None:
    # Given the functions as CloudFormation receives them, each layer a version SAM names
    resources = transformed["prod"]
    source_of = {  # a layer version's logical id -> the template's layer, by its name
        TEMPLATE["Resources"][layer]["Properties"]["LayerName"]["Fn::Sub"]: layer for layer in LAYERS
    }
    layer_of = {
        version: source_of[resource["Properties"]["LayerName"]["Fn::Sub"]]
        for version, resource in _of_type(resources, "AWS::Lambda::LayerVersion").items()
    }

    # Then each function has the layers, in order, that local.template reads from Globals and its own
    for function in FUNCTIONS:
        deployed = [layer_of[layer["Ref"]] for layer in resources[function]["Properties"]["Layers"]]
        assert deployed == [layer["Ref"] for layer in tpl.functions(TEMPLATE)[function]["Layers"]], function


def test_a_change_of_parameters_alone_publishes_no_version(transformed: dict[str, dict[str, Any]]) -> None:
    """SAM's behaviour, pinned: docs/operations.md ("Deploying", "a change of parameters alone")
    tells operators to move the aliases by hand after such a deploy. If this fails, sam-cli's
    transform now resolves parameters (aws/serverless-application-model#3820): drop that advice."""
    before, after = transformed["prod"], transformed["prod, LogLevel changed"]

    assert [_version_of(before, f) for f in FUNCTIONS] == [_version_of(after, f) for f in FUNCTIONS]


def test_each_schedule_is_named_after_its_state_machine_or_function_and_its_event(
    transformed: dict[str, dict[str, Any]],
) -> None:
    """What docs/architecture.md's boxes of schedules are named by (test_architecture.py)."""
    # Given the Schedule and ScheduleV2 events of the template's state machines and functions
    events = {
        f"{logical_id}{event_name}"
        for logical_id, resource in TEMPLATE["Resources"].items()
        for event_name, event in resource.get("Properties", {}).get("Events", {}).items()
        if event["Type"] in tpl.SCHEDULE_EVENT_TYPES
    }

    # When SAM has made them EventBridge rules or schedules
    resources = transformed["prod"]
    made = {*_of_type(resources, "AWS::Scheduler::Schedule"), *_of_type(resources, "AWS::Events::Rule")}

    # Then each is named by its target's logical id and the event's name
    assert events
    assert made == events
