"""The OpenAPI document is generated from the code and matches the template's routes."""

import json

from openapi_spec_validator import validate

from local import template as tpl
from notes_core.openapi import published_document
from notes_core.openapi.generate import OPERATIONS, render


def test_the_published_document_is_what_the_code_generates() -> None:
    assert published_document() == render(), "run `make openapi`"


def test_the_document_is_valid_openapi() -> None:
    validate(json.loads(published_document()))


def test_operations_are_exactly_the_templates_routes() -> None:
    routes = {(route.method, route.path, route.public) for route in tpl.routes(tpl.load())}
    documented = {(operation.method, operation.path, operation.public) for operation in OPERATIONS}
    assert documented == routes


def test_authorized_operations_require_the_bearer_token_and_public_ones_do_not() -> None:
    document = json.loads(published_document())
    for operation in OPERATIONS:
        entry = document["paths"][operation.path][operation.method.lower()]
        assert ("security" in entry and entry["security"] == []) == operation.public


def test_the_gateways_own_answers_are_documented_beside_the_functions_problems() -> None:
    document = json.loads(published_document())
    gateway = {"schema": {"$ref": "#/components/schemas/GatewayError"}}
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    assert document["components"]["schemas"]["GatewayError"]["required"] == ["message"]
    for operation in OPERATIONS:
        responses = document["paths"][operation.path][operation.method.lower()]["responses"]
        # Every route can be throttled by the gateway
        assert responses["429"]["content"]["application/json"] == gateway
        # The gateway's authorizer refuses tokens on every authorized route; the function may too
        if not operation.public:
            assert responses["401"]["content"] == {"application/json": gateway, "application/problem+json": problem}
            assert "www-authenticate" in responses["401"]["headers"]
        elif "401" in responses:
            assert responses["401"]["content"] == {"application/problem+json": problem}


def test_every_answer_to_an_edit_that_may_merge_documents_merged_fields() -> None:
    document = json.loads(published_document())
    schemas = document["components"]["schemas"]
    patched = document["paths"]["/v1/notes/{id}"]["patch"]["responses"]["200"]["content"]["application/json"]
    patch_reply = schemas[patched["schema"]["$ref"].rsplit("/", 1)[-1]]
    for schema in (patch_reply, schemas["PushResult"], schemas["BatchResult"]):
        assert "merged_fields" in schema["properties"]
