"""PATCH /v1/account: change the caller's full name."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.account import UpdateAccountRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    return respond(200, account.update_account(user, json_body(event, UpdateAccountRequest)))
