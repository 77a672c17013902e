"""What a note deletion costs: state transitions of its delete-note execution (target <= 8), and
the time from DELETE /v1/notes/{id} to an empty object prefix on the local stack.

How: `python -m local` is started on free loopback ports (as the e2e tier does); for each run a
user creates a note, uploads N images over the presigned POST and waits for them to be ready; then
the note is deleted over HTTP and the bucket prefix is polled (every 50 ms, through moto) until it
is empty. Transitions are the execution's *StateEntered events (Map iterations included). The
local stack's queue pollers sleep 0.2 s when a queue is empty, so the time includes up to that
much polling delay, as Lambda's event source mapping adds its own on AWS. Figures are printed and
written to bench/results/deletion.txt; nothing is asserted.

    python -m bench.deletion [--runs N] [--images N]
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

from bench.results_file import publish
from tests.support.local_process import LocalProcess
from tests.support.media import PNG, post_upload

PASSWORD = "Correct-Horse-1"


class Session:
    def __init__(self, stack: LocalProcess) -> None:
        self.base = stack.base_url
        self.http = requests.Session()
        aws = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        endpoint = f"http://127.0.0.1:{stack.moto_port}"
        self.s3: Any = aws.client("s3", endpoint_url=endpoint)
        self.sfn: Any = aws.client("stepfunctions", endpoint_url=endpoint)
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        self.call("POST", "/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "full_name": "Bench"})
        self.call("POST", "/v1/auth/confirm", json={"email": email, "code": "1"})
        self.token = self.call("POST", "/v1/auth/sign-in", json={"email": email, "password": PASSWORD})["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {self.token}"} if hasattr(self, "token") else {}
        reply = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        reply.raise_for_status()
        return reply.json() if reply.content else None


def one_run(session: Session, images: int) -> tuple[float, int]:
    note = session.call("POST", "/v1/notes", json={"title": "bench", "content": "images"})
    bucket, prefix = "", ""
    for _ in range(images):
        slot = session.call(
            "POST", f"/v1/notes/{note['id']}/media", json={"content_type": "image/png", "size": len(PNG)}
        )
        post_upload(slot["upload"], PNG)
        bucket = slot["upload"]["url"].rstrip("/").rsplit("/", 1)[-1]
        prefix = slot["upload"]["fields"]["key"].rsplit("/", 1)[0] + "/"
        while session.call("GET", f"/v1/notes/{note['id']}/media/{slot['media_id']}")["status"] != "ready":
            time.sleep(0.05)
    assert session.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["KeyCount"] == images

    started = time.perf_counter()
    tombstone = session.call("DELETE", f"/v1/notes/{note['id']}")
    while session.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started

    machine = next(
        m["stateMachineArn"] for m in session.sfn.list_state_machines()["stateMachines"] if "deletenote" in m["name"]
    )
    name = f"{note['id']}-v{tombstone['version']}-"
    execution = next(
        e for e in session.sfn.list_executions(stateMachineArn=machine)["executions"] if e["name"].startswith(name)
    )
    while session.sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        time.sleep(0.05)
    events = session.sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    return elapsed, sum(event["type"].endswith("StateEntered") for event in events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--images", type=int, default=3)
    arguments = parser.parse_args()

    started = datetime.now(UTC)
    stack = LocalProcess()
    try:
        session = Session(stack)
        one_run(session, arguments.images)  # warm-up: cold handlers, first executions
        results = [one_run(session, arguments.images) for _ in range(arguments.runs)]
    finally:
        stack.stop()

    seconds = [result[0] for result in results]
    transitions = sorted({result[1] for result in results})
    text = (
        f"note deletion with {arguments.images} ready images, {arguments.runs} runs on the local stack\n"
        f"state transitions per delete-note execution: {', '.join(map(str, transitions))} (target <= 8)\n"
        f"DELETE -> empty prefix: median {statistics.median(seconds):.3f} s, "
        f"min {min(seconds):.3f} s, max {max(seconds):.3f} s\n"
    )
    publish("bench.deletion", sys.argv[1:], started, text)


if __name__ == "__main__":
    main()
