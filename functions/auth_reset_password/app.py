"""POST /v1/auth/reset-password: set a new password with the emailed reset code."""

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import auth
from notes_core.http import Response, api_handler, json_body, respond
from notes_core.models.auth import ResetPasswordRequest


@api_handler
def handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> Response:
    auth.reset_password(json_body(event, ResetPasswordRequest))
    return respond(204)
