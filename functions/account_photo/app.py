"""POST /v1/account/photo: a presigned POST to upload the profile photo."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.media import UploadRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, respond
from notes_core.usecases import media


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    return respond(201, media.request_photo_upload(caller(event), json_body(event, UploadRequest)))
