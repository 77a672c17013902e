"""What a user costs: a scripted month of typical use on the local stack, priced per 1,000 monthly
active users in two modes, pokes (WebSocket) and polling every 60 s, with the same workload's API
layer priced for AWS AppSync beside it.

The workload, per user (each figure a constant below):
- 3 devices, each online 8 hours a day: a phone (08-16) and a tablet (13-21), which register for
  silent pushes, and a laptop (09-17), which does not;
- 20 edits a day, the first of them a new note, the others a change of a note's text (1,500
  characters; 30 notes to begin with), made on a device online at the time, spread over 08:30-20:30;
- one note deleted a day, on the phone at 12:00;
- 3 images a month (a JPEG of the size printed), each seen and downloaded by the two other devices;
- each device signs in once a month (the refresh token lasts 30 days) and refreshes its access token
  each time it expires (AccessTokenValidityMinutes, 15) while online.
How the other devices learn of a change:
- polling: an online device pulls every 60 s (480 pulls a device-day); an offline one pulls when its
  next session begins;
- pokes: an online device holds a WebSocket, reconnects when API Gateway closes it after 10 idle
  minutes and pulls on each (re)connect (docs/sync-protocol.md, "Realtime"), and pulls when poked;
  an offline phone or tablet is woken by a silent push and pulls; the laptop pulls at its next
  session. Without a WebSocket API in template.yaml this mode is skipped, and says so.

How: `python -m bench.cost_stack`, the local stack metering what AWS bills (see that module), runs
as a child process on free ports. K users (--users, default 3) each play one day of the script, in
order and in compressed time: no waiting between events, and every asynchronous consequence (queue
messages, executions, stream pokes) driven to completion before a phase ends. The run is cut into
phases, each scaled by its own factor to a month of 1,000 users:
  sign-in: each device signs in                                  1 a user-month        x 1000/K
  day: sessions, edits, the deletion, pokes, pushes, pulls       30 a user-month       x 1000/K
  images: one per user                                           3 a user-month        x 1000/K
  polls (polling): 5 pulls that find nothing, per device         the month's other pulls: 480 a
                                                                 device-day, less those measured
  reconnects (pokes): 2 per device (close, connect, pull)        the month's other connections:
                                                                 one per 10 online minutes (48 a
                                                                 device-day), less the first
  refreshes: one per device                                      32 a device-day (8 h / 15 min)
What is measured (per phase): function invocations, their durations and the bytes they logged, AWS
calls with their DynamoDB request units, the HTTP API's requests and access log (in the child);
HTTP bytes out, the devices' S3 requests and downloads, state transitions (execution histories: in
this process). What is multiplied, not measured: the factors above; WebSocket connection minutes
(8 h a device-day); silent pushes (one per change per phone or tablet without a connection: in the
day changes are over a minute apart, so each wakes its device at once, where the compressed run
folds them into each device's minute); X-Ray traces (the default sampling rule over each function's
and state machine's month, spread evenly); Lambda's START/END/REPORT lines (their documented
format); the event source mappings' SQS requests (a ReceiveMessage and a DeleteMessageBatch per
batch, idle polling left out); storage (what a sample user holds at the end, for a month; a month's
images for a month); Cognito (one MAU a user at the pool's feature plan). Left out: work delivered
by a message delayed on purpose (an upload's reservation expiry, 17 minutes on; a device's trailing
silent push), which the run does not wait for. Printed apart, the stack's own month whatever its
users: the daily purge (run once, x 30), the alarms, the dashboard, the alarm topic's key, the
custom metrics (a ColdStart metric per function among them).

Durations are this machine's, not Lambda's (moto answers in the same process, on a shared 2-core
machine). Each invocation is billed at its function's fastest in its phase: what else runs on the
machine only adds time, which the phase's factor would multiply; the first invocation of a function
(its imports: a cold start, whose INIT Lambda bills too) is left out when the function has others.
Prices: bench/prices.json (us-east-1 list prices, free tiers left out). Nothing is asserted; the
figures are printed and written to bench/results/cost.txt, and as JSON to bench/results/cost.json.
Progress goes to stderr.

    python -m bench.cost [--users K] [--modes pokes,polling]
"""

import argparse
import io
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from bench import cost_model as cm
from bench.cost_stack import LOG_VARIABLE
from bench.results_file import RESULTS_DIR, publish, table
from local import template as tpl
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess, free_port

MODULE = "bench.cost"
MODES = ("pokes", "polling")
USERS = 1000  # the bill is per this many monthly active users
PASSWORD = "Correct-Horse-1"


@dataclass(frozen=True)
class Profile:
    name: str
    online_from: float  # hour of the day
    online_until: float
    mobile: bool  # registers for silent pushes

    @property
    def online_minutes(self) -> float:
        return (self.online_until - self.online_from) * 60


DEVICES = (Profile("phone", 8, 16, True), Profile("laptop", 9, 17, False), Profile("tablet", 13, 21, True))
EDITS_PER_DAY = 20
EDITS_FROM, EDITS_UNTIL = 8.5, 20.5
DELETION_AT = 12.0
DAYS_PER_MONTH = 30
IMAGES_PER_MONTH = 3
SEEDED_NOTES = 30
NOTE_CHARACTERS = 1500
IMAGE_PIXELS = (1200, 900)
POLL_SECONDS = 60
# "Idle Connection Timeout for WebSocket APIs: 10 minutes" ("Quotas for configuring and running a
# WebSocket API in API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
IDLE_CLOSE_MINUTES = 10
EMPTY_POLL_SAMPLE = 5
RECONNECT_SAMPLE = 2
REFRESH_SAMPLE = 1
POKE_TIMEOUT_SECONDS = 15
QUIET_SECONDS = 1.5  # after the queues and executions are done: the stream poller's next read, and its poke
DRAIN_SECONDS = 120
SEED_PUSH = 25
GIB = 1024**3


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def access_token_minutes(template: dict[str, Any]) -> int:
    return int(template["Parameters"]["AccessTokenValidityMinutes"]["Default"])


