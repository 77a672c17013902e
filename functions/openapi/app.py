"""GET /v1/openapi.json: the OpenAPI 3 document of every route (generated from notes_core's models)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler
from notes_core.openapi import published_document


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "cache-control": "public, max-age=300"},
        "body": published_document(),
    }
