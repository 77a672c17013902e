"""The notes routes, one note at a time: create, get, list, update, delete."""

import uuid
from typing import Any

import pytest

from local.functions import LAMBDA_RESPONSE_BYTES
from notes_core.domain.note import MAX_CONTENT_CHARS, MAX_TITLE_CHARS
from tests.support.api import Api, Reply, User


def _create(api: Api, user: User, title: str = "Title", content: str = "Content", note_id: str | None = None) -> Reply:
    body: dict[str, str] = {"title": title, "content": content}
    if note_id:
        body["id"] = note_id
    reply = api.call("notes_create", user, body=body)
    assert reply.status in (200, 201), reply.body
    return reply


# ---------------------------------------------------------------- create
def test_create_answers_201_with_the_note_its_etag_and_location(api: Api, user: User) -> None:
    reply = api.call("notes_create", user, body={"title": "Groceries", "content": "milk"})

    assert reply.status == 201
    note = reply.body
    assert uuid.UUID(note["id"])
    assert (note["title"], note["content"], note["version"], note["deleted"], note["media"]) == (
        "Groceries",
        "milk",
        1,
        False,
        [],
    )
    assert note["created_at"] == note["updated_at"]
    assert note["created_at"].endswith("Z")
    assert reply.headers["etag"] == '"1"'
    assert reply.headers["location"] == f"/v1/notes/{note['id']}"


def test_creating_the_same_id_and_content_again_is_a_replay(api: Api, user: User) -> None:
    # Given a note the client created with its own id, whose answer the client never got
    note_id = str(uuid.uuid4())
    first = _create(api, user, "A", "B", note_id)

    # When the client sends the same create again
    again = api.call("notes_create", user, body={"id": note_id, "title": "A", "content": "B"})

    # Then it is answered 200 with the same note, and nothing was written twice
    assert first.status == 201
    assert again.status == 200
    assert again.body == first.body


def test_creating_an_existing_id_with_other_content_is_409(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())
    _create(api, user, "A", "B", note_id)

    reply = api.call("notes_create", user, body={"id": note_id, "title": "A", "content": "other"})

    assert reply.status == 409
    assert reply.body["note"]["content"] == "B"


def test_the_id_is_normalised_to_lowercase(api: Api, user: User) -> None:
    note_id = str(uuid.uuid4())

    reply = _create(api, user, note_id=note_id.upper())

    assert reply.body["id"] == note_id


@pytest.mark.parametrize(
    "body",
    [
        {"title": "t", "content": "c", "version": 3},
        {"title": "t", "content": "c", "user_id": "someone-else"},
        {"title": "t", "content": "c", "created_at": "2020-01-01T00:00:00Z"},
        {"title": "t", "content": "c", "deleted": True},
        {"title": "t", "content": "c", "colour": "red"},
        {"title": "t" * 501, "content": "c"},
        {"title": "t", "content": "c" * 100_001},
        {"title": "t"},
        {"id": "not-a-uuid", "title": "t", "content": "c"},
    ],
    ids=[
        "version",
        "user_id",
        "created_at",
        "deleted",
        "unknown",
        "long-title",
        "long-content",
        "no-content",
        "bad-id",
    ],
)
def test_server_owned_unknown_or_invalid_fields_are_422(api: Api, user: User, body: dict[str, object]) -> None:
    reply = api.call("notes_create", user, body=body)

    assert reply.status == 422
    assert reply.problem_type == "validation-error"


def test_the_longest_title_and_content_fit(api: Api, user: User) -> None:
    reply = api.call("notes_create", user, body={"title": "é" * 500, "content": "😀" * 100_000})

    assert reply.status == 201
    assert len(reply.body["content"]) == 100_000


# ---------------------------------------------------------------- get
def test_get_answers_the_note_with_its_etag(api: Api, user: User) -> None:
    created = _create(api, user).body

    reply = api.call("notes_get", user, note_id=created["id"])

    assert reply.status == 200
    assert reply.body == created
    assert reply.headers["etag"] == '"1"'


