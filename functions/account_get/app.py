"""GET /v1/account: the caller's profile."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import HttpRequest, Response, api_handler, caller, respond


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, account.get_account(caller(event)))
