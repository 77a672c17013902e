"""POST /v1/auth/reset-password: set a new password with the emailed reset code."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import ResetPasswordRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    auth.reset_password(json_body(event, ResetPasswordRequest), event.source_ip)
    return respond(204)