def has_websocket_api(template: dict[str, Any]) -> bool:
    return any(
        resource["Type"] == "AWS::ApiGatewayV2::Api" and resource["Properties"].get("ProtocolType") == "WEBSOCKET"
        for resource in template["Resources"].values()
    )


# ---------------------------------------------------------------- the devices' side
class Client:
    """HTTP to the local stack and to S3, as devices send it; what went out to the internet, by time."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.bytes_out: list[tuple[float, int]] = []
        self.s3_requests: list[tuple[float, str]] = []  # (when, "put" or "get")

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        reply = self.http.request(method, self.base_url + path, headers=headers, timeout=60, **kwargs)
        self._went_out(reply)
        if reply.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None

    def upload(self, upload: dict[str, Any], data: bytes) -> None:
        """The presigned POST, as a device sends it (a POST request to S3)."""
        self.s3_requests.append((time.time(), "put"))
        reply = self.http.post(upload["url"], data=upload["fields"], files={"file": ("image", data)}, timeout=60)
        if reply.status_code >= 300:
            raise RuntimeError(f"upload: {reply.status_code} {reply.text[:300]}")

    def download(self, url: str) -> bytes:
        self.s3_requests.append((time.time(), "get"))
        reply = self.http.get(url, timeout=60)
        if reply.status_code != 200:
            raise RuntimeError(f"download: {reply.status_code} {reply.text[:300]}")
        self._went_out(reply)
        return reply.content

    def _went_out(self, reply: requests.Response) -> None:
        head = len(f"HTTP/1.1 {reply.status_code} {reply.reason}\r\n") + 2
        head += sum(len(name) + len(value) + 4 for name, value in reply.headers.items())
        self.bytes_out.append((time.time(), head + len(reply.content)))


@dataclass
class Device:
    user: "User"
    profile: Profile
    ws_url: str | None
    access_token: str = ""
    refresh_token: str = ""
    cursor: str | None = None
    online: bool = False
    pulls: int = 0
    closed_by_server: int = 0
    _socket: Any = None  # the open connection's context manager, entered

    @property
    def id(self) -> str:
        return f"{self.profile.name}-{self.user.tag}"

    @property
    def client(self) -> Client:
        return self.user.client

    def sign_in(self) -> None:
        tokens = self.client.call("POST", "/v1/auth/sign-in", json={"email": self.user.email, "password": PASSWORD})
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]

    def refresh(self) -> None:
        body = {"refresh_token": self.refresh_token}
        self.access_token = self.client.call("POST", "/v1/auth/refresh", json=body)["access_token"]

    def pull(self) -> int:
        """Pull to the end of the feed; the number of changes it brought."""
        changes = 0
        for _ in range(100):
            query = f"?cursor={self.cursor}" if self.cursor else ""
            reply = self.client.call("GET", f"/v1/sync{query}", self.access_token)
            self.pulls += 1
            changes += len(reply["changes"])
            self.cursor = reply["cursor"]
            if not reply["has_more"]:
                return changes
        raise RuntimeError(f"{self.id}: the feed did not end after 100 pages")

    def push(self, change: dict[str, Any]) -> dict[str, Any]:
        body = {"changes": [change], "device_id": self.id}
        (result,) = self.client.call("POST", "/v1/sync", self.access_token, json=body)["results"]
        if result["status"] != "applied":
            raise RuntimeError(f"{self.id}: {change['op']} of {change['id']} was {result['status']}: {result}")
        return dict(result)

    def register_for_pushes(self) -> None:
        body = {"platform": "fcm", "token": f"bench-{self.id}-{uuid.uuid4().hex}"}
        self.client.call("PUT", f"/v1/devices/{self.id}", self.access_token, json=body)

    @property
    def connected(self) -> bool:
        return self._socket is not None

    def connect(self) -> None:
        from websockets.sync.client import connect

        assert self.ws_url is not None
        self._socket = connect(
            f"{self.ws_url}?device_id={self.id}",
            additional_headers={"Authorization": f"Bearer {self.access_token}"},
            open_timeout=30,
        ).__enter__()

    def disconnect(self) -> None:
        if self._socket is not None:
            self._socket.__exit__(None, None, None)
            self._socket = None

    def wait_for_poke(self) -> None:
        """The poke of a change (or, when the gateway closed the socket meanwhile, a new one)."""
        message = self._received(POKE_TIMEOUT_SECONDS)
        if message is not None and json.loads(message).get("type") != "changes":
            raise RuntimeError(f"{self.id}: not a poke: {message}")

    def forget_pokes(self) -> None:
        """Pokes of changes already pulled."""
        while self._socket is not None:
            try:
                if self._received(0) is None:
                    return
            except TimeoutError:
                return

    def _received(self, timeout: float) -> str | None:
        """The next message; None when the socket was closed by the other side, which a client
        answers as docs/sync-protocol.md says: it reconnects and pulls (counted: none is expected)."""
        from websockets.exceptions import ConnectionClosed

        try:
            return str(self._socket.recv(timeout=timeout))
        except ConnectionClosed:
            self.closed_by_server += 1
            self.disconnect()
            self.connect()
            self.pull()
            return None


class User:
    def __init__(self, client: Client, ws_url: str | None, number: int) -> None:
        self.client = client
        self.tag = f"{number}{uuid.uuid4().hex[:6]}"
        self.email = f"bench-cost-{self.tag}@example.com"
        self.devices = [Device(self, profile, ws_url) for profile in DEVICES]
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.silent_pushes = 0  # due: one per change per registered device without a connection
        client.call("POST", "/v1/auth/sign-up", json={"email": self.email, "password": PASSWORD, "full_name": "Bench"})
        client.call("POST", "/v1/auth/confirm", json={"email": self.email, "code": "1"})

    def seed(self) -> None:
        """The notes the user has before the day, and every device signed in and synced."""
        for device in self.devices:
            device.sign_in()
        phone = self.devices[0]
        ids = [str(uuid.uuid4()) for _ in range(SEEDED_NOTES)]
        for start in range(0, len(ids), SEED_PUSH):
            changes = [self._create(note_id) for note_id in ids[start : start + SEED_PUSH]]
            reply = self.client.call("POST", "/v1/sync", phone.access_token, json={"changes": changes})
            for result in reply["results"]:
                self.versions[result["id"]] = result["note"]["version"]
        for device in self.devices:
            device.pull()

    def _create(self, note_id: str) -> dict[str, Any]:
        self.texts[note_id] = note_text(note_id)
        return {"op": "create", "id": note_id, "title": f"note {len(self.texts)}", "content": self.texts[note_id]}

    def edit(self, device: Device, number: int) -> None:
        if number == 0:
            change = self._create(str(uuid.uuid4()))
        else:
            note_id = list(self.versions)[(number - 1) % (SEEDED_NOTES - 1)]
            self.texts[note_id] = edited(self.texts[note_id], number)
            change = {"op": "update", "id": note_id, "base_version": self.versions[note_id]}
            change["content"] = self.texts[note_id]
        self._push(device, change)

    def delete_one(self, device: Device) -> None:
        note_id = list(self.versions)[SEEDED_NOTES - 1]  # never edited by the day's script
        self._push(device, {"op": "delete", "id": note_id, "base_version": self.versions.pop(note_id)})

    def _push(self, author: Device, change: dict[str, Any]) -> None:
        for device in self.devices:
            device.forget_pokes()
        result = author.push(change)
        if change["op"] != "delete":
            self.versions[change["id"]] = result["note"]["version"]

    def others_learn(self, author: Device, mode: str) -> None:
        """How the user's other devices learn of a change `author` made (see the module's docstring)."""
        for device in self.devices:
            if device is author:
                continue
            if device.online:
                if mode == "pokes":
                    device.wait_for_poke()
                if not device.pull():
                    raise RuntimeError(f"{device.id}: pulled nothing after a change by {author.id}")
            elif mode == "pokes" and device.profile.mobile:
                self.silent_pushes += 1
                device.pull()  # woken by its silent push

    def session_starts(self, device: Device, mode: str) -> None:
        device.online = True
        if mode == "pokes":
            if device.profile.mobile:
                device.register_for_pushes()
            device.connect()
        device.pull()

    def session_ends(self, device: Device, mode: str) -> None:
        device.online = False
        device.disconnect()


def note_text(seed: str) -> str:
    words = [f"w{abs(hash((seed, n))) % 100000:05d}" for n in range(NOTE_CHARACTERS // 7)]
    return " ".join(words)[:NOTE_CHARACTERS]


def edited(text: str, number: int) -> str:
    """One word changed, the length kept."""
    words = text.split(" ")
    at = number % len(words)
    words[at] = f"e{number:05d}"[: len(words[at])].ljust(len(words[at]), "x")
    return " ".join(words)


def jpeg() -> bytes:
    picture = Image.frombytes("RGB", IMAGE_PIXELS, os.urandom(IMAGE_PIXELS[0] * IMAGE_PIXELS[1] * 3))
    written = io.BytesIO()
    picture.save(written, format="JPEG", quality=85)
    return written.getvalue()


# ---------------------------------------------------------------- phases
@dataclass(frozen=True)
class Window:
    mode: str
    name: str
    start: float
    end: float
    factor: float  # to 1,000 users' month
    sample: str  # what the factor multiplies

    def holds(self, at: float) -> bool:
        return self.start <= at <= self.end


class Stack:
    """The metered local stack, and waiting for its asynchronous work."""

    def __init__(self, template: dict[str, Any], log_path: Path) -> None:
        environment = {
            **SHARED_SOURCE_LIMITS,
            LOG_VARIABLE: str(log_path),
            "WS_PORT": str(free_port()),
            "LOCAL_SCHEDULE_SECONDS": str(7 * 86400),  # the daily purge runs once, in its own phase
        }
        # Silent pushes need a platform application (template parameter); the local stack makes it.
        if "FcmPlatformApplicationArn" in template["Parameters"]:
            environment["FCM_PLATFORM_APPLICATION_ARN"] = "arn:aws:sns:us-east-1:123456789012:app/GCM/notes-sync-bench"
        self.process = LocalProcess(environment, module="bench.cost_stack")
        self.ws_url = self._printed(r"WebSocket API on (wss?://\S+)") if has_websocket_api(template) else None

    def _printed(self, pattern: str, seconds: float = 10) -> str | None:
        """What the stack printed at start-up that `pattern` finds (its lines follow the one LocalProcess
        waits for)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.process.output):
                found = re.search(pattern, line)
                if found:
                    return found.group(1)
            time.sleep(0.05)
        return None

    def drain(self) -> None:
        """Until no queue holds a message and no execution runs; then the stream's last pokes."""
        sqs, sfn = self.process.aws("sqs"), self.process.aws("stepfunctions")
        deadline = time.monotonic() + DRAIN_SECONDS
        queues = [url for url in sqs.list_queues().get("QueueUrls", []) if "DeadLetter" not in url]
        machines = [machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]]
        while time.monotonic() < deadline:
            waiting = sum(
                int(value)
                for url in queues
                for value in sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"].values()
            )
            running = sum(
                len(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]) for arn in machines
            )
            if not waiting and not running:
                time.sleep(QUIET_SECONDS)
                return
            time.sleep(0.1)
        raise RuntimeError(f"the stack's work did not end in {DRAIN_SECONDS} s")

    def executions(self) -> list[tuple[str, float, int]]:
        """Every execution: its state machine's name, when it started, its state transitions
        (*StateEntered events, Map iterations included, as bench/deletion.py counts them)."""
        sfn = self.process.aws("stepfunctions")
        found = []
        for machine in sfn.list_state_machines()["stateMachines"]:
            for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
                events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
                entered = sum(event["type"].endswith("StateEntered") for event in events)
                found.append((machine["name"], execution["startDate"].timestamp(), entered))
        return found

    def stored_bytes(self, user_ids: Sequence[str], indexes: list[cm.SecondaryIndex]) -> list[int]:
        """What each user holds in the table, as DynamoDB bills storage: every item and index entry
        with its 100 bytes of overhead (CapacityUnitCalculations.html: "All items in DynamoDB require
        100 bytes of storage overhead for indexing")."""
        dynamodb = self.process.aws("dynamodb")
        table = dynamodb.list_tables()["TableNames"][0]
        sizes = []
        for user_id in user_ids:
            total = 0
            pages = dynamodb.get_paginator("query").paginate(
                TableName=table,
                KeyConditionExpression="user_id = :user",
                ExpressionAttributeValues={":user": {"S": user_id}},
            )
            for page in pages:
                for item in page["Items"]:
                    total += cm.item_size(item) + 100
                    for index in indexes:
                        entry = index.entry(item)
                        total += cm.item_size(entry) + 100 if entry is not None else 0
            sizes.append(total)
        return sizes

    def stop(self) -> None:
        self.process.stop(timeout=60)


