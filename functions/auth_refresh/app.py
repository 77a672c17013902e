"""POST /v1/auth/refresh: exchange a refresh token for new access and id tokens."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import RefreshRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, auth.refresh(json_body(event, RefreshRequest), event.source_ip))
