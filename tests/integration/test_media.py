"""Images on notes: upload slots, presigned POST policies, the media-events worker's checks,
removal, expiry of abandoned uploads, the profile photo and download links."""

import base64
import json
import threading
import time
import uuid
from typing import Any

import msgspec
import pytest
import requests

from notes_core.data import cdn, queues, storage
from notes_core.usecases import media, media_events
from notes_core.usecases.media import RESERVATION_EXPIRY
from tests.support.api import Api, Reply, User
from tests.support.calls import counting
from tests.support.media import GIF89A_THEN_SCRIPT, IMAGES, PNG, PNG_HEADER_THEN_HTML, Workers, post_upload

MIB = 1024 * 1024


@pytest.fixture
def note(api: Api, user: User) -> dict[str, Any]:
    body: dict[str, Any] = api.call("notes_create", user, body={"title": "trip", "content": "photos"}).body
    return body


def _request(api: Api, user: User, note_id: str, content_type: str = "image/png", size: int = len(PNG)) -> Reply:
    return api.call("media_request_upload", user, note_id=note_id, body={"content_type": content_type, "size": size})


def _media(api: Api, user: User, note_id: str, media_id: str) -> dict[str, Any]:
    reply = api.call("media_get", user, note_id=note_id, media_id=media_id)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def _objects(api: Api, prefix: str) -> list[str]:
    listed = api.stack.client("s3").list_objects_v2(Bucket=api.stack.ref("MediaBucket"), Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def _decoded_policy(upload: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(upload["fields"]["policy"]))
    return policy


# ---------------------------------------------------------------- the upload request
def test_the_presigned_post_pins_key_type_and_size_and_expires_within_15_minutes(
    api: Api, user: User, note: dict[str, Any]
) -> None:
    reply = _request(api, user, note["id"], "image/jpeg", 123_456)

    assert reply.status == 201
    assert reply.body["status"] == "pending"
    upload = reply.body["upload"]
    policy = _decoded_policy(upload)
    key = f"media/{user.user_id}/{note['id']}/{reply.body['media_id']}"
    conditions = policy["conditions"]
    assert {"key": key} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 123_456] in conditions
    assert {"bucket": api.stack.ref("MediaBucket")} in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)  # nothing left open
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "image/jpeg"
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4
    expiration = time.mktime(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 0 < expiration - time.time() <= 15 * 60
    assert reply.body["expires_at"] == policy["expiration"]


@pytest.mark.parametrize("content_type", ["image/svg+xml", "text/plain", "image/bmp", "application/pdf"])
def test_other_types_are_415(api: Api, user: User, note: dict[str, Any], content_type: str) -> None:
    assert _request(api, user, note["id"], content_type).status == 415


def test_a_declared_size_over_10_mib_is_413_and_10_mib_fits(api: Api, user: User, note: dict[str, Any]) -> None:
    assert _request(api, user, note["id"], size=10 * MIB + 1).status == 413
    assert _request(api, user, note["id"], size=10 * MIB).status == 201


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "image/png"},
        {"content_type": "image/png", "size": 0},
        {"size": 5},
        {"content_type": "image/png", "size": "5"},
        {"content_type": "image/png", "size": True},
        {"content_type": "image/png", "size": 5.5},
    ],
)
def test_incomplete_requests_are_422(api: Api, user: User, note: dict[str, Any], body: dict[str, Any]) -> None:
    assert api.call("media_request_upload", user, note_id=note["id"], body=body).status == 422


def test_unknown_and_deleted_notes_are_404(api: Api, user: User, note: dict[str, Any]) -> None:
    assert _request(api, user, str(uuid.uuid4())).status == 404
    api.call("notes_delete", user, note_id=note["id"], headers={"if-match": None})
    assert _request(api, user, note["id"]).status == 404


def test_a_sixth_image_is_409(api: Api, user: User, note: dict[str, Any]) -> None:
    statuses = [_request(api, user, note["id"]).status for _ in range(6)]

    assert statuses == [201] * 5 + [409]
    assert _request(api, user, note["id"]).body["type"].endswith("/media-limit")


def test_six_racing_requests_get_exactly_five_slots(api: Api, user: User, note: dict[str, Any]) -> None:
    # Given a note without images, when six requests race for slots
    statuses: list[int] = []
    start = threading.Barrier(6)

    def request() -> None:
        start.wait()
        statuses.append(_request(api, user, note["id"]).status)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly five win and the note lists five
    assert sorted(statuses) == [201] * 5 + [409]
    assert len(api.call("notes_get", user, note_id=note["id"]).body["media"]) == 5


