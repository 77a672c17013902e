"""POST /v1/auth/forgot-password: email a reset code (the same answer for any email)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import auth
from notes_core.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.models.auth import EmailRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    auth.forgot_password(json_body(event, EmailRequest), event.source_ip)
    return respond(202)
