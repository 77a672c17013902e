"""GET /v1/notes/{id}: one note, with its version as ETag."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, etag, path_id, respond
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    note = notes.get_note(caller(event), path_id(event))
    return respond(200, note, etag(note.version))
