"""GET /v1/openapi.json: the OpenAPI 3.1 document of every route, generated from notes_core's bodies
by `make openapi` (tools/openapi) into this directory, so `sam build` ships it with this function
alone and serving it costs a file read."""

from functools import cache
from pathlib import Path

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler


@cache
def _document() -> str:
    return Path(__file__).with_name("openapi.json").read_text(encoding="utf-8")


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "cache-control": "public, max-age=300"},
        "body": _document(),
    }