@pytest.mark.parametrize("note_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_get_of_an_unknown_id_is_404(api: Api, user: User, note_id: str) -> None:
    reply = api.call("notes_get", user, note_id=note_id)

    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"


def test_get_of_a_deleted_note_is_404(api: Api, user: User) -> None:
    created = _create(api, user).body
    assert api.call("notes_delete", user, note_id=created["id"], headers={"if-match": None}).status == 202

    assert api.call("notes_get", user, note_id=created["id"]).status == 404


# ---------------------------------------------------------------- list
def test_list_pages_through_live_notes_most_recently_changed_first(api: Api, user: User) -> None:
    # Given five notes, the second edited last and the fourth deleted
    ids = [_create(api, user, f"n{i}").body["id"] for i in range(5)]
    api.call("notes_update", user, note_id=ids[1], body={"title": "edited"}, headers={"if-match": '"1"'})
    api.call("notes_delete", user, note_id=ids[3], headers={"if-match": None})

    # When the user lists them two at a time
    pages, cursor = [], None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        reply = api.call("notes_list", user, query=query)
        assert reply.status == 200
        pages.append([note["id"] for note in reply.body["notes"]])
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break

    # Then every live note comes once, newest change first, and the last page says so
    assert pages == [[ids[1], ids[4]], [ids[2], ids[0]]]


# Characters JSON writes as 6 bytes (\u0001, 7 in Lambda's payload), and as 2 (\", 4 in the payload).
@pytest.mark.parametrize("character", ["\x01", '"'], ids=["control-characters", "quotes"])
def test_a_page_of_long_notes_stays_within_5_mib(api: Api, user: User, character: str) -> None:
    # Given twenty notes of 100,000 characters that JSON and Lambda's payload escape (700 KB or 400 KB a note)
    ids = {_create(api, user, str(n), content=character * 100_000).body["id"] for n in range(20)}

    # When the user lists them 100 at a time
    sizes, listed, cursor = [], [], None
    while True:
        reply = api.call("notes_list", user, query={"limit": "100"} | ({"cursor": cursor} if cursor else {}))
        sizes.append(api.last_payload_bytes)
        listed += [note["id"] for note in reply.body["notes"]]
        if (cursor := reply.body["next_cursor"]) is None:
            break

    # Then every page stays within 5 MiB of Lambda's response payload, as a pull's do (well under
    # its 6 MB), and every note comes once
    assert max(sizes) <= 5 * 1024 * 1024
    assert sorted(listed) == sorted(ids)


def test_a_list_goes_on_past_the_megabyte_a_query_reads(api: Api, user: User) -> None:
    # Given fifteen notes of 100,000 characters: 1.5 MB, and a DynamoDB Query reads 1 MB at most
    ids = {_create(api, user, str(n), content="a" * 100_000).body["id"] for n in range(15)}

    # When the user lists them 100 at a time
    listed, cursor = [], None
    while True:
        reply = api.call("notes_list", user, query={"limit": "100"} | ({"cursor": cursor} if cursor else {}))
        listed += [note["id"] for note in reply.body["notes"]]
        if (cursor := reply.body["next_cursor"]) is None:
            break

    # Then every note comes (the first page used to end the list at the megabyte)
    assert sorted(listed) == sorted(ids)


def test_list_of_a_user_without_notes_is_empty(api: Api, user: User) -> None:
    reply = api.call("notes_list", user, query={})

    assert reply.status == 200
    assert reply.body == {"notes": [], "next_cursor": None}


@pytest.mark.parametrize("if_match", ['"abc"', '"1", "2"', '"\uff11"', "\u0661"])
def test_an_if_match_that_is_not_one_of_our_etags_is_400(api: Api, user: User, if_match: str) -> None:
    note = api.call("notes_create", user, body={"title": "t", "content": "c"}).body

    reply = api.call("notes_update", user, note_id=note["id"], body={"title": "x"}, headers={"if-match": if_match})

    assert (reply.status, reply.problem_type) == (400, "malformed-request")
    assert api.call("notes_get", user, note_id=note["id"]).body["title"] == "t"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"limit": "\u2460"},  # circled one: str.isdigit() says yes, int() refuses
        {"limit": "\u00b2"},  # superscript two, likewise
        {"limit": "\uff11"},  # fullwidth one: int() reads it, the contract's digits are ASCII
        {"limit": "9" * 5000},  # more digits than int() converts
        {"cursor": "not-a-cursor"},
        {"cursor": "e30"},
    ],
)
def test_list_refuses_bad_parameters_with_400(api: Api, user: User, query: dict[str, str]) -> None:
    reply = api.call("notes_list", user, query=query)

    assert reply.status == 400
    assert reply.problem_type == "malformed-request"


