"""POST /v1/sync: apply up to 100 changes from a device, with a result per change."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core import sync
from notes_core.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.models.notes import PushRequest


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, sync.push(caller(event), json_body(event, PushRequest)))
