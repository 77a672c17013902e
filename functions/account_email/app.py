"""PUT /v1/account/email: change the caller's email; a code is sent to the new address."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.models.account import ChangeEmailRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.change_email(user, json_body(event, ChangeEmailRequest))
    return respond(202)
