"""The local stack without its HTTP front: moto, the template's resources, the functions.

`python -m local` adds the HTTP front (and the queue workers) on top; the integration tests use
this directly and invoke handlers in-process.
"""

import os
import re
from typing import Any

import boto3

from local import hosts
from local import template as tpl
from local.functions import Functions
from local.moto_server import MotoServer
from local.provision import Provisioned, create_functions, provision

# Credentials moto accepts. Functions reach moto through AWS_ENDPOINT_URL; tracing and metrics
# are off (no X-Ray daemon here, and EMF lines would drown the request log). LAMBDA_TASK_ROOT is
# set as Lambda sets it for every function ("the path to your Lambda function code", one of the
# defined runtime environment variables:
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
# the X-Ray SDK, imported with the Powertools tracer even when tracing is off, reads it, and without
# it builds a sampler with two X-Ray clients (0.2 s of the first request).
LOCAL_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(tpl.ROOT),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": tpl.REGION,
    "AWS_REGION": tpl.REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def environment_name(parameter: str) -> str:
    """TombstoneRetentionDays -> TOMBSTONE_RETENTION_DAYS."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", parameter).upper()


def parameter_overrides(template: dict[str, Any], environ: dict[str, str]) -> dict[str, str]:
    """Template parameters overridden by environment variables named after them in UPPER_SNAKE."""
    names = template.get("Parameters", {})
    return {name: environ[environment_name(name)] for name in names if environment_name(name) in environ}


class LocalStack:
    def __init__(
        self, moto_port: int = 0, parameters: dict[str, str] | None = None, host: hosts.ListenAddress = hosts.LOOPBACK
    ) -> None:
        os.environ.update(LOCAL_ENVIRONMENT)
        self.moto = MotoServer(moto_port, host).start()
        os.environ["AWS_ENDPOINT_URL"] = self.moto.endpoint_url
        self.session = boto3.Session(region_name=tpl.REGION)
        template = tpl.load()
        overrides = parameter_overrides(template, dict(os.environ)) | dict(parameters or {})
        try:
            self.provisioned: Provisioned = provision(
                self.session, endpoint_url=self.moto.endpoint_url, parameters=overrides, template=template
            )
        except BaseException:
            self.moto.stop()
            raise
        self.functions = Functions(self.provisioned, self.moto.endpoint_url)
        self.functions.prepare()

    def create_functions(self) -> None:
        """The functions in moto's Lambda, each with the environment this stack gives it (`python -m
        local` does this, for `make sam-env`; 0.3 s the integration tier does without)."""
        create_functions(self.session, self.moto.endpoint_url, self.provisioned, self.functions.environment)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.moto.endpoint_url)  # type: ignore[call-overload]

    def ref(self, logical_id: str) -> Any:
        return self.provisioned.ref(logical_id)

    def stop(self) -> None:
        self.moto.stop()
