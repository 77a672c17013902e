"""What each route costs in DynamoDB requests, counted with botocore's event hooks."""

import uuid
from typing import Any

import pytest

from notes_core.data import table
from tests.support.api import Api, User
from tests.support.calls import Calls, counting


def _create(api: Api, user: User) -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_create", user, body={"title": "t", "content": "c"}).body
    return body


def _counted(api: Api, code_dir: str, user: User, **kwargs: Any) -> tuple[int, Calls]:
    with counting(table._dynamodb()) as calls:
        reply = api.call(code_dir, user, **kwargs)
    assert calls.operations["Scan"] == 0
    return reply.status, calls


def test_get_is_one_request(api: Api, user: User) -> None:
    note = _create(api, user)

    status, calls = _counted(api, "notes_get", user, note_id=note["id"])

    assert status == 200
    assert dict(calls.operations) == {"GetItem": 1}


def test_a_list_page_is_one_query_that_reads_no_tombstone(api: Api, user: User) -> None:
    # Given three live notes and five tombstones
    notes = [_create(api, user) for _ in range(8)]
    for note in notes[:5]:
        api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})

    status, calls = _counted(api, "notes_list", user, query={})

    assert status == 200
    assert dict(calls.operations) == {"Query": 1}
    assert calls.items_read == 3


@pytest.mark.parametrize("route", ["create", "update", "delete"])
def test_a_write_is_at_most_one_read_and_one_transaction(api: Api, user: User, route: str) -> None:
    note = _create(api, user)
    call: dict[str, Any] = {
        "create": {"code_dir": "notes_create", "body": {"title": "t", "content": "c"}},
        "update": {
            "code_dir": "notes_update",
            "note_id": note["id"],
            "body": {"title": "x"},
            "headers": {"if-match": '"1"'},
        },
        "delete": {"code_dir": "notes_delete", "note_id": note["id"], "headers": {"if-match": '"1"'}},
    }[route]

    status, calls = _counted(api, user=user, **call)

    assert status in (200, 201, 202)
    assert dict(calls.operations) == {"BatchGetItem": 1, "TransactWriteItems": 1}


@pytest.mark.parametrize(("count", "transactions"), [(49, 1), (50, 2)])
def test_a_push_of_up_to_49_text_changes_is_one_batch_read_and_one_transaction(
    api: Api, user: User, count: int, transactions: int
) -> None:
    # Given creates and edits of text, each of which keeps a revision in the same transaction
    # (a note and its revision are two of a transaction's 100 items, the counter the last)
    existing = [_create(api, user) for _ in range(9)]
    changes: list[dict[str, Any]] = [
        {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "t", "content": "c"}
        for _ in range(count - len(existing))
    ]
    changes += [{"op": "upsert", "id": note["id"], "base_version": 1, "content": "edited"} for note in existing]

    # When they are pushed at once
    status, calls = _counted(api, "sync_push", user, body={"changes": changes})

    # Then 49 fit one read and one transaction; 50 take a second transaction
    assert status == 200
    assert dict(calls.operations) == {"BatchGetItem": 1, "TransactWriteItems": transactions}


def test_a_pull_page_is_one_query(api: Api, user: User) -> None:
    for _ in range(5):
        _create(api, user)

    status, calls = _counted(api, "sync_pull", user, query={"limit": "3"})

    assert status == 200
    assert dict(calls.operations) == {"Query": 1}
    assert calls.items_read <= 4  # the page and one more, to know whether another follows
