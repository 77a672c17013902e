"""`make sam-env` and `sam local invoke --env-vars local/sam-env.json`, without Docker.

A local stack is started, `python -m local.sam_env` (what `make sam-env` runs) writes the file for
it, and sam-cli's own code (tests/e2e/sam_container_environment.py, in sam-cli's virtualenv) makes
from the template, the file and the session of the documented command
(`AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing sam local invoke ... --region us-east-1`)
the environment of each function's container. A function of each kind then runs in a fresh Python
process with exactly that environment and its events/ fixture, as Lambda's runtime runs it in the
container (tests/e2e/lambda_runtime.py), and the test checks its answer and what it stored.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import template as tpl
from tests.support.events import fixture
from tests.support.local_process import LocalProcess

SAM_PYTHON = tpl.ROOT / ".venv-sam" / "bin" / "python"
FUNCTIONS = tpl.functions(tpl.load())
# The session `sam local invoke` takes credentials and region from, as docs/local-stack.md's command sets it.
COMMAND_SESSION = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REGION = "us-east-1"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalProcess]:
    stack = LocalProcess()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def env_vars(stack: LocalProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file `make sam-env` writes for the running stack, for containers on the host's network."""
    path = tmp_path_factory.mktemp("sam") / "sam-env.json"
    subprocess.run(
        [sys.executable, "-m", "local.sam_env", "--docker", "host", "--output", str(path)],
        cwd=tpl.ROOT,
        env={**os.environ, "MOTO_PORT": str(stack.moto_port)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def containers(env_vars: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each function's container environment, as sam-cli makes it from the template and the file."""
    assert SAM_PYTHON.is_file(), "sam-cli's virtualenv is missing: run `make e2e`"
    home = tmp_path_factory.mktemp("home")  # no ~/.aws of the developer's
    script = tpl.ROOT / "tests" / "e2e" / "sam_container_environment.py"
    made = subprocess.run(
        [str(SAM_PYTHON), str(script), str(env_vars), REGION, *sorted(FUNCTIONS)],
        env={"PATH": os.environ["PATH"], "HOME": str(home), **COMMAND_SESSION},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    environments: dict[str, dict[str, str]] = json.loads(made.stdout)
    return environments


def run_in_container(environment: dict[str, str], function: str, event: dict[str, Any]) -> Any:
    """The function's answer to `event`, run in a fresh process whose environment is `environment` alone."""
    endpoint = environment.get("AWS_ENDPOINT_URL", "")
    assert endpoint.startswith("http://127.0.0.1:"), f"the container would call AWS itself ({endpoint!r})"
    properties = FUNCTIONS[function]
    runtime = tpl.ROOT / "tests" / "e2e" / "lambda_runtime.py"
    ran = subprocess.run(
        [sys.executable, str(runtime), str(tpl.ROOT / properties["CodeUri"]), properties["Handler"]],
        input=json.dumps(event),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def test_the_file_gives_every_container_the_running_stack(
    stack: LocalProcess, env_vars: Path, containers: dict[str, dict[str, str]]
) -> None:
    # Given the file `make sam-env` wrote for the running stack
    document = json.loads(env_vars.read_text(encoding="utf-8"))
    moto = f"http://127.0.0.1:{stack.moto_port}"

    # Then it has an entry for every function: its variables with the stack's resources, moto, and
    # credentials moto accepts
    assert set(document) == set(FUNCTIONS)
    for function, entry in document.items():
        assert set(FUNCTIONS[function]["Environment"]["Variables"]) <= set(entry)
        assert entry["TABLE_NAME"] == stack.aws("dynamodb").list_tables()["TableNames"][0]
        assert entry["USER_POOL_ID"] == stack.aws("cognito-idp").list_user_pools(MaxResults=1)["UserPools"][0]["Id"]
        assert entry["MEDIA_CLEANUP_QUEUE_URL"].startswith(f"{moto}/")
        assert entry["AWS_ENDPOINT_URL"] == moto
        assert (entry["AWS_ACCESS_KEY_ID"], entry["AWS_SECRET_ACCESS_KEY"], entry["AWS_REGION"]) == (
            "testing",
            "testing",
            REGION,
        )
        # and SAM gives the function's container every variable of it, as it is
        assert {name: containers[function].get(name) for name in entry} == entry, function


def test_a_public_route_signs_up_in_the_stacks_user_pool(
    stack: LocalProcess, env_vars: Path, containers: dict[str, dict[str, str]]
) -> None:
    # Given the sign-up fixture, for ann@example.com
    event = fixture("auth_sign_up")
    email = json.loads(event["body"])["email"]

    # When AuthSignUpFunction runs with it in its container's environment
    answer = run_in_container(containers["AuthSignUpFunction"], "AuthSignUpFunction", event)

    # Then it answers 201 and the user waits for confirmation in the stack's pool
    assert answer["statusCode"] == 201
    user_id = json.loads(answer["body"])["user_id"]
    pool = json.loads(env_vars.read_text(encoding="utf-8"))["AuthSignUpFunction"]["USER_POOL_ID"]
    user = stack.aws("cognito-idp").admin_get_user(UserPoolId=pool, Username=email)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert {"Name": "sub", "Value": user_id} in user["UserAttributes"]


def test_an_authorized_route_creates_the_fixture_callers_note(
    stack: LocalProcess, containers: dict[str, dict[str, str]]
) -> None:
    # Given the note-creating fixture, whose claims name its caller (sam local checks no token)
    event = fixture("notes_create")
    caller = event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    note = json.loads(event["body"])

    # When NotesCreateFunction runs with it in its container's environment
    answer = run_in_container(containers["NotesCreateFunction"], "NotesCreateFunction", event)

    # Then it answers 201 and the note is the caller's, in the stack's table
    assert answer["statusCode"] == 201
    assert json.loads(answer["body"])["id"] == note["id"]
    items = stack.aws("dynamodb").query(
        TableName=containers["NotesCreateFunction"]["TABLE_NAME"],
        KeyConditionExpression="user_id = :caller",
        ExpressionAttributeValues={":caller": {"S": caller}},
        ConsistentRead=True,
    )["Items"]
    stored = [item for item in items if item.get("id") == {"S": note["id"]} and "title" in item]
    assert [item["title"]["S"] for item in stored] == [note["title"]]


def test_a_queue_consumer_deletes_the_objects_of_its_message(
    stack: LocalProcess, containers: dict[str, dict[str, str]]
) -> None:
    # Given an object under the key the cleanup fixture's message names
    event = fixture("media_cleanup_worker")
    (key,) = json.loads(event["Records"][0]["body"])["keys"]
    bucket = containers["MediaCleanupWorkerFunction"]["BUCKET_NAME"]
    s3 = stack.aws("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=b"an image")

    # When MediaCleanupWorkerFunction runs with the fixture in its container's environment
    answer = run_in_container(containers["MediaCleanupWorkerFunction"], "MediaCleanupWorkerFunction", event)

    # Then no message failed and the object is gone
    assert answer == {"batchItemFailures": []}
    assert s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount") == 0
