"""POST /v1/account/email/verify: confirm the new email with the code sent to it."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.models.account import VerifyEmailRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.verify_email(user, json_body(event, VerifyEmailRequest))
    return respond(204)
