"""The poke function: what the table's stream says happened, told to the user's devices.

Lambda's event filtering (template.yaml, PokeFunction) hands over only the records that matter:
the counter item written (a change moved `last_seq`, or a sign-out cut-off or the deletion mark
was set) and device items removed. For each user of a batch:
- the account is being deleted: every connection is closed (DeleteConnection);
- a sign-out: every connection opened with a token from before it is closed;
- changes (`last_seq` moved; sign-out and photo writes touch the counter without moving it): each
  other connection gets one poke, `{"type": "changes", "seq": N}`, N the highest sequence number
  among the batch's changes made by another device than the connection's (the counter's
  `last_device`; a change without one pokes every connection), and each registered device without
  an open connection that did not make all of them is woken by a silent push
  (notes_core.usecases.silent_pushes);
- a connection that answers GoneException is forgotten.
A removed device's SNS endpoint is deleted, and a removed connection is closed (DeleteConnection;
one closed already answers GoneException, which is fine): an account's deletion removes both kinds
of item, and its machine may do so before the deletion mark's record is handled here, so the
connections of a deleted account are closed even when none is left to be found.

Delivery is at least once: a batch that failed is sent again (from its first failed record), so a
device may be poked twice for a change; a poke only makes it pull. Pokes carry no note data.
"""

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.data import connections, table
from notes_core.runtime import deadline
from notes_core.runtime.observability import logger, metrics
from notes_core.usecases import silent_pushes

# PostToConnection is one HTTPS call per connection: sent side by side, so that 50 devices hear
# of a change as soon as one does.
POKE_THREADS = 16
# What a call to @connections may take (notes_core.data.connections' time-outs and retries), and
# so the time a poke needs left to be started.
POKE_RESERVE_SECONDS = 5.0
SENT, GONE, UNDELIVERABLE, CLOSED = "sent", "gone", "undeliverable", "closed"


@dataclass
class _UserEvents:
    first_sequence: str  # of the user's first record in the batch: where a retry starts
    changes: list[tuple[int, str | None]] = field(default_factory=list)  # (seq, device that made it)
    signed_out_at: int | None = None
    deleting: bool = False
    removed_devices: list[table.Device] = field(default_factory=list)
    removed_connections: list[str] = field(default_factory=list)


def _number(image: Mapping[str, Any], name: str) -> int | None:
    return int(image[name]["N"]) if name in image else None


def _events_by_user(records: Sequence[Mapping[str, Any]]) -> dict[str, _UserEvents]:
    users: dict[str, _UserEvents] = {}
    for record in records:
        stream = record["dynamodb"]
        user_id, item_id = stream["Keys"]["user_id"]["S"], stream["Keys"]["id"]["S"]
        events = users.setdefault(user_id, _UserEvents(stream["SequenceNumber"]))
        new, old = stream.get("NewImage") or {}, stream.get("OldImage") or {}
        if item_id == table.USER_ITEM_ID and record["eventName"] in ("INSERT", "MODIFY"):
            seq = _number(new, "last_seq")
            if seq is not None and seq > (_number(old, "last_seq") or 0):
                events.changes.append((seq, new["last_device"]["S"] if "last_device" in new else None))
            signed_out_at = _number(new, "signed_out_at")
            if signed_out_at is not None and signed_out_at != _number(old, "signed_out_at"):
                events.signed_out_at = max(signed_out_at, events.signed_out_at or 0)
            events.deleting = events.deleting or ("deleting" in new and "deleting" not in old)
        elif record["eventName"] == "REMOVE":
            device = table.device_of_image(old)
            if device is not None:
                events.removed_devices.append(device)
            elif item_id.startswith(table.CONNECTION_PREFIX):
                events.removed_connections.append(item_id.removeprefix(table.CONNECTION_PREFIX))
    return users


def handle(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Act on a batch of stream records; the SequenceNumber to retry from (that of the first user
    whose part failed), or None when everything was done."""
    now = int(time.time())
    failed_at: str | None = None
    for user_id, events in _events_by_user(records).items():
        try:
            _tell(user_id, events, now)
            for device in events.removed_devices:
                silent_pushes.forget_endpoint(user_id, device)
            for connection_id in events.removed_connections:
                with suppress(connections.ConnectionGone, connections.Undeliverable):
                    connections.close(connection_id)
        except Exception:
            logger.exception("realtime events of a user not handled", extra={"user_id": user_id})
            if failed_at is None or int(events.first_sequence) < int(failed_at):
                failed_at = events.first_sequence
    return failed_at


def _tell(user_id: str, events: _UserEvents, now: int) -> None:
    if not (events.changes or events.signed_out_at or events.deleting):
        return
    open_connections, devices = table.realtime_targets(user_id, now)
    if events.deleting or events.signed_out_at:
        cut_off = events.signed_out_at or 0
        closing = [c for c in open_connections if events.deleting or c.issued_at < cut_off]
        _each(closing, lambda c: _close(user_id, c))
        open_connections = [c for c in open_connections if c not in closing]
    if not events.changes or events.deleting:
        return
    pokes = {c.connection_id: seq for c in open_connections if (seq := _newest_for(c.device_id, events.changes))}
    poked = _each([c for c in open_connections if c.connection_id in pokes], lambda c: _poke(user_id, c, pokes))
    metrics.add_metric(name="PokesSent", unit=MetricUnit.Count, value=poked[SENT])
    metrics.add_metric(name="ConnectionsGone", unit=MetricUnit.Count, value=poked[GONE])
    connected = {c.device_id for c in open_connections}
    for device in devices:
        if device.device_id not in connected and _newest_for(device.device_id, events.changes):
            silent_pushes.wake(user_id, device, now)


def _newest_for(device_id: str | None, changes: Sequence[tuple[int, str | None]]) -> int | None:
    """The newest of the changes made by another device than `device_id` (a change by no named
    device counts for every device)."""
    return max((seq for seq, made_by in changes if made_by is None or made_by != device_id), default=None)


def _each(targets: Sequence[table.Connection], act: Callable[[table.Connection], str]) -> Counter[str]:
    """`act` on every connection side by side: how many ended each way; the first error is raised
    once all are done."""
    if not targets:
        return Counter()
    with ThreadPoolExecutor(max_workers=min(POKE_THREADS, len(targets))) as pool:
        outcomes = list(pool.map(lambda connection: _caught(act, connection), targets))
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return Counter(str(outcome) for outcome in outcomes)


def _caught(act: Callable[[table.Connection], str], connection: table.Connection) -> str | Exception:
    try:
        return act(connection)
    except Exception as exc:
        return exc


def _poke(user_id: str, connection: table.Connection, pokes: Mapping[str, int]) -> str:
    if deadline.remaining() < POKE_RESERVE_SECONDS:
        raise TimeoutError("no time left to poke")
    message = json.dumps({"type": "changes", "seq": pokes[connection.connection_id]}, separators=(",", ":"))
    try:
        connections.post(connection.connection_id, message.encode())
    except connections.ConnectionGone:
        table.delete_connection(user_id, connection.connection_id)
        return GONE
    except connections.Undeliverable as refused:
        logger.info("poke not delivered", extra={"reason": str(refused)})
        return UNDELIVERABLE
    return SENT


def _close(user_id: str, connection: table.Connection) -> str:
    with suppress(connections.ConnectionGone, connections.Undeliverable):  # closed already
        connections.close(connection.connection_id)
    table.delete_connection(user_id, connection.connection_id)
    return CLOSED
