"""Silent pushes: a device in the background (registered, without an open connection) is woken
when another device changes the user's notes, at most once a minute.

The minute is kept on the device's item by conditional writes (notes_core.data.table): the first
change after a quiet minute sends a push at once (the leading edge) and starts the device's minute.
Changes in the BURST_SECONDS after that push are one burst with it: the device it woke pulls them
with the rest. The first change later in the minute marks a push due at the minute's end and sends
the silent-push queue a message delayed until then (the trailing edge), which the silent-push
worker turns into a push if it is still due. So a burst of changes wakes the device once, and a
change made after the woken device's pull is heard of at the end of the minute, not only at the
next change. Duplicate deliveries send nothing twice (each push is taken by a conditional write).
No push carries note data (notes_core.data.push).
"""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.data import push, queues, table
from notes_core.runtime.config import PushSettings, load_settings
from notes_core.runtime.observability import logger, metrics

INTERVAL_SECONDS = 60
# How long after a push a change still belongs to its burst: about the time a woken app takes to
# start its sync (iOS gives a background notification's handler 30 s; most pulls start within seconds).
BURST_SECONDS = 10

_settings = load_settings(PushSettings)


def wake(user_id: str, device: table.Device, now_epoch: int) -> None:
    """A change the device did not make: push now, or at the end of its minute."""
    last_pushed_at = table.claim_push(user_id, device.device_id, now_epoch, INTERVAL_SECONDS)
    if last_pushed_at is None:
        send(user_id, device)
        return
    if last_pushed_at == 0:
        return  # the device was removed meanwhile
    if now_epoch - last_pushed_at < BURST_SECONDS:
        return  # one burst with the push just sent: the device pulls this change with the others
    due = last_pushed_at + INTERVAL_SECONDS
    if not table.claim_trailing_push(user_id, device.device_id, due):
        return  # a push at the end of this minute is due already
    message = {"user_id": user_id, "device_id": device.device_id, "due": due}
    try:
        queues.send(_settings.silent_push_queue_url, message, delay_seconds=due - now_epoch)
    except Exception:
        # Unmark it, so that the retry of this change schedules it again.
        table.release_trailing_push(user_id, device.device_id, due)
        raise


def send_due(message: dict[str, Any]) -> None:
    """The silent-push queue's message: the push due at the end of a device's minute, if it still is."""
    user_id, device_id, due = str(message["user_id"]), str(message["device_id"]), int(message["due"])
    device = table.get_device(user_id, device_id)
    if device is not None and table.take_trailing_push(user_id, device_id, due, int(time.time())):
        send(user_id, device)


def send(user_id: str, device: table.Device) -> None:
    """One silent push to the device's endpoint, if it is still this device's and enabled: the same
    token registered since by another account, or another installation, makes it theirs."""
    current = push.attributes(device.endpoint_arn)
    if current is None or current.get("CustomUserData") != push.owner(user_id, device.device_id):
        logger.info(
            "silent push not sent: the endpoint is gone or another device's", extra={"device": device.device_id}
        )
        return
    if current.get("Enabled") != "true":
        logger.info("silent push not sent: the platform disabled the endpoint", extra={"device": device.device_id})
        return
    try:
        push.silent_push(device.endpoint_arn)
    except (push.EndpointDisabled, push.EndpointGone) as exc:
        logger.info("silent push not sent", extra={"device": device.device_id, "reason": type(exc).__name__})
        return
    metrics.add_metric(name="SilentPushesSent", unit=MetricUnit.Count, value=1)


def forget_endpoint(user_id: str, device: table.Device) -> None:
    """A removed device's endpoint is deleted, unless another registration owns it now."""
    current = push.attributes(device.endpoint_arn)
    if current is not None and current.get("CustomUserData") == push.owner(user_id, device.device_id):
        push.delete(device.endpoint_arn)