# ---------------------------------------------------------------- one mode's sample
@dataclass
class Sample:
    mode: str
    users: list[User]
    windows: list[Window] = field(default_factory=list)
    silent_pushes: float = 0.0  # a month's, for 1,000 users
    closed_by_server: int = 0  # sockets the other side closed in the run, none expected
    user_ids: list[str] = field(default_factory=list)


class Run:
    def __init__(self, stack: Stack, template: dict[str, Any], users: int) -> None:
        self.stack = stack
        self.template = template
        self.users = users
        self.per_user = USERS / users  # a sample user's share of 1,000
        self.client = Client(stack.process.base_url)
        self.image = jpeg()

    @contextmanager
    def phase(self, sample: Sample, name: str, factor: float, what: str) -> Iterator[None]:
        progress(f"{sample.mode}: {name} ...")
        start = time.time()
        yield
        self.stack.drain()
        sample.windows.append(Window(sample.mode, name, start, time.time(), factor, what))

    def sample(self, mode: str) -> Sample:
        progress(f"{mode}: {self.users} users sign up, {SEEDED_NOTES} notes each ...")
        sample = Sample(mode, [User(self.client, self.stack.ws_url, number) for number in range(self.users)])
        for user in sample.users:
            user.seed()
        self.stack.drain()
        with self.phase(sample, "sign-in", self.per_user, f"{self.users} users' sign-ins x 1 a month"):
            for device in self._devices(sample):
                device.sign_in()
        pulls = self._pulls(sample)
        with self.phase(sample, "day", DAYS_PER_MONTH * self.per_user, f"{self.users} user-days x 30"):
            self._day(sample)
        day_pulls, pulls = self._pulls(sample) - pulls, self._pulls(sample)
        sample.silent_pushes = sum(user.silent_pushes for user in sample.users) * DAYS_PER_MONTH * self.per_user
        self._all_online(sample)
        with self.phase(sample, "images", IMAGES_PER_MONTH * self.per_user, f"{self.users} images x 3 a user-month"):
            for user in sample.users:
                self._image(user, mode)
        image_pulls = self._pulls(sample) - pulls
        if mode == "polling":
            self._polls(sample, (day_pulls * DAYS_PER_MONTH + image_pulls * IMAGES_PER_MONTH) / self.users)
        else:
            self._reconnects(sample)
        self._all_offline(sample)
        self._refreshes(sample)
        sample.closed_by_server = sum(device.closed_by_server for device in self._devices(sample))
        sample.user_ids = [
            self.client.call("GET", "/v1/account", user.devices[0].access_token)["user_id"] for user in sample.users
        ]
        return sample

    @staticmethod
    def _devices(sample: Sample) -> list[Device]:
        return [device for user in sample.users for device in user.devices]

    def _pulls(self, sample: Sample) -> int:
        return sum(device.pulls for device in self._devices(sample))

    def _day(self, sample: Sample) -> None:
        events: list[tuple[float, int, str, int]] = []
        for number, profile in enumerate(DEVICES):
            events += [(profile.online_from, 0, "online", number), (profile.online_until, 2, "offline", number)]
        step = (EDITS_UNTIL - EDITS_FROM) / (EDITS_PER_DAY - 1)
        events += [(EDITS_FROM + number * step, 1, "edit", number) for number in range(EDITS_PER_DAY)]
        events.append((DELETION_AT, 1, "delete", 0))
        for _, _, kind, number in sorted(events):
            for user in sample.users:
                online = [device for device in user.devices if device.online]
                if kind == "online":
                    user.session_starts(user.devices[number], sample.mode)
                elif kind == "offline":
                    user.session_ends(user.devices[number], sample.mode)
                else:
                    author = online[number % len(online)]
                    if kind == "edit":
                        user.edit(author, number)
                    else:
                        user.delete_one(author)
                    user.others_learn(author, sample.mode)

    def _all_online(self, sample: Sample) -> None:
        """Outside any phase: every device online (and its socket open) for the phases that follow."""
        for device in self._devices(sample):
            device.online = True
            if sample.mode == "pokes":
                device.connect()
        self.stack.drain()

    def _all_offline(self, sample: Sample) -> None:
        for user in sample.users:
            for device in user.devices:
                user.session_ends(device, sample.mode)
        self.stack.drain()

    def _image(self, user: User, mode: str) -> None:
        phone = user.devices[0]
        note_id = next(iter(user.versions))
        body = {"content_type": "image/jpeg", "size": len(self.image)}
        slot = self.client.call("POST", f"/v1/notes/{note_id}/media", phone.access_token, json=body)
        self.client.upload(slot["upload"], self.image)
        self.stack.drain()  # the worker has checked it and marked it ready: a change, every device's
        for device in user.devices:
            if mode == "pokes":
                device.wait_for_poke()
                device.forget_pokes()
            if not device.pull():
                raise RuntimeError(f"{device.id}: pulled nothing after an image")
        for device in user.devices[1:]:
            media = self.client.call("GET", f"/v1/notes/{note_id}/media/{slot['media_id']}", device.access_token)
            if media["status"] != "ready":
                raise RuntimeError(f"{device.id}: the image is {media['status']}")
            if self.client.download(media["url"]) != self.image:
                raise RuntimeError(f"{device.id}: downloaded another image")

    def _polls(self, sample: Sample, pulls_with_changes: float) -> None:
        """Pulls that find nothing, standing for a month's polls but those that found changes."""
        polls = sum(profile.online_minutes * 60 / POLL_SECONDS for profile in DEVICES) * DAYS_PER_MONTH
        empty = polls - pulls_with_changes
        count = self.users * len(DEVICES) * EMPTY_POLL_SAMPLE
        with self.phase(sample, "polls", empty * USERS / count, f"{count} pulls x {empty:,.0f} a user-month"):
            for device in self._devices(sample):
                for _ in range(EMPTY_POLL_SAMPLE):
                    if device.pull():
                        raise RuntimeError(f"{device.id}: a poll found changes")

    def _reconnects(self, sample: Sample) -> None:
        """A socket closed and opened again, and the pull that follows, standing for a month's
        reconnections after the idle timeout (the first connection of a session is the day's)."""
        per_day = sum(math.ceil(profile.online_minutes / IDLE_CLOSE_MINUTES) - 1 for profile in DEVICES)
        connections = per_day * DAYS_PER_MONTH
        count = self.users * len(DEVICES) * RECONNECT_SAMPLE
        what = f"{count} reconnections x {connections:,} a user-month"
        with self.phase(sample, "reconnects", connections * USERS / count, what):
            for device in self._devices(sample):
                for _ in range(RECONNECT_SAMPLE):
                    device.disconnect()
                    device.connect()
                    device.pull()

    def _refreshes(self, sample: Sample) -> None:
        minutes = access_token_minutes(self.template)
        per_month = sum(profile.online_minutes / minutes for profile in DEVICES) * DAYS_PER_MONTH
        count = self.users * len(DEVICES) * REFRESH_SAMPLE
        what = f"{count} refreshes x {per_month:,.0f} a user-month"
        with self.phase(sample, "refreshes", per_month * USERS / count, what):
            for device in self._devices(sample):
                for _ in range(REFRESH_SAMPLE):
                    device.refresh()

    def purge(self) -> Window:
        """The daily purge-trash schedule's run, once: the stack's, whatever its users."""
        sfn = self.stack.process.aws("stepfunctions")
        machine = next(m for m in sfn.list_state_machines()["stateMachines"] if "purgetrash" in m["name"].lower())
        sample = Sample("fixed", [])
        with self.phase(sample, "daily purge", DAYS_PER_MONTH, "1 run x 30 a month"):
            name = f"bench-{uuid.uuid4().hex}"
            sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=name, input="{}")
        return sample.windows[0]


