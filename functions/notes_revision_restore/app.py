"""POST /v1/notes/{id}/revisions/{version}/restore: the note's title and content back to a revision's,
as a new change (If-Match optional)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import (
    HttpRequest,
    Response,
    api_handler,
    caller,
    etag,
    if_match,
    path_id,
    path_version,
    respond,
)
from notes_core.usecases import revisions


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    note = revisions.restore(caller(event), path_id(event), path_version(event), if_match(event))
    return respond(200, note, etag(note.version))
