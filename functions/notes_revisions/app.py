"""GET /v1/notes/{id}/revisions: the note's revisions, newest first, a page at a time."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, path_id, query_int, query_text, respond
from notes_core.usecases import revisions


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    limit = query_int(event, "limit", default=50, minimum=1, maximum=100)
    page = revisions.list_revisions(caller(event), path_id(event), limit, query_text(event, "cursor"))
    return respond(200, page)
