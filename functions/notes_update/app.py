"""PATCH /v1/notes/{id}: change title and/or content, based on a version (If-Match or base_version),
from the device the Device-Id header names, if any."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.notes import UpdateNoteRequest
from notes_core.edge.http import (
    HttpRequest,
    Response,
    api_handler,
    caller,
    device_id,
    etag,
    if_match,
    json_body,
    path_id,
    respond,
)
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    user = caller(event)
    note = notes.update_note(
        user, path_id(event), json_body(event, UpdateNoteRequest), if_match(event), device_id(event)
    )
    return respond(200, note, etag(note.version))
