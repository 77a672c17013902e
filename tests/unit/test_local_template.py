"""local.template: how the local stack and the tests read template.yaml."""

from typing import Any

import pytest

from local import template as tpl


def _resolver(**parameters: str) -> tpl.Resolver:
    return tpl.Resolver(tpl.load(), "eu-west-1", "stack", parameters=dict(parameters))


def test_sub_resolves_pseudo_parameters_refs_and_attributes() -> None:
    resolver = _resolver()
    resolver.refs["UserPool"] = "eu-west-1_abc"
    resolver.attributes[("MediaBucket", "Arn")] = "arn:aws:s3:::bucket"

    assert resolver.resolve({"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"}) == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    )
    assert resolver.resolve({"Fn::Sub": "${MediaBucket.Arn}/*"}) == "arn:aws:s3:::bucket/*"


def test_conditions_and_parameter_overrides() -> None:
    assert _resolver().resolve({"Fn::If": ["IsProd", "ACTIVE", "INACTIVE"]}) == "INACTIVE"
    assert _resolver(Environment="prod").resolve({"Fn::If": ["IsProd", "ACTIVE", "INACTIVE"]}) == "ACTIVE"
    assert _resolver().resolve({"Ref": "CorsAllowedOrigins"}) == ["*"]


def test_unprovisioned_references_fail_loudly() -> None:
    with pytest.raises(KeyError):
        _resolver().resolve({"Ref": "NotesTable"})


def test_dependencies_come_before_their_dependents() -> None:
    order = [logical_id for logical_id, _ in tpl.resources_in_dependency_order(tpl.load())]
    assert order.index("MediaEventsDeadLetterQueue") < order.index("MediaEventsQueue")
    assert order.index("UserPool") < order.index("UserPoolClient")
    assert order.index("MediaBucket") < order.index("MediaBucketPolicy")


def _queue(properties: dict[str, Any] | None = None, **attributes: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": properties or {}, **attributes}


_CIRCLES = {
    "an UpdatePolicy": {
        "Alias": {"Type": "AWS::Lambda::Alias", "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {
            "DeploymentGroupName": {"Ref": "Group"}}}},
        "Group": _queue({"Alarms": [{"Name": {"Ref": "Alarm"}}]}),
        "Alarm": _queue({"Dimensions": [{"Value": {"Fn::Sub": "${Api}"}}]}),
        "Api": _queue({"Body": {"uri": {"Fn::Sub": "arn:${AWS::Partition}:lambda:path/${Alias}/invocations"}}}),
    },
    "a DependsOn list": {"A": _queue(DependsOn=["C", "B"]), "B": _queue({"Arn": {"Fn::GetAtt": ["A", "Arn"]}})},
    "a DependsOn name": {"A": _queue(DependsOn="B"), "B": _queue({"Arn": {"Fn::GetAtt": "A.Arn"}})},
    "an attribute in a Sub": {"A": _queue({"Name": {"Fn::Sub": "${B.QueueName}-x"}}), "B": _queue(DependsOn="A")},
    "a Sub list's text": {
        "A": _queue({"Name": {"Fn::Sub": ["${B}-${Suffix}", {"Suffix": "x"}]}}),
        "B": _queue(DependsOn="A"),
    },
    "a Sub list's variables": {
        "A": _queue({"Name": {"Fn::Sub": ["${Name}", {"Name": {"Fn::GetAtt": ["B", "QueueName"]}}]}}),
        "B": _queue({"Name": {"Ref": "A"}}),
    },
}  # fmt: skip


@pytest.mark.parametrize("through", _CIRCLES)
def test_a_circle_of_dependencies_is_refused_by_whatever_link_closes_it(through: str) -> None:
    # Given resources that depend on one another in a circle closed through `through`
    template = {"Resources": _CIRCLES[through], "Parameters": {}}

    # When they are put in dependency order, Then the circle is named
    with pytest.raises(ValueError, match=r"circular reference: (\w+) -> .* -> \1$"):
        list(tpl.resources_in_dependency_order(template))


def test_a_sub_variable_or_a_literal_named_like_a_resource_is_no_dependency() -> None:
    # Given a Sub whose own variable, and a Sub whose ${!literal}, are named like the other resource
    template = {
        "Resources": {
            "A": _queue({"Name": {"Fn::Sub": ["${B}", {"B": "a"}]}, "Label": {"Fn::Sub": "${!B}"}}),
            "B": _queue({"Name": {"Ref": "A"}}),
        }
    }

    # Then B depends on A, and A on nothing
    assert tpl.dependencies(template["Resources"]["A"]) == set()
    assert [logical_id for logical_id, _ in tpl.resources_in_dependency_order(template)] == ["A", "B"]


def test_routes_and_handlers_come_from_the_template() -> None:
    template = tpl.load()
    routes = {route.route_key: route for route in tpl.routes(template)}

    assert routes["POST /v1/auth/sign-up"].public
    assert not routes["GET /v1/account"].public
    function = tpl.functions(template)[routes["GET /v1/account"].function]
    assert tpl.handler_module(function) == ("functions.account_get.app", "handler")
    assert function["Runtime"] == "python3.12"  # from Globals


