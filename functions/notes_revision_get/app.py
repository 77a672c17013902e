"""GET /v1/notes/{id}/revisions/{version}: the note's text at that version."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, path_id, path_version, respond
from notes_core.usecases import revisions


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, revisions.get_revision(caller(event), path_id(event), path_version(event)))
