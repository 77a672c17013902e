"""POST /v1/notes: create a note (the client may choose its id; creating it again is a replay)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.notes import CreateNoteRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, etag, json_body, respond
from notes_core.usecases import notes


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    note, created = notes.create_note(caller(event), json_body(event, CreateNoteRequest))
    headers = etag(note.version) | {"location": f"/v1/notes/{note.id}"}
    return respond(201 if created else 200, note, headers)