# ---------------------------------------------------------------- update
def test_update_with_the_current_version_applies(api: Api, user: User) -> None:
    note = _create(api, user, "A", "B").body

    reply = api.call("notes_update", user, note_id=note["id"], body={"content": "C"}, headers={"if-match": '"1"'})

    assert reply.status == 200
    assert (reply.body["title"], reply.body["content"], reply.body["version"]) == ("A", "C", 2)
    assert reply.headers["etag"] == '"2"'
    assert reply.body["updated_at"] >= note["updated_at"]


def test_base_version_in_the_body_works_like_if_match(api: Api, user: User) -> None:
    note = _create(api, user).body

    reply = api.call(
        "notes_update", user, note_id=note["id"], body={"title": "new", "base_version": 1}, headers={"if-match": None}
    )

    assert reply.status == 200
    assert reply.body["version"] == 2


@pytest.mark.parametrize("base_version", [True, "1", 1.5], ids=["boolean", "string", "fraction"])
def test_a_base_version_that_is_not_a_json_integer_is_422(api: Api, user: User, base_version: Any) -> None:
    note = _create(api, user).body

    reply = api.call(
        "notes_update",
        user,
        note_id=note["id"],
        body={"title": "new", "base_version": base_version},
        headers={"if-match": None},
    )

    assert (reply.status, reply.body["errors"][0]["pointer"]) == (422, "/base_version")
    assert api.call("notes_get", user, note_id=note["id"]).body["version"] == 1


def test_a_whole_number_written_with_a_fraction_is_the_integer_it_is(api: Api, user: User) -> None:
    # JSON Schema's integer (the document's) admits 1.0: a client whose JSON writes it so is understood
    note = _create(api, user).body

    reply = api.call(
        "notes_update", user, note_id=note["id"], body={"title": "new", "base_version": 1.0}, headers={"if-match": None}
    )
    pushed = api.call(
        "sync_push", user, body={"changes": [{"op": "upsert", "id": note["id"], "base_version": 2.0, "content": "c"}]}
    )

    assert (reply.status, reply.body["version"]) == (200, 2)
    assert (pushed.body["results"][0]["status"], pushed.body["results"][0]["note"]["version"]) == ("applied", 3)


def test_update_without_a_version_is_428(api: Api, user: User) -> None:
    note = _create(api, user).body

    reply = api.call("notes_update", user, note_id=note["id"], body={"title": "x"}, headers={"if-match": None})

    assert reply.status == 428
    assert reply.problem_type == "precondition-required"


def test_a_stale_edit_to_other_fields_merges(api: Api, user: User) -> None:
    # Given a note whose content another device changed (version 2)
    note = _create(api, user, "A", "B").body
    api.call("notes_update", user, note_id=note["id"], body={"content": "B2"}, headers={"if-match": '"1"'})

    # When this device changes the title, based on version 1
    reply = api.call("notes_update", user, note_id=note["id"], body={"title": "A2"}, headers={"if-match": '"1"'})

    # Then both edits are kept
    assert reply.status == 200
    assert (reply.body["title"], reply.body["content"], reply.body["version"]) == ("A2", "B2", 3)


def test_a_stale_edit_to_a_changed_field_is_412_with_the_server_copy(api: Api, user: User) -> None:
    note = _create(api, user, "A", "B").body
    api.call("notes_update", user, note_id=note["id"], body={"content": "theirs"}, headers={"if-match": '"1"'})

    reply = api.call("notes_update", user, note_id=note["id"], body={"content": "mine"}, headers={"if-match": '"1"'})

    assert reply.status == 412
    assert reply.problem_type == "version-conflict"
    assert reply.body["note"]["content"] == "theirs"
    assert reply.body["note"]["version"] == 2
    assert reply.body["conflicting_fields"] == ["content"]
    assert api.call("notes_get", user, note_id=note["id"]).body["content"] == "theirs"


def test_a_replayed_update_answers_the_same_and_changes_nothing(api: Api, user: User) -> None:
    note = _create(api, user).body
    first = api.call("notes_update", user, note_id=note["id"], body={"title": "T2"}, headers={"if-match": '"1"'})

    again = api.call("notes_update", user, note_id=note["id"], body={"title": "T2"}, headers={"if-match": '"1"'})

    assert again.status == 200
    assert again.body == first.body
    assert api.call("notes_get", user, note_id=note["id"]).body["version"] == 2


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"if-match": 'W/"1"'}, {"title": "x"}, 200),
        ({"if-match": "1"}, {"title": "x"}, 200),
        ({"if-match": '"one"'}, {"title": "x"}, 400),
        ({"if-match": '"1"'}, {"title": "x", "base_version": 2}, 400),
        ({"if-match": '"9"'}, {"title": "x"}, 412),
        ({"if-match": "*"}, {"title": "x"}, 428),
        ({"if-match": '"1"'}, {}, 422),
        ({"if-match": '"1"'}, {"title": "x", "version": 5}, 422),
    ],
    ids=["weak", "bare", "malformed", "disagreeing", "future", "star", "empty", "server-owned"],
)
def test_update_preconditions(
    api: Api, user: User, headers: dict[str, str], body: dict[str, object], status: int
) -> None:
    note = _create(api, user).body

    reply = api.call("notes_update", user, note_id=note["id"], body=body, headers=headers)

    assert reply.status == status


