"""The fuzzer's allow-list drops a failure only for the exact answer and request it names."""

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
