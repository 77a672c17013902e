"""POST /v1/auth/sign-in: exchange email and password for access, id and refresh tokens."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import auth
from notes_core.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.models.auth import SignInRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, auth.sign_in(json_body(event, SignInRequest), event.source_ip))
