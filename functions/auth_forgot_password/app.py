"""POST /v1/auth/forgot-password: email a reset code (the same answer for any email)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import EmailRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    auth.forgot_password(json_body(event, EmailRequest), event.source_ip)
    return respond(202)
