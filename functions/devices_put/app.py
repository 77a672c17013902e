"""PUT /v1/devices/{device_id}: register the device's push token for silent pushes."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.contract.bodies.devices import RegisterDeviceRequest
from notes_core.edge.http import HttpRequest, Response, api_handler, caller, json_body, path_device_id, respond
from notes_core.usecases import devices


@api_handler
def handler(event: HttpRequest, context: LambdaContext) -> Response:
    devices.register(caller(event), path_device_id(event), json_body(event, RegisterDeviceRequest))
    return respond(204)
