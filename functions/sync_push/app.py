"""POST /v1/sync: apply up to 100 changes from a device, with a result per change."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.notes import PushRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import sync


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, sync.push(caller(event), json_body(event, PushRequest)))
