"""A refused item of a push or batch names the member at fault with a JSON pointer into the request
body (RFC 6901), as every other 422 does: `/changes/3/base_version`, `/create/0/title`, the same
form docs/errors.md and docs/sync-protocol.md show."""

import uuid

from tests.support.api import Api, User


def _problem_pointers(result: dict[str, object]) -> list[str]:
    problem = result["problem"]
    assert isinstance(problem, dict)
    return [error["pointer"] for error in problem["errors"]]


def test_a_refused_push_change_points_into_the_body(api: Api, user: User) -> None:
    # Given a push whose second and fourth changes are wrong
    good = {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "t", "content": "c"}
    body = {
        "changes": [
            good,
            {"op": "upsert", "id": str(uuid.uuid4()), "base_version": "2", "title": "x"},
            {"op": "delete", "id": good["id"], "base_version": 1},
            {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "t", "content": "c", "owner": 1},
        ]
    }

    # When it is pushed
    reply = api.call("sync_push", user, body=body)

    # Then each refused change's problem points at its member within the whole body
    assert reply.status == 200
    results = reply.body["results"]
    assert [result["status"] for result in results] == ["applied", "rejected", "applied", "rejected"]
    assert _problem_pointers(results[1]) == ["/changes/1/base_version"]
    assert _problem_pointers(results[3]) == ["/changes/3/owner"]


def test_a_refused_change_of_each_op_points_at_its_member(api: Api, user: User) -> None:
    # Given a push of a create without content, an update setting nothing, a change of no known op,
    # a create naming a base version, and a change without op
    note_id = str(uuid.uuid4())
    body = {
        "changes": [
            {"op": "create", "id": note_id, "title": "t"},
            {"op": "update", "id": note_id, "base_version": 1, "title": None},
            {"op": "move", "id": note_id, "base_version": 1},
            {"op": "create", "id": note_id, "title": "t", "content": "c", "base_version": None},
            {"id": note_id, "base_version": 1, "title": "t"},
        ]
    }

    # When it is pushed
    reply = api.call("sync_push", user, body=body)

    # Then each is refused on its own, its problem naming the member at fault (the change itself
    # for a rule between its members)
    assert reply.status == 200
    results = reply.body["results"]
    assert [result["status"] for result in results] == ["rejected"] * 5
    assert [_problem_pointers(result) for result in results] == [
        ["/changes/0/content"],
        ["/changes/1"],
        ["/changes/2/op"],
        ["/changes/3/base_version"],
        ["/changes/4/op"],
    ]
    assert {result["id"] for result in results} == {note_id}


def test_a_refused_batch_item_points_into_the_body(api: Api, user: User) -> None:
    # Given a batch with a create missing its content and a delete whose id is not a UUID
    body = {
        "create": [{"id": str(uuid.uuid4()), "title": "t", "content": "c"}, {"title": "no content"}],
        "delete": [{"id": "not-a-uuid"}],
    }

    # When it is sent
    reply = api.call("notes_batch", user, body=body)

    # Then the pointers name the list, the item's place in it and the member
    assert reply.status == 200
    results = reply.body["results"]
    assert [result["status"] for result in results] == ["created", "invalid", "invalid"]
    assert _problem_pointers(results[1]) == ["/create/1/content"]
    assert _problem_pointers(results[2]) == ["/delete/0/id"]