# ---------------------------------------------------------------- from measured to billed
# A message delivered this long after it was sent was delayed on purpose: an upload's reservation
# expiry (UploadUrlTtlSeconds + 2 minutes later) or a device's trailing silent push (the end of its
# minute). The run does not wait for them; one that arrives during a later phase is left out.
DELAYED_SECONDS = 10


@dataclass
class Measured:
    """What the child recorded, and what this process did, by time."""

    invocations: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    access_log: list[list[Any]]
    bytes_out: list[tuple[float, int]]
    s3_requests: list[tuple[float, str]]
    executions: list[tuple[str, float, int]]
    delayed: int = 0

    def in_window(self, window: Window) -> "Measured":
        delayed = {i["id"] for i in self.invocations if window.holds(i["at"]) and i["queued_seconds"] > DELAYED_SECONDS}
        return Measured(
            [i for i in self.invocations if window.holds(i["at"]) and i["id"] not in delayed],
            [c for c in self.calls if window.holds(c["at"]) and c["invocation"] not in delayed],
            [line for line in self.access_log if window.holds(line[0])],
            [b for b in self.bytes_out if window.holds(b[0])],
            [r for r in self.s3_requests if window.holds(r[0])],
            [e for e in self.executions if window.holds(e[1])],
            len(delayed),
        )


