"""DELETE /v1/notes/{id}/media/{media_id}: the image leaves the note now, its object soon after."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, path_id, respond
from notes_core.usecases import media


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    media.delete_media(caller(event), path_id(event), path_id(event, "media_id"))
    return respond(202)
