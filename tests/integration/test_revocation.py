"""A token issued before the user's last sign-out changes nothing, on any route that writes: every
authorized route of template.yaml but GET ones, so a route added later cannot skip the check."""

import uuid
from dataclasses import dataclass

import pytest

from local import template as tpl
from notes_core.data import table
from notes_core.domain import errors
from notes_core.domain.note import Note
from tests.support import events, stored
from tests.support.api import PASSWORD, Api, User
from tests.support.calls import counting
from tests.support.media import PNG, Workers, post_upload
from tests.support.tokens import claims_of

TEMPLATE = tpl.load()
WRITE_ROUTES = [route for route in tpl.routes(TEMPLATE) if not route.public and route.method != "GET"]


@dataclass(frozen=True)
class SignedOut:
    """A user with a note, a ready image on it and a profile photo, who signed out and back in."""

    stale: User  # signed in before the sign-out
    fresh: User  # signed in after it
    note_id: str
    media_id: str


def _sign_in(api: Api, user: User) -> User:
    tokens = api.post("auth_sign_in", {"email": user.email, "password": PASSWORD}).body
    access = tokens["access_token"]
    return User(user.email, PASSWORD, user.user_id, access, tokens["refresh_token"], claims_of(access))


@pytest.fixture
def signed_out(api: Api, workers: Workers) -> SignedOut:
    user = api.new_user()
    note = api.call("notes_create", user, body={"title": "t", "content": "c"}).body
    upload = api.call(
        "media_request_upload", user, note_id=note["id"], body={"content_type": "image/png", "size": len(PNG)}
    ).body
    assert post_upload(upload["upload"], PNG) == 204
    photo = api.call("account_photo", user, body={"content_type": "image/png", "size": len(PNG)}).body
    assert post_upload(photo["upload"], PNG) == 204
    workers.drain()
    assert api.as_user("auth_sign_out", user).status == 204
    return SignedOut(user, _sign_in(api, user), note["id"], upload["media_id"])


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=lambda route: route.route_key)
def test_a_token_from_before_the_last_sign_out_changes_nothing(
    api: Api, workers: Workers, signed_out: SignedOut, route: tpl.Route
) -> None:
    # Given the route's own example request, about the user's note and image, with the stale token
    name = stored.fixture_name(TEMPLATE, route)
    fixture = events.fixture(name)
    parameters = set(fixture.get("pathParameters") or {})
    # A version stays the fixture's 1: the first version of every note, a revision it keeps.
    assert parameters <= {"id", "media_id", "version", "device_id"}, f"teach this test the parameters of {route.path}"
    assert (fixture.get("pathParameters") or {}).get("version", "1") == "1"
    event = events.as_caller(fixture, signed_out.stale.access_token, signed_out.stale.claims)
    event = events.customised(
        event,
        note_id=signed_out.note_id if "id" in parameters else None,
        media_id=signed_out.media_id if "media_id" in parameters else None,
    )
    before = stored.everything_of(api.stack, signed_out.stale.user_id)

    # When the request is made (and whatever it queued has been worked off)
    reply = api.invoke(name, event)
    workers.drain()

    # Then it is refused as a token from before the sign-out, and nothing stored changed: not even
    # the refresh tokens of the session that came after
    assert (reply.status, reply.body["detail"]) == (401, errors.TokenRefused().detail)
    assert stored.everything_of(api.stack, signed_out.stale.user_id) == before
    assert api.post("auth_refresh", {"refresh_token": signed_out.fresh.refresh_token}).status == 200


def test_a_token_from_a_new_sign_in_writes_again(api: Api, signed_out: SignedOut) -> None:
    # Given the user's note, read with the token of the sign-in after the sign-out
    note = api.call("notes_get", signed_out.fresh, note_id=signed_out.note_id).body

    # When that token writes
    reply = api.call(
        "notes_update",
        signed_out.fresh,
        note_id=signed_out.note_id,
        body={"title": "x"},
        headers={"if-match": f'"{note["version"]}"'},
    )

    # Then the write is accepted
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