@dataclass
class Functions:
    """Each function's memory, whether it is traced, whether a queue feeds it, and its first
    invocation in the child process (the one that imported it: a cold start)."""

    memory: dict[str, int]
    traced: set[str]
    queue_consumers: set[str]
    first: set[int]

    @classmethod
    def of(cls, template: dict[str, Any], invocations: Sequence[dict[str, Any]]) -> "Functions":
        functions = tpl.functions(template)
        for name, properties in functions.items():
            if properties.get("Architectures") != ["arm64"]:
                raise ValueError(f"{name} is not arm64: bench/prices.json prices arm64 only")
        first: dict[str, int] = {}
        for invocation in sorted(invocations, key=lambda i: i["at"]):
            first.setdefault(invocation["function"], invocation["id"])
        return cls(
            {name: int(properties.get("MemorySize", 128)) for name, properties in functions.items()},
            {name for name, properties in functions.items() if properties.get("Tracing") == "Active"},
            {source.function for source in tpl.queue_sources(template)},
            set(first.values()),
        )

    def billed_ms(self, invocations: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Each function's fastest duration among `invocations` (one phase's): this machine is shared,
        and what runs beside it only adds time, which the phase's factor would multiply; a function's
        first invocation in the process (its imports) is left out when the function has others."""
        every: dict[str, list[float]] = defaultdict(list)
        warm: dict[str, list[float]] = defaultdict(list)
        for invocation in invocations:
            every[invocation["function"]].append(invocation["ms"])
            if invocation["id"] not in self.first:
                warm[invocation["function"]].append(invocation["ms"])
        return {function: min(warm.get(function) or durations) for function, durations in every.items()}


# S3's request classes (https://aws.amazon.com/s3/pricing/, "Requests & data retrievals"): PUT, COPY,
# POST and LIST requests at one price, GET and the others at another; "DELETE and CANCEL requests
# are free" (DeleteObjects, a multi-object delete, counted as the deletes it makes).
S3_PUT_CLASS = frozenset({"PutObject", "CopyObject", "ListObjectsV2", "ListObjects", "CreateMultipartUpload"})
S3_FREE = frozenset({"DeleteObject", "DeleteObjects"})


@dataclass
class Month:
    """A mode's month for 1,000 users: billable units, and what they came from."""

    mode: str
    units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    invocations: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    durations: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    log_bytes: float = 0.0
    executions: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    pokes: float = 0.0
    connections: float = 0.0
    auth_requests: float = 0.0
    measured_pushes: float = 0.0
    closed_by_server: int = 0
    phases: list[dict[str, Any]] = field(default_factory=list)
    parts: dict[str, "Month"] = field(default_factory=dict)

    def add_invocations(self, invocations: Sequence[dict[str, Any]], factor: float, functions: Functions) -> None:
        fastest = functions.billed_ms(invocations)
        for invocation in invocations:
            function, billed = invocation["function"], fastest[invocation["function"]]
            self.invocations[function] += factor
            self.durations[function].append(billed)
            self.units["lambda.requests"] += factor
            self.units["lambda.arm_gb_seconds"] += factor * cm.gb_seconds(functions.memory[function], billed)
            self.log_bytes += factor * invocation["log_bytes"]
            if function in functions.queue_consumers:
                # The event source mapping's ReceiveMessage and DeleteMessageBatch for the batch, and
                # S3's SendMessage of each notification in it.
                self.units["sqs.requests"] += factor * (2 + invocation["s3_messages"])
            if function == "WebSocketConnectFunction":
                self.connections += factor

    def add_calls(self, calls: Sequence[dict[str, Any]], factor: float) -> None:
        for call in calls:
            self.units["dynamodb.read_request_units"] += factor * call["read_units"]
            self.units["dynamodb.write_request_units"] += factor * (call["write_units"] + call["index_write_units"])
            self.units["sqs.requests"] += factor * call["sqs_requests"]
            service, operation = call["call"].split(":")
            if service == "s3" and operation not in S3_FREE:
                self.units["s3.put_requests" if operation in S3_PUT_CLASS else "s3.get_requests"] += factor
            elif call["call"] == "sns:Publish":
                self.measured_pushes += factor
            elif call["call"] == "apigatewaymanagementapi:PostToConnection":
                self.units["websocket.messages"] += factor
                self.pokes += factor

    def add_requests(self, part: Measured, factor: float) -> None:
        """The HTTP API's requests and access log; what devices asked of S3 and downloaded."""
        for _, size, route in part.access_log:
            self.units["http_api.requests"] += factor
            self.log_bytes += factor * size
            if route.startswith("POST /v1/auth/"):
                self.auth_requests += factor
        self.units["data_transfer.out_gb"] += factor * sum(size for _, size in part.bytes_out) / GIB
        for _, kind in part.s3_requests:
            self.units[f"s3.{kind}_requests"] += factor
        for machine, _, transitions in part.executions:
            self.units["stepfunctions.standard_transitions"] += factor * transitions
            self.executions[machine] += factor

    def merge(self, part: "Month") -> None:
        """A phase's month into this one (kept, by name, for its share of the bill)."""
        for name, value in part.units.items():
            self.units[name] += value
        for function, count in part.invocations.items():
            self.invocations[function] += count
            self.durations[function] += part.durations[function]
        for machine, count in part.executions.items():
            self.executions[machine] += count
        self.log_bytes += part.log_bytes
        self.pokes += part.pokes
        self.connections += part.connections
        self.auth_requests += part.auth_requests
        self.measured_pushes += part.measured_pushes
        self.parts[part.mode] = part

    def traces_and_platform_logs(self, functions: Functions) -> tuple[dict[str, float], dict[str, float]]:
        """Each traced function's and state machine's X-Ray traces in the month, under the default
        sampling rule; each function's Lambda log lines, with the XRAY line of a traced invocation."""
        traces, platform = {}, {}
        for function, count in self.invocations.items():
            traces[function] = cm.traces_per_month(count) if function in functions.traced else 0.0
            typical, memory = statistics.median(self.durations[function]), functions.memory[function]
            sampled, unsampled = (cm.platform_log_bytes(typical, memory, sampled=s) for s in (True, False))
            platform[function] = traces[function] * sampled + (count - traces[function]) * unsampled
        for machine, count in self.executions.items():
            traces[machine] = cm.traces_per_month(count)
        return traces, platform

    def add_share(self, whole: "Month", traces: dict[str, float], platform: dict[str, float]) -> None:
        """This month's share of the whole's traces and Lambda log lines (itself, or one of its phases:
        the share of each function's invocations and each machine's executions it holds)."""
        for name, traced in traces.items():
            held = self.invocations.get(name) or self.executions.get(name) or 0.0
            total = whole.invocations.get(name) or whole.executions.get(name) or 0.0
            share = held / total if total else 0.0
            self.units["xray.traces_recorded"] += traced * share
            self.log_bytes += platform.get(name, 0.0) * share
        self.units["cloudwatch.logs_ingested_gb"] = self.log_bytes / GIB


