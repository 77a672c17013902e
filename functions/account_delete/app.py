"""DELETE /v1/account: delete the caller's account, notes and media (delete-account state machine)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(202, account.delete_account(caller(event)))
