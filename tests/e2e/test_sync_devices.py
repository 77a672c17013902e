"""Two devices of one user syncing over HTTP against the local stack."""

import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Client
from tests.support.local_process import LocalProcess


class DeviceClient:
    """A device: its own cursor, pushing and pulling over HTTP with the user's token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token
        self.cursor: str | None = None
        self.notes: dict[str, dict[str, Any]] = {}

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.client.request("POST", "/v1/sync", token=self.token, json={"changes": list(changes)})
        assert reply.status_code == 200, reply.text
        results: list[dict[str, Any]] = reply.json()["results"]
        for result in results:
            if "note" in result:
                self.notes[result["id"]] = result["note"]
        return results

    def pull(self) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            params: dict[str, str] = {"cursor": self.cursor} if self.cursor else {}
            reply = self.client.request("GET", "/v1/sync", token=self.token, params=params)
            assert reply.status_code == 200, reply.text
            page = reply.json()
            changes += page["changes"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                break
        self.notes.update({change["id"]: change for change in changes})
        return changes


@pytest.fixture
def devices(client: Client) -> tuple[DeviceClient, DeviceClient]:
    user = client.sign_up_and_in()
    return DeviceClient(client, user["access_token"]), DeviceClient(client, user["access_token"])


def test_two_devices_converge_through_a_conflict_and_its_resolution(
    devices: tuple[DeviceClient, DeviceClient],
) -> None:
    phone, laptop = devices
    note_id = str(uuid.uuid4())

    # Given a note written on the phone and pulled by the laptop
    phone.push({"op": "upsert", "id": note_id, "base_version": None, "title": "Plan", "content": "draft"})
    laptop.pull()
    assert laptop.notes[note_id]["content"] == "draft"

    # When both edit it offline: the laptop the title, then both the content
    (title_edit,) = laptop.push({"op": "upsert", "id": note_id, "base_version": 1, "title": "Plan B"})
    (phone_edit,) = phone.push({"op": "upsert", "id": note_id, "base_version": 1, "content": "phone's"})
    (laptop_edit,) = laptop.push({"op": "upsert", "id": note_id, "base_version": 2, "content": "laptop's"})

    # Then the disjoint edits merged, and the late one is a conflict with the server's copy
    assert title_edit["status"] == "applied"
    assert phone_edit["status"] == "applied"
    assert phone_edit["note"] == {**phone_edit["note"], "title": "Plan B", "content": "phone's", "version": 3}
    assert laptop_edit["status"] == "conflict"
    assert laptop_edit["note"]["content"] == "phone's"

    # When the laptop resolves it on top of the server's version
    (resolved,) = laptop.push({"op": "upsert", "id": note_id, "base_version": 3, "content": "phone's + laptop's"})

    # Then both devices end with the same note
    phone.pull()
    laptop.pull()
    assert resolved["status"] == "applied"
    assert phone.notes[note_id] == laptop.notes[note_id]
    assert phone.notes[note_id]["content"] == "phone's + laptop's"


def test_a_replayed_push_applies_once(devices: tuple[DeviceClient, DeviceClient]) -> None:
    phone, laptop = devices
    change = {"op": "upsert", "id": str(uuid.uuid4()), "base_version": None, "title": "once", "content": "only"}

    first = phone.push(change)
    again = phone.push(change)
    changes = laptop.pull()

    assert first == again
    assert [(c["id"], c["version"]) for c in changes] == [(change["id"], 1)]


def test_a_deletion_reaches_the_other_device_as_a_tombstone(devices: tuple[DeviceClient, DeviceClient]) -> None:
    phone, laptop = devices
    note_id = str(uuid.uuid4())
    phone.push({"op": "upsert", "id": note_id, "base_version": None, "title": "t", "content": "c"})
    laptop.pull()

    phone.push({"op": "delete", "id": note_id, "base_version": 1})
    changes = laptop.pull()

    assert [(c["id"], c["deleted"], c["title"], c["content"]) for c in changes] == [(note_id, True, "", "")]


def test_a_cursor_older_than_the_retention_gets_410() -> None:
    # Given a stack that keeps tombstones for about three seconds
    stack = LocalProcess(environment={"TOMBSTONE_RETENTION_DAYS": "0.00003"})
    try:
        client = Client(stack.base_url, requests.Session())
        device = DeviceClient(client, client.sign_up_and_in()["access_token"])
        device.pull()

        # When the device comes back with its cursor after the retention
        time.sleep(3.5)
        reply = client.request("GET", "/v1/sync", token=device.token, params={"cursor": device.cursor})

        # Then it is told to resync from the beginning
        assert reply.status_code == 410
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["type"].endswith("/resync-required")
        assert client.request("GET", "/v1/sync", token=device.token).status_code == 200
    finally:
        stack.stop()