def month_of(
    sample: Sample,
    measured: Measured,
    functions: Functions,
    template: dict[str, Any],
    stored_bytes: float,
    image_bytes: int,
) -> Month:
    month = Month(sample.mode)
    for window in sample.windows:
        part = measured.in_window(window)
        phase = Month(window.name)
        phase.add_invocations(part.invocations, window.factor, functions)
        phase.add_calls(part.calls, window.factor)
        phase.add_requests(part, window.factor)
        month.merge(phase)
        month.phases.append(
            {
                "phase": window.name,
                "factor": window.factor,
                "sample": window.sample,
                "invocations": len(part.invocations),
                "aws_calls": len(part.calls),
                "http_requests": len(part.access_log),
                "executions": len(part.executions),
                "delayed_left_out": part.delayed,
            }
        )
    month.closed_by_server = sample.closed_by_server
    traces, platform = month.traces_and_platform_logs(functions)
    for phase in [month, *month.parts.values()]:
        phase.add_share(month, traces, platform)
    if sample.mode == "pokes":
        # Silent pushes: one per change per phone or tablet without a connection, counted, not
        # measured: in the day changes are over a minute apart, so each wakes its device at once,
        # where the compressed run folds them into each device's minute. A push is a publish
        # request and a delivery.
        month.units["sns.requests"] = month.units["sns.mobile_push_deliveries"] = sample.silent_pushes
        month.units["websocket.connection_minutes"] = sum(p.online_minutes for p in DEVICES) * DAYS_PER_MONTH * USERS
    # Storage: what a sample user holds at the end, for the month; a month's images, for the month.
    month.units["dynamodb.storage_gb_months"] = month.units["dynamodb.pitr_gb_months"] = stored_bytes * USERS / GIB
    month.units["s3.storage_gb_months"] = IMAGES_PER_MONTH * image_bytes * USERS / GIB
    plan = template["Resources"]["UserPool"]["Properties"].get("UserPoolTier", "ESSENTIALS").lower()
    month.units[f"cognito.{plan}_maus"] = USERS
    return month


