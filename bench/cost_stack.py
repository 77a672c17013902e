"""`python -m bench.cost_stack`: the local stack (`python -m local`) metering what AWS would bill,
for bench/cost.py, which runs it as a child process and drives it over HTTP and WebSocket.

Written when the stack stops, into the file NOTES_SYNC_COST_LOG names, each with the time it
happened (bench/cost.py splits the run into its phases by time):
- every function invocation: its function, duration (time.perf_counter around the handler in this
  process: the local machine's, not Lambda's), the bytes it wrote to stdout and stderr (its log
  lines as Lambda's runtime would ship them: the Powertools JSON lines and, metrics being turned on
  here as on AWS, the EMF lines) and, for a queue consumer, how many of its messages S3 sent and
  how long they waited in the queue;
- every AWS call a function or state machine makes, attributed by the least-privilege tests' call
  recorder (tests/support/aws_calls.py), with the invocation that made it and what it bills:
  DynamoDB read and write request units (bench.cost_model's rules, from the sizes of the items read,
  and of each item written before and after the call, fetched through the stack's own unrecorded
  client), SQS requests by 64 KB chunk;
- the bytes of every line of the HTTP API's access log, and its route;
- the CloudWatch metrics the functions' EMF lines define (namespace, name, dimensions).
The stack's own work (provisioning, queue polling, the schedules) is not metered: Lambda's event
source mappings and EventBridge do it on AWS, and bench/cost.py counts what they bill.
"""

import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

import boto3

from bench import cost_model as cm
from local.__main__ import main
from local.stack import LocalStack
from tests.support.aws_calls import CallRecorder

LOG_VARIABLE = "NOTES_SYNC_COST_LOG"


@dataclass
class Invocation:
    id: int
    at: float
    function: str
    ms: float = 0.0
    log_bytes: int = 0
    log_lines: int = 0
    s3_messages: int = 0
    queued_seconds: float = 0.0  # an SQS batch's longest wait from SendMessage to its first receive
    error: bool = False


@dataclass
class Call:
    at: float
    principal: str
    call: str  # service:Operation
    invocation: int | None  # the function invocation that made it, if a function did
    read_units: float = 0.0
    write_units: int = 0
    index_write_units: int = 0
    sqs_requests: int = 0


