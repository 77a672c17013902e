"""POST /v1/auth/sign-in: exchange email and password for access, id and refresh tokens."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import SignInRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, auth.sign_in(json_body(event, SignInRequest), event.source_ip))
