"""PATCH /v1/account: change the caller's full name."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.models.account import UpdateAccountRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    return respond(200, account.update_account(user, json_body(event, UpdateAccountRequest)))