@dataclass
class Meter:
    invocations: list[Invocation] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    access_log: list[tuple[float, int, str]] = field(default_factory=list)
    metrics: set[tuple[str, str, tuple[str, ...]]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def document(self) -> dict[str, Any]:
        with self.lock:
            return {
                "invocations": [asdict(invocation) for invocation in self.invocations],
                "calls": [asdict(call) for call in self.calls],
                "access_log": [list(line) for line in self.access_log],
                "metrics": sorted([namespace, name, list(dimensions)] for namespace, name, dimensions in self.metrics),
            }


_invocation: ContextVar[Invocation | None] = ContextVar("cost_invocation", default=None)


class _AttributedStream:
    """sys.stdout or sys.stderr, counting what an invocation writes in this thread as its log."""

    def __init__(self, stream: TextIO, meter: Meter) -> None:
        self._stream = stream
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        invocation = _invocation.get()
        if invocation is not None:
            invocation.log_bytes += len(text.encode())
            invocation.log_lines += text.count("\n")
            if text.startswith('{"_aws"'):
                self._metrics(text)
        return self._stream.write(text)

    def _metrics(self, text: str) -> None:
        """The metrics an EMF line defines (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)."""
        document = json.loads(text)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"] or [[]]:
                values = tuple(f"{name}={document[name]}" for name in dimensions)
                with self._meter.lock:
                    for metric in directive["Metrics"]:
                        self._meter.metrics.add((directive["Namespace"], metric["Name"], values))

    def flush(self) -> None:
        self._stream.flush()


def _sqs_records(event: Any) -> list[Mapping[str, Any]]:
    records = event.get("Records", []) if isinstance(event, Mapping) else []
    return [record for record in records if isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs"]


def _s3_messages(records: list[Mapping[str, Any]]) -> int:
    """Messages of an SQS batch that S3 sent (its event notifications, and its test event)."""
    bodies = (str(record.get("body", "")).replace(" ", "") for record in records)
    return sum('"eventSource":"aws:s3"' in body or '"s3:TestEvent"' in body for body in bodies)


def _queued_seconds(records: list[Mapping[str, Any]]) -> float:
    """How long the batch's messages waited to be received first (a delayed message waits its delay)."""
    waits = [
        (int(attributes["ApproximateFirstReceiveTimestamp"]) - int(attributes["SentTimestamp"])) / 1000
        for attributes in (record.get("attributes", {}) for record in records)
        if "SentTimestamp" in attributes and "ApproximateFirstReceiveTimestamp" in attributes
    ]
    return max(waits, default=0.0)


class CapacityMeter:
    """DynamoDB request units per call, from the sizes of what the call reads and writes.

    Reads are measured before the call, by the same read without ProjectionExpression,
    FilterExpression or Select (units count whole items, and every item a Query evaluates); writes
    by the items they name, read before the call and again after it. Both through `dynamodb`, a
    client of the stack's own session, which nothing meters.
    """

    _READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})
    _WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

    def __init__(self, stack: LocalStack) -> None:
        self._dynamodb = stack.client("dynamodb")
        resources = stack.provisioned.template["Resources"]
        tables = {
            stack.ref(logical_id): resource["Properties"]
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::DynamoDB::Table"
        }
        self._keys = {name: [key["AttributeName"] for key in props["KeySchema"]] for name, props in tables.items()}
        self._indexes = {name: cm.SecondaryIndex.of_table(props) for name, props in tables.items()}

    def applies_to(self, operation: str) -> bool:
        return operation in self._READS or operation in self._WRITES

    def before(self, operation: str, params: Mapping[str, Any], call: Call) -> list[tuple[str, dict[str, Any], Any]]:
        """Measure a read now; for a write, the items it names as they are before it."""
        if operation == "Query":
            call.read_units = self._query_units(params)
        elif operation == "GetItem":
            item = self._get(params["TableName"], params["Key"])
            call.read_units = cm.read_units(cm.item_size(item), consistent=bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            call.read_units = sum(
                cm.read_units(cm.item_size(self._get(table, key)), consistent=bool(request.get("ConsistentRead")))
                for table, request in params["RequestItems"].items()
                for key in request["Keys"]
            )
        elif operation == "TransactGetItems":
            call.read_units = sum(
                cm.read_units(
                    cm.item_size(self._get(item["Get"]["TableName"], item["Get"]["Key"])),
                    consistent=True,
                    transactional=True,
                )
                for item in params["TransactItems"]
            )
        else:
            return [(table, key, self._get(table, key)) for table, key in self._written(operation, params)]
        return []

    def after(self, operation: str, call: Call, written: list[tuple[str, dict[str, Any], Any]]) -> None:
        transactional = operation == "TransactWriteItems"
        for table, key, before in written:
            after = self._get(table, key)
            call.write_units += cm.item_write_units(before, after, transactional=transactional)
            call.index_write_units += sum(cm.index_write_units(index, before, after) for index in self._indexes[table])

    def _written(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"])]
        if operation == "PutItem":
            return [(params["TableName"], self._key_of(params["TableName"], params["Item"]))]
        if operation == "BatchWriteItem":
            return [
                (table, request["DeleteRequest"]["Key"])
                if "DeleteRequest" in request
                else (table, self._key_of(table, request["PutRequest"]["Item"]))
                for table, requests in params["RequestItems"].items()
                for request in requests
            ]
        # TransactWriteItems: a ConditionCheck is billed as a transactional write of its item too
        # ("two underlying reads or writes of every item in the transaction").
        written = []
        for item in params["TransactItems"]:
            ((kind, request),) = item.items()
            key = self._key_of(request["TableName"], request["Item"]) if kind == "Put" else request["Key"]
            written.append((request["TableName"], key))
        return written

    def _key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._keys[table]}

    def _get(self, table: str, key: Mapping[str, Any]) -> Any:
        return self._dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _query_units(self, params: Mapping[str, Any]) -> float:
        kept = {
            "TableName",
            "IndexName",
            "KeyConditionExpression",
            "ExpressionAttributeValues",
            "ExpressionAttributeNames",
            "ExclusiveStartKey",
            "Limit",
            "ScanIndexForward",
            "ConsistentRead",
        }
        request = {name: value for name, value in params.items() if name in kept}
        # Names and values only the dropped expressions used would be refused as unused.
        condition = str(request["KeyConditionExpression"])
        for name in ("ExpressionAttributeValues", "ExpressionAttributeNames"):
            if name in request:
                used = {
                    token: value
                    for token, value in request[name].items()
                    if re.search(re.escape(token) + r"(?![A-Za-z0-9_])", condition)
                }
                request[name] = used
                if not used:
                    del request[name]
        items = self._dynamodb.query(**request)["Items"]
        return cm.read_units(sum(cm.item_size(item) for item in items), consistent=bool(params.get("ConsistentRead")))


def meter_into(path: Path) -> Callable[[LocalStack], Callable[[], None]]:
    """An observer of local's main: meters from before any function is loaded and writes the
    meter's document to `path` when the stack stops."""

    def observe(stack: LocalStack) -> Callable[[], None]:
        # On AWS the functions publish their metrics (EMF lines in their log): so here too.
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
        meter = Meter()
        sys.stdout = cast(TextIO, _AttributedStream(sys.stdout, meter))
        sys.stderr = cast(TextIO, _AttributedStream(sys.stderr, meter))
        recorder = CallRecorder(stack.provisioned).start()
        capacity = CapacityMeter(stack)
        _meter_invocations(stack, meter)
        _meter_access_log(meter)
        _meter_calls(recorder, capacity, meter)

        def save() -> None:
            document = meter.document()
            document["calls_by_principal"] = [
                [principal, call, count] for (principal, call), count in sorted(recorder.recording().calls.items())
            ]
            path.write_text(json.dumps(document), encoding="utf-8")

        return save

    return observe


def _meter_invocations(stack: LocalStack, meter: Meter) -> None:
    invoke = stack.functions.invoke

    numbers = itertools.count()

    def metered(logical_id: str, event: dict[str, Any], timeout_seconds: float | None = None) -> Any:
        records = _sqs_records(event)
        invocation = Invocation(
            next(numbers),
            time.time(),
            logical_id,
            s3_messages=_s3_messages(records),
            queued_seconds=_queued_seconds(records),
        )
        token = _invocation.set(invocation)
        started = time.perf_counter()
        try:
            return invoke(logical_id, event, timeout_seconds)
        except Exception:
            invocation.error = True
            raise
        finally:
            invocation.ms = (time.perf_counter() - started) * 1000
            _invocation.reset(token)
            with meter.lock:
                meter.invocations.append(invocation)

    stack.functions.invoke = metered  # type: ignore[method-assign]


def _meter_access_log(meter: Meter) -> None:
    from local.front import AccessLogFormat

    line = AccessLogFormat.line

    def metered(self: AccessLogFormat, values: dict[str, Any]) -> str:
        text = line(self, values)
        with meter.lock:
            meter.access_log.append((time.time(), len(text.encode()) + 1, str(values.get("routeKey") or "-")))
        return text

    AccessLogFormat.line = metered  # type: ignore[method-assign]


def _meter_calls(recorder: CallRecorder, capacity: CapacityMeter, meter: Meter) -> None:
    """Hook the session the functions' and state machines' clients come from (as the recorder does)."""
    session = boto3.DEFAULT_SESSION
    assert session is not None

    def before(params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        invocation = _invocation.get()
        made_by = invocation.id if invocation is not None else None
        call = Call(time.time(), recorder.principal(), f"{service}:{operation}", made_by)
        if service == "dynamodb" and capacity.applies_to(operation):
            context["cost_written"] = capacity.before(operation, params, call)
        elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
            entries = params.get("Entries") or [params]
            call.sqs_requests = cm.sqs_requests(sum(len(entry["MessageBody"].encode()) for entry in entries))
        elif service == "sqs":
            call.sqs_requests = 1
        context["cost_call"] = call

    def after(model: Any, context: dict[str, Any], **_: Any) -> None:
        call: Call | None = context.get("cost_call")
        if call is None:
            return
        if "cost_written" in context:
            capacity.after(model.name, call, context["cost_written"])
        with meter.lock:
            meter.calls.append(call)

    # before-parameter-build gets the call's parameters (before-call only the serialized request)
    # and the context that after-call gets too; a presigned URL being built never gets an after-call.
    session.events.register("before-parameter-build", before)
    session.events.register("after-call", after)


if __name__ == "__main__":
    main(meter_into(Path(os.environ[LOG_VARIABLE])))