# ---------------------------------------------------------------- slots the client names
def _slot(api: Api, user: User, note_id: str, media_id: str, content_type: str = "image/png", size: int = 70) -> Reply:
    body = {"content_type": content_type, "size": size, "media_id": media_id}
    return api.call("media_request_upload", user, note_id=note_id, body=body)


def test_asking_again_for_a_named_slot_answers_the_same_slot_with_a_fresh_form(
    api: Api, user: User, note: dict[str, Any]
) -> None:
    # Given a slot the client named, asked for once (the answer lost, say)
    media_id = str(uuid.uuid4())
    first = _slot(api, user, note["id"], media_id)

    # When the same request is sent again, six times
    again = [_slot(api, user, note["id"], media_id) for _ in range(6)]

    # Then the first took the place (201) and every retry answers that slot (200) with a form for
    # its key, and the note holds one image, not seven: the five places are not used up
    assert first.status == 201
    assert {(reply.status, reply.body["media_id"], reply.body["status"]) for reply in again} == {
        (200, media_id, "pending")
    }
    assert {reply.body["upload"]["fields"]["key"] for reply in [first, *again]} == {
        f"media/{user.user_id}/{note['id']}/{media_id}"
    }
    listed = api.call("notes_get", user, note_id=note["id"]).body["media"]
    assert [item["media_id"] for item in listed] == [media_id]
    assert all(_request(api, user, note["id"]).status == 201 for _ in range(4))


