"""The OpenAPI document is generated from the code, matches the template's routes and tells a
client developer everything: tags, operation ids, examples that hold, every problem type."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from local import template as tpl
from notes_core.contract.bodies.notes import parse_push_change
from notes_core.contract.problems import PROBLEM_TYPE_BASE, PROBLEMS
from notes_core.domain import errors
from tools.openapi import catalogue
from tools.openapi.generate import OPERATIONS, main, problems_of, published_document, render

DOCUMENT: dict[str, Any] = json.loads(published_document())
ERRORS_PAGE = tpl.ROOT / "docs" / "errors.md"


def _operations() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in DOCUMENT["paths"].items():
        for method, entry in methods.items():
            yield f"{method.upper()} {path}", entry


def test_the_published_document_and_errors_page_are_what_the_code_generates() -> None:
    assert published_document() == render(), "run `make openapi`"
    assert ERRORS_PAGE.read_text(encoding="utf-8") == catalogue.render_errors_page(), "run `make openapi`"
    assert main(["--check", "--errors", str(ERRORS_PAGE)]) == 0


def test_the_check_fails_on_a_stale_errors_page(tmp_path: Any) -> None:
    stale = tmp_path / "errors.md"
    stale.write_text("# Errors\n", encoding="utf-8")

    assert main(["--check", "--errors", str(stale)]) == 1
    assert stale.read_text(encoding="utf-8") == "# Errors\n"


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)


def test_operations_are_exactly_the_templates_routes() -> None:
    routes = {(route.method, route.path, route.public) for route in tpl.routes(tpl.load())}
    documented = {(operation.method, operation.path, operation.public) for operation in OPERATIONS}
    assert documented == routes


def test_every_operation_states_its_own_security() -> None:
    # openapi-python-client reads an operation's security, not the document's
    for operation in OPERATIONS:
        entry = DOCUMENT["paths"][operation.path][operation.method.lower()]
        assert entry["security"] == ([] if operation.public else [{"cognito": []}]), operation.operation_id


def test_every_operation_has_one_declared_tag_and_a_camel_case_verb_for_its_id() -> None:
    tags = [tag["name"] for tag in DOCUMENT["tags"]]
    assert tags == ["auth", "account", "notes", "sync", "media", "devices", "meta"]
    ids = [entry["operationId"] for _, entry in _operations()]
    assert len(set(ids)) == len(ids)
    for label, entry in _operations():
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)+", entry["operationId"]), label
        assert len(entry["tags"]) == 1, label
        assert entry["tags"][0] in tags, label
    by_id = {entry["operationId"]: label for label, entry in _operations()}
    assert by_id["createNote"] == "POST /v1/notes"
    assert by_id["pullChanges"] == "GET /v1/sync"
    assert by_id["requestImageUpload"] == "POST /v1/notes/{id}/media"


def test_the_gateways_own_answers_are_documented_beside_the_functions_problems() -> None:
    gateway = {"$ref": "#/components/schemas/GatewayError"}
    problem = {"$ref": "#/components/schemas/Problem"}
    # A status both answer names the union under both media types: a generated client parses a
    # response with the schema of its first media type, whatever the content type says.
    either = {"$ref": "#/components/schemas/ErrorAnswer"}
    both = {"application/json": either, "application/problem+json": either}
    assert DOCUMENT["components"]["schemas"]["GatewayError"]["required"] == ["message"]
    assert DOCUMENT["components"]["schemas"]["ErrorAnswer"]["oneOf"] == [problem, gateway]
    for operation in OPERATIONS:
        responses = DOCUMENT["paths"][operation.path][operation.method.lower()]["responses"]
        schemas = {status: {t: c["schema"] for t, c in r.get("content", {}).items()} for status, r in responses.items()}
        # Every route can be throttled by the gateway (and by some functions), and fail there or in the function
        limited_by_function = any(kind.status == 429 for kind in problems_of(operation))
        assert schemas["429"] == (both if limited_by_function else {"application/json": gateway})
        assert schemas["431"] == {"application/json": gateway}
        assert schemas["500"] == both
        # The gateway's authorizer refuses tokens on every authorized route; the function may too
        if not operation.public:
            assert schemas["401"] == both
            assert "www-authenticate" in responses["401"]["headers"]
        elif "401" in responses:
            assert schemas["401"] == {"application/problem+json": problem}
        # A body over the gateway's 10 MB is its own 413; one over 5 MiB, the function's
        if operation.request is not None:
            assert schemas["413"] == both


def test_a_repeated_create_and_a_repeated_image_slot_are_documented_as_200() -> None:
    for path in ("/v1/notes", "/v1/notes/{id}/media"):
        responses = DOCUMENT["paths"][path]["post"]["responses"]
        assert responses["200"]["content"] == responses["201"]["content"]
        assert responses["200"]["description"] != responses["201"]["description"]


def _example_values(content: dict[str, Any]) -> list[Any]:
    return [example["value"] for example in content.get("examples", {}).values()]


def test_every_request_response_and_parameter_has_an_example() -> None:
    for label, entry in _operations():
        if "requestBody" in entry:
            assert _example_values(entry["requestBody"]["content"]["application/json"]), label
        for status, response in entry["responses"].items():
            for media_type, content in response.get("content", {}).items():
                assert _example_values(content), f"{label} {status} {media_type}"
            for name, header in response.get("headers", {}).items():
                assert "example" in header, f"{label} {status} {name}"
        for parameter in entry.get("parameters", []):
            assert "example" in parameter, f"{label} {parameter['name']}"


def _validator(schema: dict[str, Any]) -> OAS31Validator:
    # The schema is read inside the document, so that its $refs resolve.
    return OAS31Validator({**schema, "components": DOCUMENT["components"]}, format_checker=FormatChecker())


def _examples_and_schemas() -> Iterator[Any]:
    for label, entry in _operations():
        contents = [("request", entry.get("requestBody", {}).get("content", {}))]
        contents += [(status, response.get("content", {})) for status, response in entry["responses"].items()]
        for where, content in contents:
            for media_type, described in content.items():
                for value in _example_values(described):
                    yield pytest.param(value, described["schema"], id=f"{label} {where} {media_type}")
        for parameter in entry.get("parameters", []):
            yield pytest.param(parameter["example"], parameter["schema"], id=f"{label} {parameter['name']}")
        for status, response in entry["responses"].items():
            for name, header in response.get("headers", {}).items():
                yield pytest.param(header["example"], header["schema"], id=f"{label} {status} {name}")


@pytest.mark.parametrize(("value", "schema"), list(_examples_and_schemas()))
def test_every_example_validates_against_its_schema(value: Any, schema: dict[str, Any]) -> None:
    assert [error.message for error in _validator(schema).iter_errors(value)] == []


def test_every_problem_type_is_in_the_catalogue_of_the_document_and_of_docs_errors_md() -> None:
    problem = DOCUMENT["components"]["schemas"]["Problem"]
    page = ERRORS_PAGE.read_text(encoding="utf-8")
    known_types = problem["properties"]["type"]["anyOf"][0]["enum"]
    for kind in PROBLEMS.values():
        assert PROBLEM_TYPE_BASE + kind.slug in known_types
        assert kind.when
        assert kind.what_to_do
        assert f"| {kind.status} | `{kind.slug}` | {kind.when} | {kind.what_to_do} |" in page
        assert f"`{kind.slug}` | {kind.when}" in problem["description"]
    for answer in catalogue.GATEWAY_ANSWERS:
        assert f'| {answer.status} | `{{"message":"{answer.message}"}}` | {answer.when} |' in page


def test_each_response_names_the_problem_types_it_can_carry_with_an_example_of_each() -> None:
    update = DOCUMENT["paths"]["/v1/notes/{id}"]["patch"]["responses"]
    examples = update["412"]["content"]["application/problem+json"]["examples"]
    assert list(examples) == ["version-conflict"]
    assert examples["version-conflict"]["value"]["conflicting_fields"] == ["content"]
    assert "`precondition-required`" in update["428"]["description"]
    conflicts = DOCUMENT["paths"]["/v1/notes/{id}/media"]["post"]["responses"]["409"]
    assert set(conflicts["content"]["application/problem+json"]["examples"]) == {
        "already-exists",
        "media-limit",
        "write-contention",
    }


def _valid(schema_name: str, value: Any) -> bool:
    return bool(_validator({"$ref": f"#/components/schemas/{schema_name}"}).is_valid(value))


def test_the_user_pools_password_policy_is_the_documents() -> None:
    policy = tpl.load()["Resources"]["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    base = {"email": "ann@example.com", "full_name": "Ann"}
    assert (
        DOCUMENT["components"]["schemas"]["SignUpRequest"]["properties"]["password"]["minLength"]
        == (policy["MinimumLength"])
    )
    assert _valid("SignUpRequest", base | {"password": "Correct-Horse-1"})
    assert (policy["RequireUppercase"], _valid("SignUpRequest", base | {"password": "correct-horse-1"})) == (
        True,
        False,
    )
    assert (policy["RequireLowercase"], _valid("SignUpRequest", base | {"password": "CORRECT-HORSE-1"})) == (
        True,
        False,
    )
    assert (policy["RequireNumbers"], _valid("SignUpRequest", base | {"password": "Correct-Horse-"})) == (True, False)
    assert (policy["RequireSymbols"], _valid("SignUpRequest", base | {"password": "CorrectHorse1"})) == (False, True)


def test_constraints_the_server_checks_without_state_are_in_the_schemas() -> None:
    image: dict[str, Any] = {"content_type": "image/png", "size": 10 * 1024 * 1024}
    assert _valid("MediaUploadRequest", image)
    assert not _valid("MediaUploadRequest", image | {"size": image["size"] + 1})
    assert not _valid("MediaUploadRequest", image | {"content_type": "image/tiff"})
    assert not _valid("UpdateNoteRequest", {"base_version": 3})
    assert not _valid("UpdateNoteRequest", {"title": None, "base_version": 3})
    assert _valid("UpdateNoteRequest", {"title": "t"})
    if_match = DOCUMENT["paths"]["/v1/notes/{id}"]["patch"]["parameters"][1]
    assert (if_match["name"], if_match["schema"]["pattern"]) == (
        "If-Match",
        r'^[ \t]*(?:\*|(?:W/)?"?[0-9]{1,16}"?)[ \t]*$',
    )


_NOTE = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"
# Push changes, and whether the server takes them: the document must say the same of each.
_CHANGES = [
    ({"op": "create", "id": _NOTE, "title": "t", "content": "c"}, True),
    ({"op": "create", "id": _NOTE, "title": "t", "content": "c", "trashed": True}, True),
    ({"op": "create", "id": _NOTE, "title": "t"}, False),
    ({"op": "create", "id": _NOTE, "title": "t", "content": "c", "base_version": None}, False),
    ({"op": "create", "id": _NOTE, "title": None, "content": "c"}, False),
    ({"op": "create", "id": _NOTE, "title": "t", "content": "c", "trashed": None}, False),
    ({"op": "create", "id": "note-1", "title": "t", "content": "c"}, False),
    ({"op": "update", "id": _NOTE, "base_version": 2, "content": "c"}, True),
    ({"op": "update", "id": _NOTE, "base_version": 2, "trashed": False}, True),
    ({"op": "update", "id": _NOTE, "base_version": 2, "title": None, "trashed": True}, True),
    ({"op": "update", "id": _NOTE, "base_version": 2}, False),
    ({"op": "update", "id": _NOTE, "base_version": 2, "title": None, "content": None, "trashed": None}, False),
    ({"op": "update", "id": _NOTE, "title": "t"}, False),
    ({"op": "update", "id": _NOTE, "base_version": None, "title": "t"}, False),
    ({"op": "update", "id": _NOTE, "base_version": 0, "title": "t"}, False),
    ({"op": "delete", "id": _NOTE, "base_version": 3}, True),
    ({"op": "delete", "id": _NOTE, "base_version": None}, True),
    ({"op": "delete", "id": _NOTE}, False),
    ({"op": "delete", "id": _NOTE, "base_version": 1, "title": "t"}, False),
    ({"op": "upsert", "id": _NOTE, "base_version": None, "title": "t", "content": "c"}, True),
    ({"op": "upsert", "id": _NOTE, "base_version": None, "title": "t", "content": "c", "trashed": None}, True),
    ({"op": "upsert", "id": _NOTE, "base_version": None, "title": "t"}, False),
    ({"op": "upsert", "id": _NOTE, "base_version": 2, "title": "t"}, True),
    ({"op": "upsert", "id": _NOTE, "base_version": 2, "title": None}, False),
    ({"id": _NOTE, "base_version": 2, "title": "t"}, False),
    ({"op": "move", "id": _NOTE, "base_version": 2}, False),
]


@pytest.mark.parametrize(("change", "accepted"), _CHANGES)
def test_the_document_and_the_server_agree_on_every_kind_of_push_change(change: dict[str, Any], accepted: bool) -> None:
    # Given a push change (parametrized)
    # When the server checks it
    taken = not isinstance(parse_push_change(change, "/changes/0"), errors.DomainError)

    # Then it takes it exactly when the document's schema does
    assert taken == accepted
    assert _valid("PushChange", change) == accepted


def test_a_delete_with_null_fields_is_accepted_but_left_out_of_the_document() -> None:
    # Given a delete as the first document allowed it, its fields null
    change = {"op": "delete", "id": _NOTE, "base_version": 1, "title": None, "content": None, "trashed": None}

    # Then the server still takes it, and the document does not show those members (a member that
    # can only be null breaks openapi-fetch's request types)
    assert not isinstance(parse_push_change(change, ""), errors.DomainError)
    assert set(DOCUMENT["components"]["schemas"]["PushDelete"]["properties"]) == {"op", "id", "base_version"}


def test_a_push_change_is_one_of_four_closed_schemas_told_apart_by_op() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    kinds = {"create": "PushCreate", "update": "PushUpdate", "delete": "PushDelete", "upsert": "PushUpsert"}
    change = schemas["PushChange"]
    assert change["discriminator"] == {
        "propertyName": "op",
        "mapping": {op: f"#/components/schemas/{name}" for op, name in kinds.items()},
    }
    assert change["oneOf"] == [{"$ref": f"#/components/schemas/{name}"} for name in kinds.values()]
    for op, name in kinds.items():
        assert schemas[name]["properties"]["op"] == {"type": "string", "const": op}
        assert schemas[name]["required"][:2] == ["op", "id"]
        assert schemas[name]["additionalProperties"] is False
    assert schemas["PushUpsert"]["deprecated"] is True
    # Items are their schema alone: generators type the lists with it
    assert schemas["PushRequest"]["properties"]["changes"]["items"] == {"$ref": "#/components/schemas/PushChange"}
    for kind, item in (("create", "BatchCreateItem"), ("update", "BatchUpdateItem"), ("delete", "BatchDeleteItem")):
        assert schemas["BatchRequest"]["properties"][kind]["items"] == {"$ref": f"#/components/schemas/{item}"}


def test_no_member_of_any_schema_has_a_default() -> None:
    # openapi-typescript makes a member with a default required, in request bodies too
    for name, schema in DOCUMENT["components"]["schemas"].items():
        for member, described in schema.get("properties", {}).items():
            assert "default" not in described, f"{name}.{member}"


def test_the_edits_that_must_set_a_field_say_so_with_not() -> None:
    # Code generators read an anyOf beside the members as a union of partial schemas: `not` they ignore
    for name in ("UpdateNoteRequest", "BatchUpdateItem", "PushUpdate"):
        assert "anyOf" not in DOCUMENT["components"]["schemas"][name], name
    assert not _valid("UpdateNoteRequest", {"base_version": 3})
    assert not _valid("UpdateNoteRequest", {"title": None, "base_version": 3})
    assert _valid("UpdateNoteRequest", {"title": "t"})
    assert not _valid("BatchUpdateItem", {"id": _NOTE, "base_version": 3, "trashed": None})
    assert _valid("BatchUpdateItem", {"id": _NOTE, "base_version": 3, "trashed": True})


def test_problem_types_and_gateway_messages_are_open_sets() -> None:
    # A type or message added later is valid: a client generated today must not fail on it
    problem = {"type": PROBLEM_TYPE_BASE + "a-later-kind", "title": "t", "status": 400, "detail": "d"}
    assert _valid("Problem", problem)
    assert not _valid("Problem", {**problem, "type": 3})
    assert _valid("GatewayError", {"message": "Service Unavailable"})
    assert _valid("ErrorAnswer", problem)
    assert _valid("ErrorAnswer", {"message": "Unauthorized"})
    assert not _valid("ErrorAnswer", {"detail": "neither"})


def test_every_answer_to_an_edit_that_may_merge_documents_merged_fields() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    patched = DOCUMENT["paths"]["/v1/notes/{id}"]["patch"]["responses"]["200"]["content"]["application/json"]
    patch_reply = schemas[patched["schema"]["$ref"].rsplit("/", 1)[-1]]
    for schema in (patch_reply, schemas["PushResult"], schemas["BatchResult"]):
        assert "merged_fields" in schema["properties"]
