"""GET /v1/account: the caller's profile."""

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import account
from notes_core.http import Response, api_handler, caller, respond


@api_handler
def handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> Response:
    return respond(200, account.get_account(caller(event)))