def test_update_of_an_unknown_or_deleted_note_is_404(api: Api, user: User) -> None:
    note = _create(api, user).body
    api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})

    for note_id in (note["id"], str(uuid.uuid4())):
        reply = api.call("notes_update", user, note_id=note_id, body={"title": "x"}, headers={"if-match": '"1"'})
        assert reply.status == 404


# ---------------------------------------------------------------- delete
def test_delete_leaves_a_purged_tombstone(api: Api, user: User) -> None:
    note = _create(api, user, "secret", "very secret").body

    reply = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})

    assert reply.status == 202
    assert (reply.body["title"], reply.body["content"], reply.body["deleted"], reply.body["version"]) == (
        "",
        "",
        True,
        2,
    )
    item = api.stack.client("dynamodb").get_item(
        TableName=api.stack.ref("NotesTable"), Key={"user_id": {"S": user.user_id}, "id": {"S": note["id"]}}
    )["Item"]
    assert "secret" not in str(item)
    assert int(item["expires_at"]["N"]) > 0
    assert "live_seq" not in item


def test_a_replayed_delete_answers_the_same(api: Api, user: User) -> None:
    note = _create(api, user).body
    first = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": '"1"'})

    again = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": '"1"'})

    assert (first.status, again.status) == (202, 202)
    assert again.body == first.body


def test_delete_based_on_a_version_before_an_edit_is_412(api: Api, user: User) -> None:
    note = _create(api, user).body
    api.call("notes_update", user, note_id=note["id"], body={"content": "edited"}, headers={"if-match": '"1"'})

    reply = api.call("notes_delete", user, note_id=note["id"], headers={"if-match": '"1"'})

    assert reply.status == 412
    assert reply.body["note"]["content"] == "edited"
    assert api.call("notes_get", user, note_id=note["id"]).status == 200


def test_delete_of_an_unknown_note_is_404(api: Api, user: User) -> None:
    assert api.call("notes_delete", user, note_id=str(uuid.uuid4()), headers={"if-match": None}).status == 404


def test_an_answer_of_one_note_stays_far_under_lambdas_limit_whatever_the_note_holds(api: Api, user: User) -> None:
    # Given the largest note there is: title and content of control characters, each 7 bytes in
    # Lambda's response payload (\\u0001)
    title, content = "\x01" * MAX_TITLE_CHARS, "\x01" * MAX_CONTENT_CHARS
    note_id = _create(api, user, title=title, content=content).body["id"]
    sizes = {"create": api.last_payload_bytes}

    # When each route answering one note answers it (a PATCH's 412 and a create's 409 carry it too)
    statuses = {"get": api.call("notes_get", user, note_id=note_id).status}
    sizes["get"] = api.last_payload_bytes
    edit = {"note_id": note_id, "body": {"trashed": True}, "headers": {"if-match": '"1"'}}
    statuses["update"] = api.call("notes_update", user, **edit).status
    sizes["update"] = api.last_payload_bytes
    stale = api.call("notes_update", user, **edit | {"body": {"trashed": False}})
    sizes["stale update"] = api.last_payload_bytes
    taken = api.call("notes_create", user, body={"id": note_id, "title": "other", "content": "other"})
    sizes["create taken"] = api.last_payload_bytes

    # Then each is the note and little more: under 1 MB, a sixth of Lambda's 6 MB
    assert statuses == {"get": 200, "update": 200}
    assert (stale.status, taken.status) == (412, 409)
    assert stale.body["note"]["content"] == taken.body["note"]["content"] == content
    assert max(sizes.values()) < 7 * (MAX_TITLE_CHARS + MAX_CONTENT_CHARS) + 2048 < LAMBDA_RESPONSE_BYTES // 6, sizes
