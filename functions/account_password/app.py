"""PUT /v1/account/password: change the caller's password (the current one is required)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.account import ChangePasswordRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.change_password(user, json_body(event, ChangePasswordRequest))
    return respond(204)
