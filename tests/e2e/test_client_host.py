"""A phone or an emulator follows the links the local stack hands out: the stack listens on HOST,
and every upload and download URL names the host the client used (or PUBLIC_HOST)."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local import template as tpl
from tests.e2e.conftest import Client
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess, free_port
from tests.support.media import PNG
from tests.support.waiting import until


def _can_listen_on(address: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def other_loopback_stack() -> Iterator[LocalProcess]:
    """A stack started with HOST=127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback; macOS only
    127.0.0.1 unless an alias is added)."""
    if not _can_listen_on("127.0.0.2"):
        pytest.skip("127.0.0.2 is not an address of this machine")
    stack = LocalProcess(SHARED_SOURCE_LIMITS, host="127.0.0.2")
    yield stack
    stack.stop()


def _follow(url: str, reach: str | None) -> tuple[str, dict[str, str]]:
    """`url` and the headers to request it with, connecting to `reach` (host:port) rather than to
    the host the URL names, as the emulator's router turns 10.0.2.2 into the machine's 127.0.0.1:
    the request still names the URL's host."""
    parts = urlsplit(url)
    if reach is None:
        return url, {}
    return parts._replace(netloc=reach).geturl(), {"host": parts.netloc}


def _image_round_trip(
    client: Client, headers: dict[str, str] | None = None, reach: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """A new user's image, uploaded through the presigned POST and downloaded through its link:
    the upload slot, the ready media item, and the bytes the link gave."""
    headers = headers or {}
    token = client.sign_up_and_in()["access_token"]
    note = client.request("POST", "/v1/notes", token=token, json={"title": "t", "content": "c"}).json()
    slot = client.request(
        "POST",
        f"/v1/notes/{note['id']}/media",
        token=token,
        headers=headers,
        json={"content_type": "image/png", "size": len(PNG)},
    ).json()
    url, host = _follow(slot["upload"]["url"], reach)
    posted = requests.post(url, headers=host, data=slot["upload"]["fields"], files={"file": ("i", PNG)}, timeout=30)
    assert posted.status_code == 204, posted.text
    path = f"/v1/notes/{note['id']}/media/{slot['media_id']}"
    assert until(lambda: client.request("GET", path, token=token).json()["status"] == "ready")
    media: dict[str, Any] = client.request("GET", path, token=token, headers=headers).json()
    url, host = _follow(media["url"], reach)
    downloaded = requests.get(url, headers=host, timeout=30)
    assert downloaded.status_code == 200
    return slot, {**media, "note_id": note["id"], "token": token}, downloaded.content


def test_a_stack_on_another_address_is_reached_there_and_so_are_its_images(
    other_loopback_stack: LocalProcess,
) -> None:
    # Given a stack started with HOST=127.0.0.2
    stack = other_loopback_stack
    client = Client(stack.base_url, requests.Session())

    # When a client reached there uploads an image and downloads it through the links it gets
    slot, media, downloaded = _image_round_trip(client)

    # Then both links point at 127.0.0.2, and the bytes are the image's
    assert urlsplit(slot["upload"]["url"]).netloc == f"127.0.0.2:{stack.moto_port}"
    assert urlsplit(media["url"]).netloc == f"127.0.0.2:{stack.moto_port}"
    assert downloaded == PNG
    # And deleting the note deletes the image: the delete-note machine's tasks reach moto there too
    key = slot["upload"]["fields"]["key"]
    bucket = urlsplit(slot["upload"]["url"]).path.strip("/")
    assert client.request("DELETE", f"/v1/notes/{media['note_id']}", token=media["token"]).status_code == 202
    assert until(lambda: stack.aws("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 0)
    # And nothing listens on 127.0.0.1 for it
    for port in (stack.port, stack.moto_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_sam_env_gives_containers_the_address_the_stack_listens_on(
    other_loopback_stack: LocalProcess, tmp_path: Path
) -> None:
    # Given a stack listening on another address than 127.0.0.1 (on Linux, Docker's bridge gateway:
    # docs/local-stack.md, "In Lambda's container")
    stack = other_loopback_stack
    output = tmp_path / "sam-env.json"

    # When `make sam-env` writes its file for Linux, with HOST as the stack was started
    environment = {**os.environ, "HOST": "127.0.0.2", "SAM_DOCKER": "host"}
    command = [sys.executable, "-m", "local.sam_env", "--moto-port", str(stack.moto_port), "--output", str(output)]
    subprocess.run(command, cwd=tpl.ROOT, env=environment, check=True, capture_output=True, timeout=60)

    # Then a container calls moto, and reads its queues, at that address
    entry = json.loads(output.read_text())["MediaEventsWorkerFunction"]
    moto = f"http://127.0.0.2:{stack.moto_port}"
    assert entry["AWS_ENDPOINT_URL"] == moto
    assert entry["MEDIA_CLEANUP_QUEUE_URL"].startswith(f"{moto}/")


@pytest.mark.parametrize(
    "host",
    ["10.0.2.2", "my-laptop.local"],
    ids=["android-emulator", "a-name-on-the-lan"],
)
def test_the_links_name_the_host_the_client_sent_its_request_to(
    client: Client, local_stack: LocalProcess, host: str
) -> None:
    # Given a client that reaches this machine as `host` (an emulator's requests for 10.0.2.2:3000
    # arrive at 127.0.0.1:3000 with that Host header)
    headers = {"host": f"{host}:{local_stack.port}"}

    # When it uploads and downloads an image through the links it gets, reaching them the same way
    slot, media, downloaded = _image_round_trip(client, headers, reach=f"127.0.0.1:{local_stack.moto_port}")

    # Then the links name its host, with moto's port, and they work
    assert urlsplit(slot["upload"]["url"]).netloc == f"{host}:{local_stack.moto_port}"
    assert urlsplit(media["url"]).netloc == f"{host}:{local_stack.moto_port}"
    assert downloaded == PNG


def test_a_client_that_used_localhost_gets_localhost_links(local_stack: LocalProcess) -> None:
    client = Client(f"http://localhost:{local_stack.port}", requests.Session())

    slot, media, downloaded = _image_round_trip(client)

    assert urlsplit(slot["upload"]["url"]).netloc == f"localhost:{local_stack.moto_port}"
    assert urlsplit(media["url"]).netloc == f"localhost:{local_stack.moto_port}"
    assert downloaded == PNG


def test_public_host_names_the_links_whatever_host_the_client_used() -> None:
    # Given a stack on 127.0.0.1 told that phones know this machine as localhost
    stack = LocalProcess({**SHARED_SOURCE_LIMITS, "PUBLIC_HOST": "localhost"})
    try:
        client = Client(stack.base_url, requests.Session())

        # When a client that sent its requests to 10.0.2.2 gets an image's links
        slot, media, downloaded = _image_round_trip(client, {"host": f"10.0.2.2:{stack.port}"})

        # Then they name PUBLIC_HOST, and work from there
        assert urlsplit(slot["upload"]["url"]).netloc == f"localhost:{stack.moto_port}"
        assert urlsplit(media["url"]).netloc == f"localhost:{stack.moto_port}"
        assert downloaded == PNG
    finally:
        stack.stop()


def test_a_host_that_is_not_an_address_of_this_machine_stops_the_start_saying_so() -> None:
    moto_port = free_port()
    environment = {**os.environ, "HOST": "203.0.113.1", "PORT": str(free_port()), "MOTO_PORT": str(moto_port)}

    started = subprocess.run(
        [sys.executable, "-m", "local"],
        check=False,
        cwd=tpl.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode == 2
    assert f"python -m local: cannot listen on 203.0.113.1 port {moto_port}: " in started.stderr
    assert "Traceback" not in started.stderr
