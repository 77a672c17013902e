"""GET /v1/notes/{id}/media/{media_id}: an image's status, and a download link once ready."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, path_id, respond
from notes_core.usecases import media


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(200, media.get_media(caller(event), path_id(event), path_id(event, "media_id")))
