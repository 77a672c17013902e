"""Cold starts of every function in template.yaml, compared with a bare boto3 handler.

What is measured: for each function, the time from just before its handler module is imported to
just after its first invocation returns, in a fresh Python process (interpreter start-up is not
counted). The event is the function's fixture in events/, made to do real work against the local
stack: a real user, real tokens and claims on authorized routes, a fresh email where the fixture
would otherwise conflict, and for the media-events worker a real upload (a tiny PNG in a slot
reserved on a note), so its run checks an image and imports the image library as it then does.
The baseline is a bare handler that imports boto3, builds one DynamoDB client at module scope and
makes one DescribeTable call on its first invocation, measured the same way; each function's
figure is its median over N runs divided by the baseline's median.

How: this process starts the local stack (moto on 127.0.0.1, every resource provisioned from the
template, the functions' environment in os.environ). Each run is a child process of the same
Python with that environment plus what Lambda sets (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME,
AWS_LAMBDA_FUNCTION_MEMORY_SIZE, _X_AMZN_TRACE_ID) and without the local stack's switches that
turn off Powertools' tracer and metrics, so both behave as in Lambda (X-Ray segments go to UDP
127.0.0.1:2000 and are dropped). Its sys.path is the function's code directory, the layer
(layers/core) and the interpreter's own paths with site-packages, as in Lambda; it imports the
handler module by its plain name (`app`), as Lambda does. Runs go round-robin (a round is the
baseline and then every function) after one unrecorded round that warms the disk and bytecode
caches; before each run, the stack finishes any state machine execution a previous run started
(moto runs them in this process, and they would compete with the run for the CPU). Figures are
printed, and written to bench/results/cold_start.txt; nothing is asserted.

    python -m bench.cold_start [--runs N]
"""

import base64
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from bench.results_file import parse_runs, publish
from local import template as tpl
from local.front import claim_text
from local.stack import LocalStack
from tests.support.events import new_source_ip

ROOT = tpl.ROOT
LAYER_PATH = ROOT / "layers" / "core"
EVENTS_DIR = ROOT / "events"

MODULE = "bench.cold_start"
DEFAULT_RUNS = 7
MIN_RUNS = 5
API_TARGET_RATIO = 1.3  # functions behind the API: a client waits for their cold start
WORKER_TARGET_RATIO = 1.5  # queue consumers
MEMORY_SIZE_MB = 1024
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
# Switches the local stack sets for in-process handlers; Lambda has neither.
LOCAL_ONLY_VARIABLES = ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED")
CHILD_TIMEOUT_SECONDS = 120


def _tiny_png() -> bytes:
    written = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(written, format="PNG")
    return written.getvalue()


PNG = _tiny_png()  # what the media-events worker's run checks
PASSWORD = "Correct-Horse-1"
NEW_PASSWORD = "Correct-Horse-2"
CODE = "123456"  # moto accepts any code that it did not issue itself
BASELINE = "bare boto3 handler"
RESULT_MARKER = "COLD_START_RESULT "

# The child program, run as `python -c CHILD <code dir> <layer> <repo root> <module> <attribute>
# <function name> <timeout>` with the event on stdin. Everything it imports before the clock
# starts (json, os, sys, time) is imported by Lambda's own runtime too. The functions log and emit
# metrics on stdout, so the result is the last line that starts with RESULT_MARKER.
CHILD = f"""
import json, os, sys, time

code_dir, layer, root, module_name, attribute, function_name, timeout = sys.argv[1:8]
sys.path[:] = [code_dir, layer] + [p for p in sys.path if p and os.path.realpath(p) != root]
region = os.environ.get("AWS_REGION", "us-east-1")


class Context:
    function_name = function_name
    function_version = "$LATEST"
    memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
    invoked_function_arn = f"arn:aws:lambda:{{region}}:123456789012:function:{{function_name}}"
    aws_request_id = os.urandom(16).hex()
    log_group_name = f"/aws/lambda/{{function_name}}"
    log_stream_name = "bench"
    deadline = time.monotonic() + float(timeout)

    def get_remaining_time_in_millis(self):
        return max(0, int((self.deadline - time.monotonic()) * 1000))


event = json.loads(sys.stdin.read())
context = Context()
started = time.perf_counter()
__import__(module_name)
imported = time.perf_counter()
result = getattr(sys.modules[module_name], attribute)(event, context)
finished = time.perf_counter()
status = result.get("statusCode") if isinstance(result, dict) else None
sys.stdout.flush()
answer = {{"seconds": finished - started, "import_seconds": imported - started, "status": status}}
print({RESULT_MARKER!r} + json.dumps(answer), flush=True)
"""

