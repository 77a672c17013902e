"""PUT and DELETE /v1/devices/{device_id}: a device's push token, for silent pushes in the
background (notes_core.usecases.silent_pushes).

A device is the caller's own item (`#user#device#<device id>`: notes_core.data.table), so one
user's device id names nothing of another's. Registering makes or updates the device's SNS
platform endpoint (notes_core.data.push), then keeps it on the item; both are refused like any
write for a token older than the last sign-out, before SNS is called. Removing deletes the item;
the table's stream has the poke function delete the endpoint, as it does for the devices of a
deleted account.
"""

import time

from notes_core.contract.bodies.devices import RegisterDeviceRequest
from notes_core.data import push, table
from notes_core.domain import errors
from notes_core.domain.caller import Caller
from notes_core.runtime.config import PushSettings, load_settings
from notes_core.usecases import silent_pushes

_settings = load_settings(PushSettings)


def register(caller: Caller, device_id: str, request: RegisterDeviceRequest) -> None:
    application = _settings.application_arn(request.platform)
    if not application:
        raise errors.PushNotConfigured(f"This server sends no silent pushes to {request.platform} devices.")
    if table.get_user(caller.user_id).refuses(caller.issued_at):
        raise errors.TokenRefused()
    stored = table.get_device(caller.user_id, device_id)
    known = stored.endpoint_arn if stored is not None and stored.platform == request.platform else None
    try:
        endpoint = push.register(application, request.token, push.owner(caller.user_id, device_id), known)
    except push.TokenRefused as refused:
        detail = f"The push service refused this token: {str(refused)[:200]}"
        raise errors.InvalidInput("The request body is not valid.", [{"pointer": "/token", "detail": detail}]) from None
    device = table.Device(device_id, request.platform, request.token, endpoint)
    try:
        table.put_device(caller.user_id, caller.issued_at, device, int(time.time()))
    except table.WriteRefused:
        raise errors.TokenRefused() from None
    if stored is not None and stored.endpoint_arn != endpoint:  # another platform's endpoint
        silent_pushes.forget_endpoint(caller.user_id, stored)


def remove(caller: Caller, device_id: str) -> None:
    try:
        table.delete_device(caller.user_id, caller.issued_at, device_id)
    except table.WriteRefused:
        raise errors.TokenRefused() from None
