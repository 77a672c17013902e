"""POST /v1/account/email/verify: confirm the new email with the code sent to it."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.account import VerifyEmailRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    account.verify_email(user, json_body(event, VerifyEmailRequest))
    return respond(204)