# The baseline: boto3 and one client at module scope, one real AWS call in the first invocation.
BARE_HANDLER = '''"""A bare handler: boto3, one client, one call."""

import os

import boto3

_dynamodb = boto3.client("dynamodb")


def handler(event, context):
    _dynamodb.describe_table(TableName=os.environ["TABLE_NAME"])
    return {"statusCode": 200}
'''


@dataclass(frozen=True)
class Target:
    """A handler to cold-start: its code directory and Lambda `Handler` split in two."""

    name: str
    code_dir: Path
    module: str
    attribute: str
    timeout: float
    target_ratio: float = API_TARGET_RATIO


@dataclass(frozen=True)
class Sample:
    seconds: float
    import_seconds: float
    status: int | None


@dataclass
class Series:
    target: Target
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    @property
    def minimum(self) -> float:
        return min(sample.seconds for sample in self.samples)

    @property
    def import_median(self) -> float:
        return statistics.median(sample.import_seconds for sample in self.samples)

    @property
    def statuses(self) -> str:
        found = sorted({str(sample.status) for sample in self.samples})
        return ",".join(found)


# ---------------------------------------------------------------- targets and events
def function_targets(template: dict[str, Any]) -> list[Target]:
    """Every AWS::Serverless::Function of the template, in template order."""
    targets = []
    workers = {source.function for source in tpl.queue_sources(template)}
    for logical_id, properties in tpl.functions(template).items():
        module, attribute = str(properties["Handler"]).rsplit(".", 1)
        targets.append(
            Target(
                name=logical_id,
                code_dir=ROOT / str(properties["CodeUri"]).strip("/"),
                module=module,
                attribute=attribute,
                timeout=float(properties.get("Timeout", 3)),
                target_ratio=WORKER_TARGET_RATIO if logical_id in workers else API_TARGET_RATIO,
            )
        )
    return targets


def jwt_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified: the base64url JSON between its two dots."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str


class UserPool:
    """Users in the local stack's Cognito pool, made through the app client as the app would."""

    def __init__(self, cognito: Any, client_id: str) -> None:
        self._cognito = cognito
        self._client_id = client_id

    def new_user(self, confirmed: bool) -> str:
        email = new_email()
        self._cognito.sign_up(
            ClientId=self._client_id,
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Bench User"}],
        )
        if confirmed:
            self._cognito.confirm_sign_up(ClientId=self._client_id, Username=email, ConfirmationCode=CODE)
        return email

    def sign_in(self, email: str) -> Tokens:
        reply = self._cognito.initiate_auth(
            ClientId=self._client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        result = reply["AuthenticationResult"]
        return Tokens(access=result["AccessToken"], refresh=result["RefreshToken"])


def new_email() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}@example.com"


