"""GET /v1/notes: the caller's live notes, most recently changed first, a page at a time; with
trashed=true, the notes in the trash, most recently trashed first."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, query_flag, query_int, query_text, respond
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    limit = query_int(event, "limit", default=50, minimum=1, maximum=100)
    page = notes.list_notes(caller(event), limit, query_text(event, "cursor"), query_flag(event, "trashed"))
    return respond(200, page)
