"""POST /v1/auth/sign-out: revoke the caller's refresh tokens; older access tokens stop writing."""

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import Response, api_handler, caller, respond


@api_handler
def handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> Response:
    account.sign_out(caller(event))
    return respond(204)