class Events:
    """For each function, an event that makes its first invocation do real work (one per run).

    Authorized routes get a new user on every run (routes change its password or email, sign it
    out or delete it), with its access token and that token's claims. The note a route's fixture
    names is created for that user first (and edited to the version its If-Match names), and an
    image reserved on it when the fixture names one, so that the routes of a note or an image
    find it and succeed. Bodies of the auth routes are rebuilt per run where the fixture's would
    conflict or meet a per-email limit: a new email to sign up, a new unconfirmed user to confirm
    or resend a code to, a new confirmed user to sign in, ask a reset code for or reset; each
    sent from an address of its own (the per-source limits).
    """

    def __init__(self, pool: UserPool, stack: LocalStack) -> None:
        self._pool = pool
        self._stack = stack
        self._main_tokens = pool.sign_in(pool.new_user(confirmed=True))
        self._bodies: dict[str, Callable[[], dict[str, Any]]] = {
            "auth_sign_up": lambda: {"email": new_email(), "password": PASSWORD, "full_name": "Bench User"},
            "auth_confirm": lambda: {"email": pool.new_user(confirmed=False), "code": CODE},
            "auth_resend_code": lambda: {"email": pool.new_user(confirmed=False)},
            "auth_sign_in": lambda: {"email": pool.new_user(confirmed=True), "password": PASSWORD},
            "auth_refresh": lambda: {"refresh_token": self._main_tokens.refresh},
            "auth_forgot_password": lambda: {"email": pool.new_user(confirmed=True)},
            "auth_reset_password": lambda: {
                "email": pool.new_user(confirmed=True),
                "code": CODE,
                "new_password": NEW_PASSWORD,
            },
        }

    def event(self, target: Target) -> dict[str, Any]:
        fixture_path = EVENTS_DIR / f"{target.code_dir.name}.json"
        if not fixture_path.is_file():
            raise SystemExit(f"{target.name}: no fixture {fixture_path.relative_to(ROOT)} to invoke it with")
        event: dict[str, Any] = json.loads(fixture_path.read_text())
        body = self._bodies.get(target.code_dir.name)
        if body is not None:
            event["body"] = json.dumps(body())
            event["requestContext"]["http"]["sourceIp"] = new_source_ip()
        jwt = event.get("requestContext", {}).get("authorizer", {}).get("jwt")
        if jwt is not None and "claims" in jwt:
            # A user of its own for every run: some routes change the password or the email,
            # sign the user out or delete the account.
            access = self._pool.sign_in(self._pool.new_user(confirmed=True)).access
            event["headers"]["authorization"] = f"Bearer {access}"
            jwt["claims"] = {name: claim_text(value) for name, value in jwt_claims(access).items()}
            self._prepare_note(event)
        if target.code_dir.name == "media_events_worker":
            self._upload_image(event)
        return event

    def _upload_image(self, event: dict[str, Any]) -> None:
        """Point the fixture's S3 notification at a real upload (a tiny PNG in a slot reserved on a
        note of a new user), so the run checks an image as a worker's first upload does."""
        access = self._pool.sign_in(self._pool.new_user(confirmed=True)).access
        claims = {name: claim_text(value) for name, value in jwt_claims(access).items()}
        as_user = {
            "headers": {"authorization": f"Bearer {access}"},
            "requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": None}}},
        }
        note = json.loads(self._invoke("notes_create", as_user, body={"title": "t", "content": "c"})["body"])
        slot = self._invoke(
            "media_request_upload", as_user, body={"content_type": "image/png", "size": len(PNG)}, note_id=note["id"]
        )
        key = f"media/{claims['sub']}/{note['id']}/{json.loads(slot['body'])['media_id']}"
        bucket = self._stack.ref("MediaBucket")
        self._stack.client("s3").put_object(Bucket=bucket, Key=key, Body=PNG, ContentType="image/png")
        message = json.loads(event["Records"][0]["body"])
        message["Records"][0]["s3"]["object"].update(key=key, size=len(PNG))
        event["Records"][0]["body"] = json.dumps(message)

    def _prepare_note(self, event: dict[str, Any]) -> None:
        """Create the note the event names for its user, at the version its If-Match names, with
        an image reserved when it names one (its media id then becomes the event's)."""
        path = event.get("pathParameters") or {}
        if "id" not in path:
            return
        as_user = {"headers": event["headers"], "requestContext": event["requestContext"]}
        created = self._invoke("notes_create", as_user, body={"id": path["id"], "title": "t", "content": "c"})
        version = json.loads(created["body"])["version"]
        wanted = int(event["headers"].get("if-match", '"1"').strip('"'))
        while version < wanted:
            edit = {"id": path["id"], "base_version": version, "title": f"t{version}"}
            edited = self._invoke("notes_batch", as_user, body={"update": [edit]})
            version = json.loads(edited["body"])["results"][0]["note"]["version"]
        if "media_id" in path:
            slot = self._invoke(
                "media_request_upload", as_user, body={"content_type": "image/png", "size": 100}, note_id=path["id"]
            )
            media_id = json.loads(slot["body"])["media_id"]
            event["rawPath"] = event["rawPath"].replace(path["media_id"], media_id)
            path["media_id"] = media_id

    def _invoke(
        self, fixture: str, as_user: dict[str, Any], body: dict[str, Any], note_id: str | None = None
    ) -> dict[str, Any]:
        """A function of the stack, in this process, with `fixture`'s event as `as_user`."""
        event: dict[str, Any] = json.loads((EVENTS_DIR / f"{fixture}.json").read_text())
        event["headers"] = {**event["headers"], "authorization": as_user["headers"]["authorization"]}
        event["requestContext"]["authorizer"] = as_user["requestContext"]["authorizer"]
        event["body"] = json.dumps(body)
        if note_id is not None:
            event["pathParameters"]["id"] = note_id
        function = next(
            t.name for t in function_targets(self._stack.provisioned.template) if t.code_dir.name == fixture
        )
        result: dict[str, Any] = self._stack.functions.invoke(function, event)
        if result["statusCode"] >= 300:
            raise RuntimeError(f"preparing a note: {fixture} answered {result['statusCode']}: {result.get('body')}")
        return result


# ---------------------------------------------------------------- child processes
def child_environment(target: Target) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in LOCAL_ONLY_VARIABLES}
    environment.update(
        LAMBDA_TASK_ROOT=str(target.code_dir),
        AWS_LAMBDA_FUNCTION_NAME=target.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(MEMORY_SIZE_MB),
        _X_AMZN_TRACE_ID=TRACE_ID,
    )
    return environment


def cold_start(target: Target, event: dict[str, Any]) -> Sample:
    """Import `target`'s handler module and invoke it once, in a fresh process."""
    arguments = [str(target.code_dir), str(LAYER_PATH), str(ROOT), target.module, target.attribute, target.name]
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, *arguments, str(target.timeout)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=child_environment(target),
        cwd=target.code_dir,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"{target.name}: the child process failed (exit {completed.returncode}):\n"
            f"{completed.stderr[-4000:]}{completed.stdout[-2000:]}"
        )
    answer = json.loads(lines[-1].removeprefix(RESULT_MARKER))
    status = answer["status"]
    return Sample(
        float(answer["seconds"]), float(answer["import_seconds"]), int(status) if status is not None else None
    )


