"""POST /v1/auth/sign-out: revoke the caller's refresh tokens; older access tokens stop writing."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, respond
from notes_core.usecases import account


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    account.sign_out(caller(event))
    return respond(204)
