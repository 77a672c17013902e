"""DELETE /v1/devices/{device_id}: stop silent pushes to the device."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.edge.http import HttpRequest, Response, api_handler, caller, path_device_id, respond
from notes_core.usecases import devices


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    devices.remove(caller(event), path_device_id(event))
    return respond(204)
