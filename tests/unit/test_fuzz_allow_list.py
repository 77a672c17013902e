"""The fuzzer's allow-list drops a failure only for the exact answer and request it names."""

import json
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.e2e import schemathesis_hooks as hooks


def _case(operation_id: str, headers: dict[str, str] | None = None, body: Any = None, query: Any = None) -> Any:
    operation = SimpleNamespace(definition=SimpleNamespace(raw={"operationId": operation_id}), label=operation_id)
    return SimpleNamespace(operation=operation, headers=headers, body=body, query=query)


def _answer(status: int, problem: str) -> Any:
    body = f'{{"type": "https://notes-sync.dev/problems/{problem}", "status": {status}}}'
    return SimpleNamespace(status_code=status, content=body.encode())


def _kept(case: Any, response: Any, check: str = "positive_data_acceptance") -> bool:
    failure = SimpleNamespace(checks=(check,))
    kept: bool = hooks.filter_failure(cast(Any, None), cast(Any, failure), case, response)
    return kept


@pytest.mark.parametrize(
    ("case", "answer"),
    [
        (_case("pullChanges", query={"cursor": "abc"}), _answer(400, "malformed-request")),
        (_case("confirmSignUp", body={"email": "a@b.cd", "code": "1"}), _answer(400, "invalid-code")),
        (_case("updateNote", headers={"If-Match": '"2"'}, body={"title": "t"}), _answer(412, "version-conflict")),
        (_case("updateNote", headers={}, body={"title": "t"}), _answer(428, "precondition-required")),
        (_case("updateNote", headers={"If-Match": "*"}, body={"title": "t"}), _answer(428, "precondition-required")),
        (
            _case("updateNote", headers={"If-Match": 'W/"3"'}, body={"title": "t", "base_version": 2}),
            _answer(400, "malformed-request"),
        ),
        (
            _case("updateNote", headers={"If-Match": "*"}, body={"title": "t", "base_version": 2}),
            _answer(400, "malformed-request"),
        ),
        (_case("batchNotes", body={"create": [{}] * 20, "delete": [{}] * 6}), _answer(422, "validation-error")),
    ],
)
def test_an_allowed_failure_is_dropped(case: Any, answer: Any) -> None:
    assert not _kept(case, answer)


@pytest.mark.parametrize(
    ("case", "answer", "check"),
    [
        # Another check, another operation, another answer, or a request the rule does not cover
        (_case("pullChanges", query={"cursor": "abc"}), _answer(400, "malformed-request"), "not_a_server_error"),
        (_case("getNote", query={"cursor": "abc"}), _answer(400, "malformed-request"), "positive_data_acceptance"),
        (_case("pullChanges", query={}), _answer(400, "malformed-request"), "positive_data_acceptance"),
        (_case("pullChanges", query={"cursor": "abc"}), _answer(500, "internal-error"), "positive_data_acceptance"),
        (
            _case("updateNote", headers={"If-Match": '"3"'}, body={"title": "t"}),
            _answer(428, "precondition-required"),
            "positive_data_acceptance",
        ),
        (
            _case("updateNote", headers={"If-Match": '"3"'}, body={"title": "t", "base_version": 3}),
            _answer(400, "malformed-request"),
            "positive_data_acceptance",
        ),
        (
            _case("batchNotes", body={"create": [{}] * 20, "delete": [{}] * 5}),
            _answer(422, "validation-error"),
            "positive_data_acceptance",
        ),
    ],
)
def test_any_other_failure_is_kept(case: Any, answer: Any, check: str) -> None:
    assert _kept(case, answer, check)


_NOTE = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"
_CREATE = {"op": "create", "id": _NOTE, "title": "t", "content": "c"}
_NO_CONTENT = {"op": "create", "id": _NOTE, "title": "t"}
_LEGACY_DELETE = {"op": "delete", "id": _NOTE, "base_version": 1, "title": None, "content": None, "trashed": None}
_REFUSED = "negative_data_rejection"


def _results(*statuses: str) -> Any:
    """A 200 answering each item with its status (a refused one with a 422 problem)."""
    results = [
        {"id": _NOTE, "status": status}
        | ({"problem": {"status": 422}} if status in ("rejected", "invalid") else {"note": {}})
        for status in statuses
    ]
    return SimpleNamespace(status_code=200, content=json.dumps({"results": results}).encode())


_GATEWAY_500 = SimpleNamespace(status_code=500, content=b'{"message":"Internal Server Error"}')
# 30 changes of 100,000 backslashes, each written as two characters: about 6 MB of JSON
_OVER_5_MIB = {"changes": [{**_CREATE, "content": "\\" * 100_000}] * 30}


@pytest.mark.parametrize(
    ("case", "answer", "check"),
    [
        # Items the document refuses, each answered refused on its own, the others applied
        (_case("pushChanges", body={"changes": [_CREATE, _NO_CONTENT]}), _results("applied", "rejected"), _REFUSED),
        (
            _case("batchNotes", body={"delete": [{"id": "x"}], "create": [{"id": _NOTE, "title": "t"}]}),
            _results("invalid", "invalid"),
            _REFUSED,
        ),
        # A delete's nulls: the server takes them, the document leaves them out
        (_case("pushChanges", body={"changes": [_LEGACY_DELETE]}), _results("applied"), _REFUSED),
        # A body over 5 MiB: the function's 413, or the gateway's 500 past Lambda's 6 MB
        (_case("pushChanges", body=_OVER_5_MIB), _answer(413, "payload-too-large"), "positive_data_acceptance"),
        (_case("batchNotes", body=_OVER_5_MIB), _GATEWAY_500, "not_a_server_error"),
        (_case("pushChanges", body=_OVER_5_MIB), _GATEWAY_500, "positive_data_acceptance"),
        (
            _case("restoreRevision", headers={"If-Match": '"3"'}),
            _answer(412, "version-conflict"),
            "positive_data_acceptance",
        ),
    ],
)
def test_an_allowed_answer_to_a_push_or_batch_is_dropped(case: Any, answer: Any, check: str) -> None:
    assert not _kept(case, answer, check)


@pytest.mark.parametrize(
    ("case", "answer", "check"),
    [
        # An item the document refuses but the server applied
        (_case("pushChanges", body={"changes": [_CREATE, _NO_CONTENT]}), _results("applied", "applied"), _REFUSED),
        # Refused, but not in request order
        (_case("pushChanges", body={"changes": [_NO_CONTENT, _CREATE]}), _results("applied", "rejected"), _REFUSED),
        # A result missing
        (_case("pushChanges", body={"changes": [_CREATE, _NO_CONTENT]}), _results("applied"), _REFUSED),
        # The body breaks its schema beyond its items
        (
            _case("pushChanges", body={"changes": [_NO_CONTENT], "device_id": "no spaces allowed"}),
            _results("rejected"),
            _REFUSED,
        ),
        (_case("pushChanges", body={"changes": [_CREATE], "device_id": "no spaces"}), _results("applied"), _REFUSED),
        # Another operation, or a failure of the server itself
        (_case("createNote", body={"title": "t"}), _results("applied"), _REFUSED),
        (_case("pushChanges", body={"changes": [_CREATE]}), _GATEWAY_500, "not_a_server_error"),
        (_case("pushChanges", body=_OVER_5_MIB), _answer(500, "internal-error"), "not_a_server_error"),
    ],
)
def test_any_other_answer_to_a_push_or_batch_is_kept(case: Any, answer: Any, check: str) -> None:
    assert _kept(case, answer, check)
