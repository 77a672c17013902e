"""POST /v1/notes/batch: up to 25 creates, updates and deletes, with a result per item."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.notes import BatchRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, json_body_keys, respond
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    return respond(200, notes.batch(user, json_body(event, BatchRequest), json_body_keys(event)))
