"""Images over HTTP on the local stack: upload straight to the (moto) bucket with the presigned
POST, the worker checks it within seconds, the download link returns the same bytes."""

import threading
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess
from tests.support.media import GIF89A_THEN_SCRIPT, PNG, PNG_HEADER_THEN_HTML, post_upload


@pytest.fixture
def owner(client: Client) -> tuple[str, str]:
    """A user's token and one of the user's notes."""
    token = client.sign_up_and_in()["access_token"]
    note = client.request("POST", "/v1/notes", token=token, json={"title": "trip", "content": "pics"}).json()
    return token, note["id"]


def _wait_for(client: Client, token: str, path: str, status: str, seconds: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        found: dict[str, Any] = client.request("GET", path, token=token).json()
        if found.get("status") == status or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _request(
    client: Client, token: str, note_id: str, content_type: str = "image/png", size: int = len(PNG)
) -> requests.Response:
    return client.request(
        "POST", f"/v1/notes/{note_id}/media", token=token, json={"content_type": content_type, "size": size}
    )


def test_an_uploaded_image_becomes_ready_and_downloads_the_same_bytes(client: Client, owner: tuple[str, str]) -> None:
    token, note_id = owner

    reply = _request(client, token, note_id)
    posted = post_upload(reply.json()["upload"], PNG)
    found = _wait_for(client, token, f"/v1/notes/{note_id}/media/{reply.json()['media_id']}", "ready")

    assert reply.status_code == 201
    assert posted == 204
    assert found["status"] == "ready"
    assert requests.get(found["url"], timeout=10).content == PNG
    note = client.request("GET", f"/v1/notes/{note_id}", token=token).json()
    assert [m["status"] for m in note["media"]] == ["ready"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/jpeg", b"%PDF-1.7 not a jpeg" * 3),
        ("image/png", PNG_HEADER_THEN_HTML),
        ("image/gif", GIF89A_THEN_SCRIPT),
    ],
    ids=["pdf-as-jpeg", "png-header-then-html", "gif89a-then-script"],
)
def test_a_file_that_is_not_the_declared_type_ends_rejected_and_deleted(
    client: Client, owner: tuple[str, str], local_stack: LocalProcess, content_type: str, data: bytes
) -> None:
    token, note_id = owner

    reply = _request(client, token, note_id, content_type, len(data))
    post_upload(reply.json()["upload"], data)
    found = _wait_for(client, token, f"/v1/notes/{note_id}/media/{reply.json()['media_id']}", "rejected")

    assert found["status"] == "rejected"
    s3 = local_stack.aws("s3")
    bucket = reply.json()["upload"]["url"].rstrip("/").rsplit("/", 1)[-1]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=reply.json()["upload"]["fields"]["key"])
    assert listed.get("KeyCount", 0) == 0


def test_a_declared_size_over_the_limit_is_413(client: Client, owner: tuple[str, str]) -> None:
    token, note_id = owner

    assert _request(client, token, note_id, size=10 * 1024 * 1024 + 1).status_code == 413


def test_six_racing_requests_get_five_slots(client: Client, owner: tuple[str, str]) -> None:
    token, note_id = owner
    statuses: list[int] = []
    start = threading.Barrier(6)

    def request() -> None:
        session = Client(client.base_url, requests.Session())
        start.wait()
        statuses.append(_request(session, token, note_id).status_code)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] * 5 + [409]


def test_every_media_route_on_another_users_note_is_404(client: Client, owner: tuple[str, str]) -> None:
    token, note_id = owner
    media_id = _request(client, token, note_id).json()["media_id"]
    intruder = client.sign_up_and_in()["access_token"]

    answers = [
        _request(client, intruder, note_id).status_code,
        client.request("GET", f"/v1/notes/{note_id}/media/{media_id}", token=intruder).status_code,
        client.request("DELETE", f"/v1/notes/{note_id}/media/{media_id}", token=intruder).status_code,
        _request(client, intruder, str(uuid.uuid4())).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert client.request("GET", f"/v1/notes/{note_id}/media/{media_id}", token=token).status_code == 200


def test_a_profile_photo_shows_in_the_account(client: Client) -> None:
    token = client.sign_up_and_in()["access_token"]

    reply = client.request(
        "POST", "/v1/account/photo", token=token, json={"content_type": "image/png", "size": len(PNG)}
    )
    post_upload(reply.json()["upload"], PNG)
    deadline = time.monotonic() + 15
    while (account := client.request("GET", "/v1/account", token=token).json())["photo_url"] is None:
        assert time.monotonic() < deadline, "the photo never became the account's"
        time.sleep(0.2)

    assert reply.status_code == 201
    assert requests.get(account["photo_url"], timeout=10).content == PNG
