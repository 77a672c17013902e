"""POST /v1/auth/confirm: confirm a sign-up with the emailed code."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.auth import ConfirmSignUpRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, json_body, respond
from notes_core.usecases import auth


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    auth.confirm_sign_up(json_body(event, ConfirmSignUpRequest), event.source_ip)
    return respond(204)
