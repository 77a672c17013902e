"""POST /v1/notes/{id}/media: reserve an image slot and get a presigned POST to upload it to S3."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.media import MediaUploadRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, path_id, respond
from notes_core.usecases import media


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    slot, created = media.request_upload(user, path_id(event), json_body(event, MediaUploadRequest))
    return respond(201 if created else 200, slot)
