"""Writes refuse tokens issued before a sign-out, inside the transaction they already make."""

import uuid

import pytest

from notes_core import table
from notes_core.note import Note
from tests.support.api import PASSWORD, Api, User
from tests.support.calls import counting
from tests.support.tokens import claims_of


@pytest.fixture
def signed_out(api: Api) -> tuple[User, str]:
    """A user with a note who then signed out; the user's old token is kept."""
    user = api.new_user()
    note = api.call("notes_create", user, body={"title": "t", "content": "c"}).body
    assert api.as_user("auth_sign_out", user).status == 204
    return user, note["id"]


def test_every_write_with_a_token_from_before_sign_out_is_401(api: Api, signed_out: tuple[User, str]) -> None:
    user, note_id = signed_out

    replies = {
        "create": api.call("notes_create", user, body={"title": "t", "content": "c"}),
        "update": api.call("notes_update", user, note_id=note_id, body={"title": "x"}, headers={"if-match": '"1"'}),
        "delete": api.call("notes_delete", user, note_id=note_id, headers={"if-match": None}),
        "batch": api.call("notes_batch", user, body={"create": [{"title": "t", "content": "c"}]}),
        "push": api.call("sync_push", user, body={"changes": [{"op": "delete", "id": note_id, "base_version": None}]}),
    }

    assert {name: reply.status for name, reply in replies.items()} == dict.fromkeys(replies, 401)
    assert api.call("notes_get", user, note_id=note_id).body["version"] == 1  # reads still work until expiry


def test_a_token_from_a_new_sign_in_writes_again(api: Api, signed_out: tuple[User, str]) -> None:
    user, note_id = signed_out
    tokens = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).body
    access = tokens["access_token"]
    fresh = User(user.email, PASSWORD, user.user_id, access, tokens["refresh_token"], claims_of(access))

    reply = api.call("notes_update", fresh, note_id=note_id, body={"title": "x"}, headers={"if-match": '"1"'})

    assert reply.status == 200


def test_the_check_is_inside_the_transaction_and_costs_no_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a user whose token is accepted when the write reads the counter item...
    user = api.new_user()
    original_read = table.read_for_write

    def read_then_sign_out(user_id: str, note_ids: list[str]) -> tuple[table.UserCounter, dict[str, Note]]:
        counter, notes = original_read(user_id, note_ids)
        table.record_sign_out(user_id, int(user.claims["iat"]) + 1)  # ...and who signs out just after
        return counter, notes

    monkeypatch.setattr(table, "read_for_write", read_then_sign_out)
    with counting(table._dynamodb()) as calls:
        reply = api.call("notes_create", user, body={"id": str(uuid.uuid4()), "title": "t", "content": "c"})

    # Then the transaction itself refuses the write, and no request was added for the check
    assert reply.status == 401
    assert calls.operations["TransactWriteItems"] == 1
    assert calls.operations["GetItem"] == 0
    assert api.call("notes_list", user, query={}).body["notes"] == []
