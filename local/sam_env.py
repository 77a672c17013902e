"""`python -m local.sam_env` (what `make sam-env` runs): local/sam-env.json, the `--env-vars` file of
`sam local invoke`, for functions in Docker containers calling the running local stack (`make run`).

For every function of the template, the environment the running stack gives it, read from the
stack's moto (`python -m local` creates the functions in moto's Lambda with it, as CloudFormation
creates them on AWS: local.provision.create_functions): a stack started with overridden parameters
(`TOMBSTONE_RETENTION_DAYS=7 make run`) gives its functions other values, and the pool and client
ids are moto's, drawn at start; the stack is looked for where `make run` listens ($HOST, default
127.0.0.1, and $MOTO_PORT). Every address of the moto server in it (AWS_ENDPOINT_URL, the queue
URLs) is written as a container reaches it: with `--docker host` at the address the stack listens
on (on Linux, the bridge network's gateway address with `HOST=172.17.0.1 make run`, or 127.0.0.1
once `sam local invoke --docker-network host` shares this machine's network: docs/local-stack.md);
with `--docker desktop` (Docker Desktop) as host.docker.internal ("I want to connect from a
container to a service on the host", https://docs.docker.com/desktop/features/networking/networking-how-tos/).

The file is in SAM's per-function format, `{"<logical id>": {"<VARIABLE>": "<value>"}}` ("Environment
variable file", https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-invoke.html).
SAM takes from it only the variables the template declares (samcli/local/lambdafn/env_vars.py,
EnvironmentVariables.resolve), which is why the template declares AWS_ENDPOINT_URL. The credentials
and the region are Lambda's reserved variables, which no template can declare: SAM sets them in the
container from its own session, so the command gives that session the file's values
(`AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing sam local invoke ... --region us-east-1`,
docs/local-stack.md); the file holds them too, as the complete environment of each container.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local import hosts
from local import template as tpl
from local.functions import ENDPOINT_VARIABLE
from local.provision import LOGICAL_ID_TAG, STACK_NAME, STACK_NAME_TAG
from local.stack import LOCAL_ENVIRONMENT

OUTPUT = tpl.ROOT / "local" / "sam-env.json"
DOCKER_VARIABLE = "SAM_DOCKER"
# How a container reaches this machine's loopback, where the stack listens: on this machine's own
# network, or through Docker Desktop's name for the host.
DOCKER_HOSTS = {"host": "127.0.0.1", "desktop": "host.docker.internal"}
# What SAM gives the container from its session rather than from the file (the command sets them).
SESSION_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")


class NoStack(Exception):
    """No local stack answers on the moto port, or it holds another template's functions."""


def running_environments(moto_endpoint: str) -> dict[str, dict[str, str]]:
    """Each function's environment (logical id -> variables) as the stack behind `moto_endpoint` holds it."""
    client: Any = botocore.session.get_session().create_client(  # no stubs of the Lambda client here
        "lambda",
        region_name=tpl.REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id=LOCAL_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2),  # no stack: say so at once
    )
    environments: dict[str, dict[str, str]] = {}
    try:
        for page in client.get_paginator("list_functions").paginate():
            for function in page["Functions"]:
                tags: dict[str, str] = client.list_tags(Resource=function["FunctionArn"])["Tags"]
                if tags.get(STACK_NAME_TAG) == STACK_NAME and LOGICAL_ID_TAG in tags:
                    environments[tags[LOGICAL_ID_TAG]] = function.get("Environment", {}).get("Variables", {})
    except (BotoCoreError, ClientError) as exc:
        raise NoStack(f"no local stack answers on {moto_endpoint} ({exc}): start it with `make run`") from exc
    return environments


def in_container(environment: dict[str, str], moto_endpoint: str, docker: str) -> dict[str, str]:
    """The environment as a container of `docker` needs it: the moto server at the address the
    container reaches it by, and the credentials and region of the stack."""
    container_endpoint = moto_endpoint.replace("127.0.0.1", DOCKER_HOSTS[docker], 1)
    variables = {
        name: container_endpoint + value.removeprefix(moto_endpoint) if value.startswith(moto_endpoint) else value
        for name, value in environment.items()
    }
    return variables | {name: LOCAL_ENVIRONMENT[name] for name in SESSION_VARIABLES}


def env_vars_file(moto_endpoint: str, docker: str, functions: list[str]) -> dict[str, dict[str, str]]:
    """The `--env-vars` document: an entry for each of `functions` (the template's logical ids)."""
    running = running_environments(moto_endpoint)
    missing = sorted(set(functions) - set(running))
    if not running:
        raise NoStack(f"the stack on {moto_endpoint} holds no functions (started by an older checkout?): restart it")
    if missing:
        raise NoStack(f"the local stack on {moto_endpoint} has no {', '.join(missing)}: restart `make run`")
    return {name: in_container(running[name], moto_endpoint, docker) for name in sorted(functions)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sam_env", description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")), help="the stack's MOTO_PORT"
    )
    parser.add_argument(
        "--docker",
        choices=sorted(DOCKER_HOSTS),
        default=os.environ.get(DOCKER_VARIABLE) or ("host" if sys.platform == "linux" else "desktop"),
        help=f"how containers reach this machine (${DOCKER_VARIABLE}; host on Linux, desktop elsewhere)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args(argv)
    if arguments.docker not in DOCKER_HOSTS:  # argparse checks choices only of a value given on the line
        parser.error(f"{DOCKER_VARIABLE} must be one of {', '.join(sorted(DOCKER_HOSTS))}")

    try:  # the stack listens on HOST, as `make run` started it
        listen = hosts.ListenAddress.parse(os.environ.get("HOST", hosts.DEFAULT_HOST))
    except ValueError as exc:
        parser.error(str(exc))
    moto_endpoint = f"http://{hosts.netloc(listen.local_host, arguments.moto_port)}"
    try:
        document: dict[str, Any] = env_vars_file(moto_endpoint, arguments.docker, sorted(tpl.functions(tpl.load())))
    except NoStack as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    arguments.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    endpoint = next(iter(document.values()))[ENDPOINT_VARIABLE]
    print(
        f"{os.path.relpath(arguments.output)}: {len(document)} functions, {ENDPOINT_VARIABLE}={endpoint} "
        f"(--docker {arguments.docker})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
