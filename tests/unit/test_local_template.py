"""local.template: how the local stack and the tests read template.yaml."""

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


def test_routes_and_handlers_come_from_the_template() -> None:
    template = tpl.load()
    routes = {route.route_key: route for route in tpl.routes(template)}

    assert routes["POST /v1/auth/sign-up"].public
    assert not routes["GET /v1/account"].public
    function = tpl.functions(template)[routes["GET /v1/account"].function]
    assert tpl.handler_module(function) == ("functions.account_get.app", "handler")
    assert function["Runtime"] == "python3.12"  # from Globals
