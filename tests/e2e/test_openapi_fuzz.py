"""schemathesis, every check, against a local stack: the API answers as its OpenAPI document says.

It runs a bounded number of examples per operation (NOTES_SYNC_FUZZ_EXAMPLES, default 10: about
1,100 requests in under a minute on two cores) with the fixed seed of tests/e2e/schemathesis.toml.
Run it longer with `make fuzz` (100 examples per operation; `make fuzz FUZZ_EXAMPLES=500`), with
another seed with NOTES_SYNC_FUZZ_SEED=<n>. Who it signs in as and the allow-list are in
tests/e2e/schemathesis_hooks.py.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local import template as tpl
from tests.support.local_process import SHARED_SOURCE_LIMITS, LocalProcess
from tools.openapi.generate import OPERATIONS

CONFIG = Path(__file__).with_name("schemathesis.toml")
PUSH_PLATFORMS = {
    "FCM_PLATFORM_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/GCM/fuzzed",
    "APNS_PLATFORM_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/APNS/fuzzed",
    "APNS_SANDBOX_PLATFORM_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/fuzzed",
}
EXAMPLES = os.environ.get("NOTES_SYNC_FUZZ_EXAMPLES", "10")


def _tested(events: Path) -> set[str]:
    """The operations some case of the run was sent to."""
    labels = set()
    for line in events.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if finished and finished["recorder"].get("cases") and finished["phase"] != "stateful":
            labels.add(finished["recorder"]["label"])
    return labels


@pytest.fixture(scope="module")
def fuzzed_stack() -> Iterator[LocalProcess]:
    """A stack of its own: the fuzzer's thousands of users and notes slow nobody else's tests. It has
    a platform application for each push platform, so that every schema-valid registration of a
    device is kept (without one, registering answers push-not-configured: the deployment's choice)."""
    stack = LocalProcess({**SHARED_SOURCE_LIMITS, **PUSH_PLATFORMS})
    yield stack
    stack.stop()


def test_every_operation_answers_as_the_document_says(fuzzed_stack: LocalProcess, tmp_path: Path) -> None:
    report, events = tmp_path / "schemathesis.json", tmp_path / "schemathesis.ndjson"
    # The document the stack serves, from a file: loaded from its URL, schemathesis leaves out the
    # operation that serves it.
    document = tmp_path / "openapi.json"
    document.write_bytes(requests.get(f"{fuzzed_stack.base_url}/v1/openapi.json", timeout=30).content)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(document),
        "--url",
        fuzzed_stack.base_url,
        "--max-examples",
        EXAMPLES,
        "--report",
        "json,ndjson",
        "--report-json-path",
        str(report),
        "--report-ndjson-path",
        str(events),
    ]
    if "NOTES_SYNC_FUZZ_SEED" in os.environ:
        command += ["--seed", os.environ["NOTES_SYNC_FUZZ_SEED"]]
    environment = {
        **os.environ,
        "NOTES_SYNC_FUZZ_URL": fuzzed_stack.base_url,
        "PYTHONPATH": f"{tpl.ROOT}:{tpl.ROOT / 'layers' / 'core'}",
    }

    run = subprocess.run(command, cwd=tpl.ROOT, env=environment, capture_output=True, text=True, check=False)

    assert run.returncode == 0, run.stdout[-30000:] + run.stderr[-5000:]
    summary = json.loads(report.read_text())
    assert summary["errors"] == []
    assert _tested(events) == {f"{operation.method} {operation.path}" for operation in OPERATIONS}
    print(f"schemathesis: {summary['test_cases']['generated']} cases in {summary['running_time']:.0f} s")
