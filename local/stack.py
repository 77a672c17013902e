"""The local stack without its fronts: moto, the template's resources, the functions, and the
loopback @connections endpoint of the WebSocket API (local.connections).

`python -m local` adds the HTTP and WebSocket fronts (and the queue and stream pollers) on top; the
integration tests use this directly and invoke handlers in-process.

Two values of the functions' environment name AWS endpoints that the local stack serves itself,
and are given the local stack's URL in their place (an explicit endpoint wins over
AWS_ENDPOINT_URL, so moto's alone would not do):
- the user pool's keys, https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json:
  moto serves them at <moto>/<pool id>/.well-known/jwks.json (the tokens' issuer stays AWS's URL);
- a WebSocket API's @connections endpoint, https://<api id>.execute-api.<region>.amazonaws.com/<stage>:
  the local stack's @connections listener, http://127.0.0.1:<port>/<stage>.
"""

import os
import re
from typing import Any

import boto3

from local import hosts
from local import template as tpl
from local.connections import Connections
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
        self.connections = Connections().start()
        self.functions = Functions(self.provisioned, self.moto.endpoint_url, self.local_endpoints())
        self.functions.prepare()

    def create_functions(self) -> None:
        """The functions in moto's Lambda, each with the environment this stack gives it (`python -m
        local` does this, for `make sam-env`; 0.3 s the integration tier does without)."""
        create_functions(self.session, self.moto.endpoint_url, self.provisioned, self.functions.environment)

    def local_endpoints(self) -> dict[str, str]:
        """{AWS's URL: the local stack's} for the endpoints it serves itself (the module's docstring)."""
        region, moto = self.session.region_name, self.moto.endpoint_url
        served: dict[str, str] = {}
        for logical_id, resource in self.provisioned.template["Resources"].items():
            if resource["Type"] == "AWS::Cognito::UserPool":
                pool = self.ref(logical_id)
                served[f"https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json"] = (
                    f"{moto}/{pool}/.well-known/jwks.json"
                )
        for api in tpl.websocket_apis(self.provisioned.template):
            api_id, stage = self.ref(api.api), self.ref(api.stage)
            served[f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"] = f"{self.connections.url}/{stage}"
        return served

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.moto.endpoint_url)  # type: ignore[call-overload]

    def ref(self, logical_id: str) -> Any:
        return self.provisioned.ref(logical_id)

    def stop(self) -> None:
        self.connections.stop()
        self.moto.stop()
