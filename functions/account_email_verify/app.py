"""POST /v1/account/email/verify: confirm the new email with the code sent to it."""

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import Response, api_handler, caller, json_body, respond
from notes_core.models.account import VerifyEmailRequest


@api_handler
def handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> Response:
    user = caller(event)
    account.verify_email(user, json_body(event, VerifyEmailRequest))
    return respond(204)
