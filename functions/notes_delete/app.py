"""DELETE /v1/notes/{id}: turn the note into a tombstone (If-Match optional)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, etag, if_match, path_id, respond
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    tombstone = notes.delete_note(caller(event), path_id(event), if_match(event))
    return respond(202, tombstone, etag(tombstone.version))
