"""GET /v1/sync: notes and tombstones changed after the cursor, in commit order."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, query_int, query_text, respond
from notes_core.usecases import sync


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    limit = query_int(event, "limit", default=200, minimum=1, maximum=500)
    return respond(200, sync.pull(caller(event), query_text(event, "cursor"), limit))