def measure(
    targets: Sequence[Target], event_for: Callable[[Target], dict[str, Any]], runs: int, settle: Callable[[], None]
) -> list[Series]:
    """`runs` cold starts of every target, round-robin, after one unrecorded warm-up round. Before
    each one the stack is let settle (`settle`), so that no work a previous invocation started
    (a deletion's state machine, run by moto in this process) competes with it for the CPU."""
    series = [Series(target) for target in targets]
    for round_number in range(runs + 1):
        label = "warm-up round" if round_number == 0 else f"round {round_number}/{runs}"
        print(f"{label} ...", file=sys.stderr, flush=True)
        for one in series:
            event = event_for(one.target)
            settle()
            sample = cold_start(one.target, event)
            if round_number > 0:
                one.samples.append(sample)
    return series


def executions_finished(stack: LocalStack, seconds: float = 60) -> None:
    """Wait (at most `seconds`) until no state machine execution of the stack is running."""
    sfn = stack.client("stepfunctions")
    machines = [
        stack.ref(logical_id)
        for logical_id, resource in stack.provisioned.template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    ]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(
        sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] for arn in machines
    ):
        time.sleep(0.05)


# ---------------------------------------------------------------- report
def report(baseline: Series, functions: Sequence[Series], runs: int) -> str:
    bare, bare_min = baseline.median, baseline.minimum
    rows = [
        (
            one.target.name,
            f"{one.median:.3f}",
            f"{one.minimum:.3f}",
            f"{max(s.seconds for s in one.samples):.3f}",
            f"{one.median / bare:.2f}x",
            f"{one.minimum / bare_min:.2f}x",
            f"{one.target.target_ratio:.1f}x",
            f"{one.import_median:.3f}",
            one.statuses,
        )
        for one in functions
    ]
    header = ("function", "median s", "min s", "max s", "ratio", "min ratio", "target", "import s", "status")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    worst = max(functions, key=lambda one: one.median / bare / one.target.target_ratio)
    over = [one.target.name for one in functions if one.median / bare > one.target.target_ratio]
    over_min = [one.target.name for one in functions if one.minimum / bare_min > one.target.target_ratio]
    worst_import = max(functions, key=lambda one: one.import_median)
    baseline_samples = [s.seconds for s in baseline.samples]
    lines = [
        f"Cold start = import of the handler module + first invocation, fresh process, {runs} runs each;",
        "ratio = median / bare median; min ratio = fastest run / bare's fastest (this machine's noise",
        "is mostly added time, so the fastest run is the steadier estimate); target: 1.3x behind the API,",
        "1.5x for queue consumers; import s = median of the import alone; status = first invocation's.",
        "",
        line(header),
        line(tuple("-" * width for width in widths)),
        *(line(row) for row in rows),
        "",
        f"{BASELINE}: median {bare:.3f} s (min {bare_min:.3f}, max {max(baseline_samples):.3f}), "
        f"import {baseline.import_median:.3f} s, status {baseline.statuses}",
        f"largest ratio to its target: {worst.median / bare:.2f}x ({worst.target.name}, target "
        f"{worst.target.target_ratio}x)",
        f"over the target by the median: {', '.join(over) if over else 'none'}",
        f"over the target by the fastest run: {', '.join(over_min) if over_min else 'none'}",
        f"largest ratio of the import alone: {worst_import.import_median / baseline.import_median:.2f}x "
        f"({worst_import.target.name})",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    runs = parse_runs(MODULE, __doc__.splitlines()[0] if __doc__ else "", arguments, DEFAULT_RUNS, MIN_RUNS)
    started = datetime.now(UTC)
    stack = LocalStack()
    try:
        events = Events(UserPool(stack.client("cognito-idp"), os.environ["USER_POOL_CLIENT_ID"]), stack)
        targets = function_targets(stack.provisioned.template)
        with tempfile.TemporaryDirectory(prefix="bench-bare-") as bare_dir:
            Path(bare_dir, "app.py").write_text(BARE_HANDLER)
            bare = Target(BASELINE, Path(bare_dir), "app", "handler", timeout=10.0)

            def event_for(target: Target) -> dict[str, Any]:
                return {} if target is bare else events.event(target)

            baseline, *functions = measure([bare, *targets], event_for, runs, lambda: executions_finished(stack))
    finally:
        stack.stop()
    text = report(baseline, functions, runs)
    publish(MODULE, arguments, started, text)


if __name__ == "__main__":
    main()
