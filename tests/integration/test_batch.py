"""POST /v1/notes/batch: up to 25 changes, a result per item, in request order."""

import json
import uuid

from local.functions import LAMBDA_RESPONSE_BYTES
from notes_core.domain.note import MAX_CONTENT_CHARS, MAX_TITLE_CHARS
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


def test_a_batch_answered_with_25_of_the_largest_notes_keeps_every_result_under_lambdas_limit(
    api: Api, user: User
) -> None:
    # Given the largest note there is: title and content of control characters, each 6 bytes in
    # JSON (\u0001) and 7 in Lambda's response payload, where the body is a string (\\u0001)
    note = _note(api, user, title="\x01" * MAX_TITLE_CHARS, content="\x01" * MAX_CONTENT_CHARS)

    # When a batch of 25 updates is each answered with the whole note (moving it to the trash and back)
    updates = [{"id": note["id"], "base_version": 1 + i, "trashed": i % 2 == 0} for i in range(25)]
    reply = api.call("notes_batch", user, body={"update": updates})

    # Then the answer stays under Lambda's 6 MB response payload, with every result, in order
    assert reply.status == 200
    assert api.last_payload_bytes <= LAMBDA_RESPONSE_BYTES
    results = reply.body["results"]
    assert [(result["id"], result["status"]) for result in results] == [(note["id"], "updated")] * 25
    # And the first results carry their note; from the first that would not fit, none does, and each says so
    carried = sum(1 for result in results if "note" in result)
    assert 0 < carried < 25
    assert [result["note"]["version"] for result in results[:carried]] == list(range(2, 2 + carried))
    assert all("note_omitted" not in result for result in results[:carried])
    assert all("note" not in result and result["note_omitted"] is True for result in results[carried:])
    # And the note is there to read (or pull) as the last update left it
    got = api.call("notes_get", user, note_id=str(note["id"]))
    assert (got.body["version"], got.body["trashed"]) == (26, True)


def test_an_invalid_item_echoes_its_id_only_when_it_is_short(api: Api, user: User) -> None:
    # Given a batch of deletes refused for their ids: 20 of 100,000 quotes (4 MB sent, each quote
    # \" in JSON and \\\" in Lambda's payload), then ids of 200 and 201 characters
    deletes = [{"id": '"' * 100_000}] * 20 + [{"id": "x" * 200}, {"id": "y" * 201}]

    # When it is sent
    reply = api.call("notes_batch", user, body={"delete": deletes})

    # Then every item is invalid, and only the short id is echoed
    assert reply.status == 200
    assert api.last_payload_bytes < 100_000
    assert [(result["id"], result["status"]) for result in reply.body["results"]] == [(None, "invalid")] * 20 + [
        ("x" * 200, "invalid"),
        (None, "invalid"),
    ]