def test_a_functions_properties_meet_globals_as_sam_merges_them() -> None:
    # Given Globals and a function that sets some of the same properties
    template = {
        "Globals": {
            "Function": {
                "Runtime": "python3.12",
                "Architectures": ["x86_64"],
                "Layers": [{"Ref": "CoreLayer"}],
                "Environment": {"Variables": {"TABLE": "t", "LEVEL": "INFO"}},
                "LoggingConfig": {"LogGroup": {"Ref": "Logs"}, "LogFormat": "JSON"},
            }
        },
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Architectures": ["arm64"],
                    "Layers": [{"Ref": "ImageLayer"}],
                    "Environment": {"Variables": {"LEVEL": "DEBUG"}},
                    "LoggingConfig": {"LogGroup": {"Fn::Sub": "${AWS::StackName}-f"}},
                },
            }
        },
    }

    # When its properties are read
    (properties,) = tpl.functions(template).values()

    # Then lists are Globals' then its own (Architectures excepted, replaced), maps merge, and its
    # values, intrinsic functions included, replace Globals'
    assert properties == {
        "Runtime": "python3.12",
        "Architectures": ["arm64"],
        "Layers": [{"Ref": "CoreLayer"}, {"Ref": "ImageLayer"}],
        "Environment": {"Variables": {"TABLE": "t", "LEVEL": "DEBUG"}},
        "LoggingConfig": {"LogGroup": {"Fn::Sub": "${AWS::StackName}-f"}, "LogFormat": "JSON"},
    }


def test_parameters_are_converted_by_their_declared_type() -> None:
    # Given overrides as they come from the environment: text
    resolver = _resolver(
        AccessTokenValidityMinutes="5",
        TombstoneRetentionDays="0.001",
        LogRetentionDays="14.0",
        CorsAllowedOrigins="a, b",
    )

    # Then numbers are numbers (an int unless there is a fraction) and lists are lists
    assert resolver.parameters["AccessTokenValidityMinutes"] == 5
    assert isinstance(resolver.parameters["AccessTokenValidityMinutes"], int)
    assert resolver.parameters["TombstoneRetentionDays"] == 0.001
    assert resolver.parameters["LogRetentionDays"] == 14
    assert isinstance(resolver.parameters["LogRetentionDays"], int)
    assert resolver.parameters["CorsAllowedOrigins"] == ["a", "b"]
    assert resolver.parameters["Environment"] == "dev"  # the default, still text


def test_a_list_of_numbers_is_converted_item_by_item() -> None:
    spec = {"Type": "List<Number>", "MinValue": 1}

    assert tpl.parameter_value("Ports", spec, "80, 443,8080") == [80, 443, 8080]
    with pytest.raises(tpl.ParameterError, match="not less than 1"):
        tpl.parameter_value("Ports", spec, "80,0")


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("AccessTokenValidityMinutes", "five", "Parameter 'AccessTokenValidityMinutes' must be a number."),
        ("AccessTokenValidityMinutes", "1_000", "Parameter 'AccessTokenValidityMinutes' must be a number."),
        ("AccessTokenValidityMinutes", "\u0661\u0665", "Parameter 'AccessTokenValidityMinutes' must be a number."),
        ("AccessTokenValidityMinutes", "4", "Parameter 'AccessTokenValidityMinutes' must be a number not less than 5"),
        ("UploadUrlTtlSeconds", "901", "Parameter 'UploadUrlTtlSeconds' must be a number not greater than 900"),
        ("LogRetentionDays", "13", "Parameter 'LogRetentionDays' must be one of AllowedValues"),
        ("Environment", "staging", "Parameter 'Environment' must be one of AllowedValues"),
    ],
)
def test_values_cloudformation_refuses_are_refused_with_its_message(parameter: str, value: str, message: str) -> None:
    with pytest.raises(tpl.ParameterError) as refused:
        _resolver(**{parameter: value})

    assert str(refused.value) == message
    assert refused.value.parameter == parameter


def test_the_schedules_are_read_from_the_template() -> None:
    # Given the template
    template = tpl.load()

    # When its schedules are read
    found = tpl.schedules(template, _resolver())

    # Then the purge-trash machine's daily schedule is the one, with its input
    assert found == [
        tpl.Schedule(
            target="PurgeTrashStateMachine",
            target_type="AWS::Serverless::StateMachine",
            event="Daily",
            event_type="ScheduleV2",
            expression="rate(1 day)",
            input="{}",
            name=None,
        )
    ]


def test_schedules_of_functions_and_machines_are_read_unless_disabled() -> None:
    # Given a template whose function and machine have schedules of both kinds, some disabled
    def function(events: dict[str, object]) -> dict[str, object]:
        return {"Type": "AWS::Serverless::Function", "Properties": {"Events": events}}

    template = {
        "Resources": {
            "Nightly": function(
                {
                    "Rule": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 3 * * ? *)", "Input": '{"a": 1}'}},
                    "Off": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)", "Enabled": False}},
                    "Api": {"Type": "HttpApi", "Properties": {"Method": "GET", "Path": "/x"}},
                }
            ),
            "Machine": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {
                    "Events": {
                        "Hourly": {
                            "Type": "ScheduleV2",
                            "Properties": {
                                "ScheduleExpression": "rate(1 hour)",
                                "Name": {"Fn::Sub": "${AWS::Region}-h"},
                            },
                        },
                        "Paused": {
                            "Type": "ScheduleV2",
                            "Properties": {"ScheduleExpression": "rate(1 hour)", "State": "DISABLED"},
                        },
                    }
                },
            },
        }
    }

    # When its schedules are read
    found = tpl.schedules(template, _resolver())

    # Then each enabled one is there, with its input (None: none given) and its resolved name
    assert [(s.target, s.event, s.event_type, s.expression, s.input, s.name) for s in found] == [
        ("Nightly", "Rule", "Schedule", "cron(0 3 * * ? *)", '{"a": 1}', None),
        ("Machine", "Hourly", "ScheduleV2", "rate(1 hour)", None, "eu-west-1-h"),
    ]
