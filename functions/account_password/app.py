"""PUT /v1/account/password: change the caller's password (the current one is required)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.models.account import ChangePasswordRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.change_password(user, json_body(event, ChangePasswordRequest))
    return respond(204)
