"""PUT /v1/account/email: change the caller's email; a code is sent to the new address."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.account import ChangeEmailRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.change_email(user, json_body(event, ChangeEmailRequest))
    return respond(202)
