"""POST /v1/notes/batch: up to 25 changes, a result per item, in request order."""

import json
import uuid

from tests.support.api import Api, User


def _note(api: Api, user: User, title: str = "t", content: str = "c") -> dict[str, object]:
    reply = api.call("notes_create", user, body={"title": title, "content": content})
    assert reply.status == 201
    body: dict[str, object] = reply.body
    return body


def test_every_item_gets_its_own_result_and_one_bad_item_fails_no_other(api: Api, user: User) -> None:
    # Given two notes, one edited since version 1
    kept, edited = _note(api, user), _note(api, user)
    api.call("notes_update", user, note_id=str(edited["id"]), body={"title": "theirs"}, headers={"if-match": '"1"'})
    new_id, unknown = str(uuid.uuid4()), str(uuid.uuid4())

    # When a batch mixes good, conflicting, unknown and invalid items
    reply = api.call(
        "notes_batch",
        user,
        body={
            "create": [{"id": new_id, "title": "new", "content": "x"}, {"title": "no content"}],
            "update": [
                {"id": kept["id"], "base_version": 1, "content": "mine"},
                {"id": edited["id"], "base_version": 1, "title": "mine"},
                {"id": unknown, "base_version": 1, "title": "x"},
            ],
            "delete": [{"id": kept["id"]}, {"id": "not-a-uuid"}],
        },
    )

    # Then each has its result, in request order
    assert reply.status == 200
    results = reply.body["results"]
    assert [(result["id"], result["status"]) for result in results] == [
        (new_id, "created"),
        (None, "invalid"),
        (kept["id"], "updated"),
        (edited["id"], "conflict"),
        (unknown, "not_found"),
        (kept["id"], "deleted"),
        ("not-a-uuid", "invalid"),
    ]
    assert results[2]["note"]["content"] == "mine"
    assert results[3]["note"]["title"] == "theirs"
    assert results[5]["note"]["deleted"] is True
    assert results[1]["problem"]["status"] == 422
    assert api.call("notes_get", user, note_id=new_id).status == 200


def test_results_follow_the_order_of_the_lists_in_the_body(api: Api, user: User) -> None:
    note = _note(api, user)
    new_id = str(uuid.uuid4())
    body = json.dumps({"delete": [{"id": note["id"]}], "create": [{"id": new_id, "title": "t", "content": "c"}]})

    reply = api.call("notes_batch", user, body=body)

    assert [result["status"] for result in reply.body["results"]] == ["deleted", "created"]


def test_a_replayed_batch_answers_the_same(api: Api, user: User) -> None:
    note = _note(api, user)
    body = {
        "create": [{"id": str(uuid.uuid4()), "title": "a", "content": "b"}],
        "update": [{"id": note["id"], "base_version": 1, "title": "t2"}],
        "delete": [],
    }
    first = api.call("notes_batch", user, body=body)

    again = api.call("notes_batch", user, body=body)

    assert again.body == first.body


def test_more_than_25_items_is_422(api: Api, user: User) -> None:
    creates = [{"title": str(i), "content": "c"} for i in range(20)]
    deletes = [{"id": str(uuid.uuid4())} for _ in range(6)]

    reply = api.call("notes_batch", user, body={"create": creates, "delete": deletes})

    assert reply.status == 422


def test_25_items_are_applied_at_once(api: Api, user: User) -> None:
    creates = [{"title": str(i), "content": "c"} for i in range(25)]

    reply = api.call("notes_batch", user, body={"create": creates})

    assert [result["status"] for result in reply.body["results"]] == ["created"] * 25


def test_unknown_top_level_fields_are_422(api: Api, user: User) -> None:
    assert api.call("notes_batch", user, body={"create": [], "upsert": []}).status == 422