def fixed_month(
    purge: Window, measured: Measured, functions: Functions, template: dict[str, Any], metrics: Sequence[Any]
) -> Month:
    """The stack's own month, whatever its users: the daily purge's runs, the alarms, the dashboard,
    the alarm topic's key, and the custom metrics the functions publish: each metric name and
    dimension set the run's EMF lines defined, and a ColdStart metric per function (Powertools
    dimensions it by function name; in this one process only the first function to run had one)."""
    month = Month("fixed")
    part = measured.in_window(purge)
    month.add_invocations(part.invocations, purge.factor, functions)
    month.add_calls(part.calls, purge.factor)
    month.add_requests(part, purge.factor)
    month.add_share(month, *month.traces_and_platform_logs(functions))
    kinds = Counter(resource["Type"] for resource in template["Resources"].values())
    named = {(namespace, name, tuple(dimensions)) for namespace, name, dimensions in metrics if name != "ColdStart"}
    month.units["cloudwatch.alarm_months"] = kinds["AWS::CloudWatch::Alarm"]
    month.units["cloudwatch.dashboard_months"] = kinds["AWS::CloudWatch::Dashboard"]
    month.units["kms.key_months"] = kinds["AWS::KMS::Key"]
    month.units["cloudwatch.metric_months"] = len(named) + len(functions.memory)
    return month


# ---------------------------------------------------------------- the report
def dollars(value: Decimal) -> str:
    return f"${value:,.2f}"


def quantity(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


@dataclass
class Priced:
    month: Month
    lines: list[cm.Line]
    appsync: list[cm.Line]

    @property
    def total(self) -> Decimal:
        return cm.total(self.lines)

    @property
    def api_layer(self) -> Decimal:
        return cm.total(line for line in self.lines if line.price.key in cm.API_LAYER_KEYS)

    @property
    def with_appsync(self) -> Decimal:
        return self.total - self.api_layer + cm.total(self.appsync)


def price(month: Month, prices: dict[str, cm.Price]) -> Priced:
    operations = month.units["http_api.requests"] - month.auth_requests
    minutes = month.units["websocket.connection_minutes"]
    appsync = cm.appsync_units(operations, month.pokes, month.connections, minutes)
    return Priced(month, cm.bill(month.units, prices), cm.bill(appsync, prices))


def heading(template: dict[str, Any], prices: dict[str, cm.Price], image_bytes: int, users: int) -> list[str]:
    sessions = ", ".join(f"{p.name} {p.online_from:02.0f}-{p.online_until:02.0f}" for p in DEVICES)
    return [
        f"What 1,000 monthly active users cost a month: us-east-1 list prices read {next(iter(prices.values())).read},",
        "free tiers left out (bench/prices.json); the workload and its scaling: python -m bench.cost --help.",
        f"Per user: {len(DEVICES)} devices online 8 h a day ({sessions}), {EDITS_PER_DAY} edits and 1 deletion",
        f"a day, {IMAGES_PER_MONTH} images a month ({image_bytes / 1024:,.0f} KB each), access tokens refreshed every "
        f"{access_token_minutes(template)} min online.",
        f"Sample: {users} users, one day each, scaled x30 and x{USERS}/{users}.",
        "",
    ]


def bill_table(priced: Sequence[Priced]) -> list[str]:
    services = list(dict.fromkeys(service for p in priced for service in cm.by_service(p.lines)))
    rows = [["per 1,000 MAU a month", *(dollars(p.total) for p in priced)]]
    rows += [[f"  {s}", *(dollars(cm.by_service(p.lines).get(s, Decimal(0))) for p in priced)] for s in services]
    rows += [
        ["API layer (HTTP API + WebSocket API)", *(dollars(p.api_layer) for p in priced)],
        ["  the same on AppSync", *(dollars(cm.total(p.appsync)) for p in priced)],
        ["whole bill with AppSync in its place", *(dollars(p.with_appsync) for p in priced)],
        ["per user a month", *(f"${p.total / USERS:,.4f}" for p in priced)],
    ]
    names = {"pokes": "pokes (WebSocket)", "polling": f"polling (every {POLL_SECONDS} s)"}
    return table(["", *(names[p.month.mode] for p in priced)], rows)


def units_table(priced: Sequence[Priced], prices: dict[str, cm.Price]) -> list[str]:
    keys = list(dict.fromkeys(line.price.key for p in priced for line in [*p.lines, *p.appsync]))
    rows = []
    for key in keys:
        cells = []
        for p in priced:
            line = next((line for line in [*p.lines, *p.appsync] if line.price.key == key), None)
            cells.append(f"{quantity(line.quantity)} {dollars(line.usd)}" if line else "-")
        rows.append([f"{key}: {prices[key].unit}", *cells])
    return ["Billed units per 1,000 MAU a month:", *table(["unit", *(p.month.mode for p in priced)], rows)]


def phases_table(month: Month, prices: dict[str, cm.Price]) -> list[str]:
    rows = [
        [
            phase["phase"],
            dollars(cm.total(cm.bill(month.parts[phase["phase"]].units, prices))),
            str(phase["invocations"]),
            str(phase["aws_calls"]),
            str(phase["http_requests"]),
            str(phase["executions"]),
            str(phase["delayed_left_out"]),
            f"{phase['factor']:,.1f}",
            phase["sample"],
        ]
        for phase in month.phases
    ]
    header = [
        "phase",
        "its bill",
        "invocations",
        "AWS calls",
        "HTTP requests",
        "executions",
        "delayed",
        "factor",
        "what",
    ]
    top = sorted(month.invocations.items(), key=lambda item: item[1], reverse=True)[:8]
    lines = [
        f"{month.mode}, by phase: its bill (its units, and its share of X-Ray's traces and of Lambda's log lines;",
        "connection minutes, silent pushes, storage and Cognito are the month's), what the sample measured, and",
        "the factor to 1,000 users' month:",
    ]
    lines += table(header, rows)
    lines.append("  invocations a month: " + ", ".join(f"{name} {count:,.0f}" for name, count in top))
    if month.mode == "pokes":
        lines.append(
            f"  silent pushes a month: {month.units['sns.requests']:,.0f} due (priced), "
            f"{month.measured_pushes:,.0f} sent in the compressed run"
        )
        lines.append(
            f"  sockets closed by the server, none expected (each reconnected and pulled): {month.closed_by_server}"
        )
    return lines


def fixed_table(lines: Sequence[cm.Line]) -> list[str]:
    rows = [[line.price.key, quantity(line.quantity), dollars(line.usd)] for line in lines]
    return [
        f"The stack's own month, whatever its users: {dollars(cm.total(lines))} (not in the figures above):",
        *table(["unit", "quantity", "a month"], rows),
    ]


def report(
    priced: list[Priced],
    fixed: list[cm.Line],
    skipped: dict[str, str],
    head: list[str],
    prices: dict[str, cm.Price],
    seconds: float,
) -> str:
    lines = list(head)
    for mode, why in skipped.items():
        lines += [f"{mode}: skipped: {why}", ""]
    lines += bill_table(priced)
    lines += ["", *fixed_table(fixed)]
    lines += ["", *units_table(priced, prices)]
    for p in priced:
        lines += ["", *phases_table(p.month, prices)]
    lines += [
        "",
        "Durations are this machine's (moto in the same process), not Lambda's: each function's fastest in each",
        "phase, cold starts left out. Storage: what a sample user holds at the end, for a month.",
        f"Run time: {seconds:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def document(
    priced: list[Priced], fixed: list[cm.Line], skipped: dict[str, str], started: datetime, seconds: float, users: int
) -> dict[str, Any]:
    return {
        "date": started.isoformat(timespec="seconds"),
        "users_sampled": users,
        "run_seconds": round(seconds),
        "skipped": skipped,
        "fixed_usd_a_month": str(cm.total(fixed).quantize(Decimal("0.01"))),
        "fixed_units": {line.price.key: round(line.quantity, 3) for line in fixed},
        "modes": {
            p.month.mode: {
                "usd_per_1000_mau": str(p.total.quantize(Decimal("0.01"))),
                "by_service": {k: str(v.quantize(Decimal("0.01"))) for k, v in cm.by_service(p.lines).items()},
                "api_layer_usd": str(p.api_layer.quantize(Decimal("0.01"))),
                "appsync_api_layer_usd": str(cm.total(p.appsync).quantize(Decimal("0.01"))),
                "units": {line.price.key: round(line.quantity, 3) for line in [*p.lines, *p.appsync]},
                "invocations": {name: round(count) for name, count in p.month.invocations.items()},
                "phases": p.month.phases,
            }
            for p in priced
        },
    }


# ---------------------------------------------------------------- main
def parse(arguments: Sequence[str]) -> tuple[int, list[str]]:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=3, help="users in the sample (at least 1; default 3)")
    parser.add_argument("--modes", default=",".join(MODES), help="pokes, polling or both, comma-separated")
    options = parser.parse_args(arguments)
    modes = [mode.strip() for mode in options.modes.split(",") if mode.strip()]
    if options.users < 1 or not modes or set(modes) - set(MODES):
        parser.error("--users must be at least 1, and --modes name pokes, polling or both")
    return options.users, modes


