"""POST /v1/auth/sign-up: register a user; Cognito emails a confirmation code."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import SignUpRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(201, auth.sign_up(json_body(event, SignUpRequest), event.source_ip))
