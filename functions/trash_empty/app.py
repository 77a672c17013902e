"""DELETE /v1/trash: delete for good every note in the trash now (the purge-trash state machine)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, respond
from notes_core.usecases import trash


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(202, trash.empty_trash(caller(event)))