def measure(template: dict[str, Any], users: int, modes: Sequence[str]) -> tuple[list[Month], Month, int]:
    """Run the samples on a metered stack: each mode's month for 1,000 users, the stack's own month,
    and the image's size."""
    with tempfile.TemporaryDirectory() as scratch:
        log_path = Path(scratch) / "meter.json"
        stack = Stack(template, log_path)
        try:
            if "pokes" in modes and stack.ws_url is None:
                raise RuntimeError("template.yaml has a WebSocket API, but the local stack printed no WebSocket URL")
            run = Run(stack, template, users)
            samples = [run.sample(mode) for mode in modes]
            purge = run.purge()
            executions = stack.executions()
            indexes = cm.SecondaryIndex.of_table(template["Resources"]["NotesTable"]["Properties"])
            stored = {s.mode: statistics.mean(stack.stored_bytes(s.user_ids, indexes)) for s in samples}
        finally:
            stack.stop()
        child = json.loads(log_path.read_text(encoding="utf-8"))
    measured = Measured(
        child["invocations"],
        child["calls"],
        child["access_log"],
        run.client.bytes_out,
        run.client.s3_requests,
        executions,
    )
    functions = Functions.of(template, measured.invocations)
    months = [month_of(s, measured, functions, template, stored[s.mode], len(run.image)) for s in samples]
    return months, fixed_month(purge, measured, functions, template, child["metrics"]), len(run.image)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    users, modes = parse(arguments)
    started, clock = datetime.now(UTC), time.monotonic()
    template, prices = tpl.load(), cm.load_prices()
    skipped = {}
    if "pokes" in modes and not has_websocket_api(template):
        skipped["pokes"] = "template.yaml has no WebSocket API (AWS::ApiGatewayV2::Api, ProtocolType WEBSOCKET)"
        modes.remove("pokes")
    if not modes:
        raise SystemExit("nothing to measure: " + "; ".join(f"{mode}: {why}" for mode, why in skipped.items()))
    months, fixed, image_bytes = measure(template, users, modes)
    priced = [price(month, prices) for month in months]
    fixed_lines = cm.bill(fixed.units, prices)
    seconds = time.monotonic() - clock
    text = report(priced, fixed_lines, skipped, heading(template, prices, image_bytes, users), prices, seconds)
    publish(MODULE, arguments, started, text)
    summary = document(priced, fixed_lines, skipped, started, seconds, users)
    (RESULTS_DIR / "cost.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