def test_a_named_slot_once_checked_is_answered_as_it_stands_without_a_form(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    # Given a named slot whose upload was checked and accepted
    media_id = str(uuid.uuid4())
    first = _slot(api, user, note["id"], media_id, size=len(PNG))
    assert post_upload(first.body["upload"], PNG) == 204
    workers.drain()

    # When the same request comes again
    again = _slot(api, user, note["id"], media_id, size=len(PNG))

    # Then it answers the ready image, with no new form to upload over it
    assert (again.status, again.body["status"], again.body["upload"], again.body["expires_at"]) == (
        200,
        "ready",
        None,
        None,
    )


@pytest.mark.parametrize(("content_type", "size"), [("image/jpeg", 70), ("image/png", 71)])
def test_a_named_slot_asked_for_with_other_values_is_409(
    api: Api, user: User, note: dict[str, Any], content_type: str, size: int
) -> None:
    media_id = str(uuid.uuid4())
    assert _slot(api, user, note["id"], media_id).status == 201

    reply = _slot(api, user, note["id"], media_id, content_type, size)

    assert reply.status == 409
    assert reply.problem_type == "already-exists"


# ---------------------------------------------------------------- the worker's checks
@pytest.mark.parametrize("content_type", sorted(IMAGES))
def test_an_upload_of_the_declared_type_becomes_ready_and_downloads(
    api: Api, workers: Workers, user: User, note: dict[str, Any], content_type: str
) -> None:
    data = IMAGES[content_type]
    reply = _request(api, user, note["id"], content_type, len(data))

    assert post_upload(reply.body["upload"], data) == 204
    workers.drain()

    found = _media(api, user, note["id"], reply.body["media_id"])
    assert found["status"] == "ready"
    assert requests.get(found["url"], timeout=10).content == data
    assert found["url_expires_at"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    listed = api.call("notes_get", user, note_id=note["id"]).body["media"]
    assert listed == [
        {"media_id": reply.body["media_id"], "status": "ready", "content_type": content_type, "size": len(data)}
    ]


def test_a_ready_image_has_the_size_of_what_was_uploaded(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    # Given a slot declared larger than the file (the policy allows up to the declared size)
    reply = _request(api, user, note["id"], "image/png", size=len(PNG) + 1000)

    # When the file is uploaded and checked
    assert post_upload(reply.body["upload"], PNG) == 204
    workers.drain()

    # Then the image is ready with the size of the object, everywhere it is shown
    assert _media(api, user, note["id"], reply.body["media_id"])["size"] == len(PNG)
    assert api.call("notes_get", user, note_id=note["id"]).body["media"][0]["size"] == len(PNG)


@pytest.mark.parametrize(
    ("declared", "data", "posted_type", "declared_size"),
    [
        ("image/png", b"GIF89a" + b"\x00" * 60, None, None),  # bytes of another type
        ("image/jpeg", b"<svg xmlns='http://www.w3.org/2000/svg'/>" + b" " * 30, None, None),
        ("image/png", PNG + b"\x00" * 100, None, len(PNG)),  # larger than declared (moto ignores the policy)
        ("image/png", PNG, "image/gif", None),  # stored with another content type
        ("image/png", PNG_HEADER_THEN_HTML, None, None),
        ("image/gif", GIF89A_THEN_SCRIPT, None, None),
        ("image/png", IMAGES["image/jpeg"], None, None),  # a real JPEG declared (and posted) as PNG
        ("image/webp", IMAGES["image/webp"][:-1], None, None),  # truncated
    ],
    ids=[
        "wrong-magic",
        "svg-as-jpeg",
        "too-large",
        "other-content-type",
        "png-header-then-html",
        "gif89a-then-script",
        "jpeg-as-png",
        "truncated-webp",
    ],
)
def test_an_upload_that_is_not_what_was_declared_is_rejected_and_deleted(
    api: Api,
    workers: Workers,
    user: User,
    note: dict[str, Any],
    declared: str,
    data: bytes,
    posted_type: str | None,
    declared_size: int | None,
) -> None:
    # Given a slot for an image of the declared type and size
    reply = _request(api, user, note["id"], declared, declared_size or len(data))

    # When the client posts something else to it and the worker checks the object
    post_upload(reply.body["upload"], data, posted_type)
    workers.drain()

    # Then the image is rejected and the object deleted
    found = _media(api, user, note["id"], reply.body["media_id"])
    assert found["status"] == "rejected"
    assert "url" not in found or found["url"] is None
    assert _objects(api, f"media/{user.user_id}/{note['id']}/") == []


def test_an_object_replaced_while_the_worker_checks_it_is_left_to_its_own_event(
    api: Api, workers: Workers, user: User, note: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an upload of a hostile file, replaced by a real image just after the worker looked at
    # it (its HEAD), before it read it
    jpeg = IMAGES["image/jpeg"]
    reply = _request(api, user, note["id"], "image/jpeg", len(jpeg))
    key = f"media/{user.user_id}/{note['id']}/{reply.body['media_id']}"
    post_upload(reply.body["upload"], b"\xff\xd8\xff<html><script>alert(1)</script></html>")
    looked = storage.head

    def head_then_replace(looked_at: str) -> storage.StoredObject | None:
        stored = looked(looked_at)
        monkeypatch.setattr(storage, "head", looked)  # once
        post_upload(reply.body["upload"], jpeg)
        return stored

    monkeypatch.setattr(storage, "head", head_then_replace)

    # When the worker handles both objects' events
    workers.drain()

    # Then the first check read nothing of another object: the image is the replacement, ready
    found = _media(api, user, note["id"], reply.body["media_id"])
    assert found["status"] == "ready"
    assert found["size"] == len(jpeg)
    assert requests.get(found["url"], timeout=10).content == jpeg
    assert _objects(api, f"media/{user.user_id}/{note['id']}/") == [key]


def test_ready_and_rejected_are_changes_in_the_sync_feed(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    cursor = api.call("sync_pull", user, query={}).body["cursor"]
    good, bad = _request(api, user, note["id"]), _request(api, user, note["id"])
    post_upload(good.body["upload"], PNG)
    post_upload(bad.body["upload"], b"nope" * 20)
    workers.drain()

    changes = api.call("sync_pull", user, query={"cursor": cursor}).body["changes"]

    assert changes[-1]["id"] == note["id"]
    assert {m["media_id"]: m["status"] for m in changes[-1]["media"]} == {
        good.body["media_id"]: "ready",
        bad.body["media_id"]: "rejected",
    }


def _created_event(bucket: str, key: str) -> dict[str, Any]:
    return {
        "Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]
    }


def test_a_redelivered_event_has_no_second_effect(api: Api, workers: Workers, user: User, note: dict[str, Any]) -> None:
    reply = _request(api, user, note["id"])
    post_upload(reply.body["upload"], PNG)
    workers.drain()
    before = api.call("notes_get", user, note_id=note["id"]).body

    key = f"media/{user.user_id}/{note['id']}/{reply.body['media_id']}"
    media_events.handle(_created_event(api.stack.ref("MediaBucket"), key))

    assert api.call("notes_get", user, note_id=note["id"]).body == before
    assert _objects(api, key) == [key]


def test_another_object_posted_over_an_accepted_image_is_checked_again(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    reply = _request(api, user, note["id"])
    post_upload(reply.body["upload"], PNG)
    workers.drain()

    post_upload(reply.body["upload"], b"not-an-image" * 5)  # the link is still valid
    workers.drain()

    assert _media(api, user, note["id"], reply.body["media_id"])["status"] == "rejected"


def test_objects_without_a_reservation_are_deleted_and_foreign_keys_ignored(api: Api, user: User) -> None:
    s3, bucket = api.stack.client("s3"), api.stack.ref("MediaBucket")
    stray = f"media/{user.user_id}/{uuid.uuid4()}/{uuid.uuid4()}"
    foreign = "exports/report 2026+final.csv"
    for key in (stray, foreign):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    media_events.handle(_created_event(bucket, stray))
    media_events.handle(_created_event(bucket, "exports/report+2026%2Bfinal.csv"))  # URL-encoded, as S3 sends
    media_events.handle({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket})

    assert _objects(api, stray) == []
    assert _objects(api, "exports/") == [foreign]


# ---------------------------------------------------------------- removal and expiry
def test_delete_removes_the_image_at_once_and_its_object_soon_after(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    reply = _request(api, user, note["id"])
    post_upload(reply.body["upload"], PNG)
    workers.drain()
    cursor = api.call("sync_pull", user, query={}).body["cursor"]

    deleted = api.call("media_delete", user, note_id=note["id"], media_id=reply.body["media_id"])

    assert deleted.status == 202
    assert api.call("notes_get", user, note_id=note["id"]).body["media"] == []
    assert [c["media"] for c in api.call("sync_pull", user, query={"cursor": cursor}).body["changes"]] == [[]]
    assert api.call("media_get", user, note_id=note["id"], media_id=reply.body["media_id"]).status == 404
    workers.drain()
    assert _objects(api, f"media/{user.user_id}/") == []


def test_deleting_an_unknown_image_is_404(api: Api, user: User, note: dict[str, Any]) -> None:
    assert api.call("media_delete", user, note_id=note["id"], media_id=str(uuid.uuid4())).status == 404


@pytest.fixture
def short_uploads(monkeypatch: pytest.MonkeyPatch) -> int:
    """Upload links of one second (reservations of two), as UPLOAD_URL_TTL_SECONDS=1 would give."""
    short = msgspec.structs.replace(media._settings, upload_url_ttl_seconds=1)
    for module in (media, media_events):
        monkeypatch.setattr(module, "_settings", short)
    seconds: int = short.reservation_seconds
    return seconds


def test_an_abandoned_reservation_stops_counting_then_is_removed_with_any_late_object(
    api: Api, workers: Workers, user: User, note: dict[str, Any], short_uploads: int
) -> None:
    # Given five reservations whose uploads never came, and one that came too late
    reservations = [_request(api, user, note["id"]) for _ in range(5)]
    time.sleep(short_uploads + 1)
    late_key = f"media/{user.user_id}/{note['id']}/{reservations[0].body['media_id']}"
    api.stack.client("s3").put_object(
        Bucket=api.stack.ref("MediaBucket"), Key=late_key, Body=PNG, ContentType="image/png"
    )

    # When another image is asked for, and the expiry messages are delivered
    another = _request(api, user, note["id"])
    time.sleep(short_uploads + 1)
    workers.drain()

    # Then the expired ones did not count, and every trace of them is gone
    assert another.status == 201
    assert api.call("notes_get", user, note_id=note["id"]).body["media"] == []
    assert _objects(api, f"media/{user.user_id}/") == []


def test_an_expiry_message_that_comes_before_its_reservation_ends_is_put_back_for_the_rest(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    # Given a reservation of the full upload lifetime, which outlasts the longest delay SQS allows
    reply = _request(api, user, note["id"])
    expiry = {"type": RESERVATION_EXPIRY, "user_id": user.user_id, "note_id": note["id"]}
    expiry["media_id"] = reply.body["media_id"]

    # When its expiry message is delivered while the reservation still runs
    api.stack.client("sqs").send_message(QueueUrl=api.stack.ref("MediaEventsQueue"), MessageBody=json.dumps(expiry))
    with counting(queues._sqs()) as calls:
        workers.drain()

    # Then the reservation stands, and the message went back on the queue to come again later
    assert _media(api, user, note["id"], reply.body["media_id"])["status"] == "pending"
    assert calls.operations == {"SendMessage": 1}


# ---------------------------------------------------------------- isolation
def test_every_media_route_on_another_users_note_is_404(
    api: Api, workers: Workers, user: User, note: dict[str, Any]
) -> None:
    reply = _request(api, user, note["id"])
    post_upload(reply.body["upload"], PNG)
    workers.drain()
    intruder = api.new_user()

    answers = [
        _request(api, intruder, note["id"]).status,
        api.call("media_get", intruder, note_id=note["id"], media_id=reply.body["media_id"]).status,
        api.call("media_delete", intruder, note_id=note["id"], media_id=reply.body["media_id"]).status,
    ]
    workers.drain()

    assert answers == [404, 404, 404]
    assert _media(api, user, note["id"], reply.body["media_id"])["status"] == "ready"
    assert len(_objects(api, f"media/{user.user_id}/{note['id']}/")) == 1


# ---------------------------------------------------------------- the profile photo
def test_a_profile_photo_upload_shows_in_the_account(api: Api, workers: Workers, user: User) -> None:
    reply = api.call("account_photo", user, body={"content_type": "image/png", "size": len(PNG)})
    assert reply.status == 201
    assert {"key": f"photos/{user.user_id}/profile"} in _decoded_policy(reply.body["upload"])["conditions"]

    post_upload(reply.body["upload"], PNG)
    workers.drain()

    account = api.as_user("account_get", user).body
    assert requests.get(account["photo_url"], timeout=10).content == PNG


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/jpeg", b"definitely not a jpeg" * 3),
        ("image/png", PNG_HEADER_THEN_HTML),
        ("image/gif", GIF89A_THEN_SCRIPT),
    ],
    ids=["not-a-jpeg", "png-header-then-html", "gif89a-then-script"],
)
def test_a_bad_profile_photo_is_deleted(api: Api, workers: Workers, user: User, content_type: str, data: bytes) -> None:
    reply = api.call("account_photo", user, body={"content_type": content_type, "size": len(data)})

    post_upload(reply.body["upload"], data)
    workers.drain()

    assert api.as_user("account_get", user).body["photo_url"] is None
    assert _objects(api, f"photos/{user.user_id}/") == []


def test_the_account_a_name_change_answers_links_the_profile_photo(api: Api, workers: Workers, user: User) -> None:
    # Given a user whose profile photo was accepted
    reply = api.call("account_photo", user, body={"content_type": "image/png", "size": len(PNG)})
    post_upload(reply.body["upload"], PNG)
    workers.drain()

    # When they change their full name
    updated = api.call("account_update", user, body={"full_name": "Renamed"})

    # Then the account it answers links the photo
    assert updated.status == 200
    assert requests.get(updated.body["photo_url"], timeout=10).content == PNG


# ---------------------------------------------------------------- CloudFront signed URLs
def test_with_a_cdn_key_download_links_are_cloudfront_signed_urls(
    api: Api, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rsa

    public_key, private_key = rsa.newkeys(1024)
    api.stack.client("ssm").put_parameter(
        Name="notes-sync-test-cdn-key", Value=private_key.save_pkcs1().decode(), Type="SecureString", Overwrite=True
    )
    configured = msgspec.structs.replace(
        cdn._settings,
        cdn_domain="d111.cloudfront.net",
        cdn_key_pair_id="K2EXAMPLE",
        cdn_private_key_parameter="notes-sync-test-cdn-key",
    )
    monkeypatch.setattr(cdn, "_settings", configured)
    cdn._cloudfront_signer.cache_clear()

    url, expires_at = cdn.download_link("media/u/n/m")
    assert expires_at > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cdn._cloudfront_signer.cache_clear()

    base, query = url.split("?")
    parameters = dict(part.split("=", 1) for part in query.split("&"))
    assert base == "https://d111.cloudfront.net/media/u/n/m"
    assert parameters["Key-Pair-Id"] == "K2EXAMPLE"
    policy = json.dumps(
        {
            "Statement": [
                {"Resource": base, "Condition": {"DateLessThan": {"AWS:EpochTime": int(parameters["Expires"])}}}
            ]
        },
        separators=(",", ":"),
    )
    signature = base64.b64decode(parameters["Signature"].replace("-", "+").replace("_", "=").replace("~", "/"))
    assert rsa.verify(policy.encode(), signature, public_key) == "SHA-1"
