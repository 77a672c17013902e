"""The template's DynamoDB stream event sources, run locally: one poller thread per mapping reads
the table's stream in moto and hands batches of records to the function, as Lambda's event source
mapping does.

"Using AWS Lambda with Amazon DynamoDB" (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
Lambda polls the shard four times a second, and invokes the function with a batch when it holds
BatchSize records or MaximumBatchingWindowInSeconds has passed. Each record is shaped as Lambda's
event has it (`eventSourceARN` added, `ApproximateCreationDateTime` in epoch seconds). The filter
criteria are applied first, with the EventBridge pattern syntax (moto's EventBridge matcher;
"Control which events Lambda sends to your function",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): "If none of your
filters are satisfied, Lambda discards the record", and for streams the iterator moves past it: a
record no pattern matches is never retried.

Errors ("Error handling for DynamoDB event sources",
https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html): a batch whose
invocation fails is retried, split in two halves first when BisectBatchOnFunctionError is set
(splitting does not count as a retry); with ReportBatchItemFailures, the function names the first
record that failed and only it and those after it are retried (an identifier that names no record of
the batch fails the whole batch; an empty list is a success). After MaximumRetryAttempts retries, or
once the batch's first record is older than MaximumRecordAgeInSeconds, the batch is given up: the
OnFailure destination gets an invocation record (its shape, from the same page: requestContext,
responseContext, version, timestamp, DDBStreamBatchInfo), not the records, and the poller moves on.
The stream is moto's one shard; moto keeps its records for ever (AWS: 24 hours).
"""

import json
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from moto.events.models import EventPattern

from local import template as tpl
from local.background import BackgroundLoop
from local.functions import Functions
from local.stack import LocalStack

POLL_SECONDS = 0.25  # "Lambda polls shards in your DynamoDB stream for records at a base rate of 4 times per second"
_RECORDS_PER_READ = 1000  # GetRecords' maximum


@dataclass
class _Batch:
    records: list[dict[str, Any]]
    retries: int = 0
    invocations: int = 0


class StreamPoller(BackgroundLoop):
    def __init__(self, stack: LocalStack, source: tpl.StreamSource, functions: Functions) -> None:
        self.source = source
        self._functions = functions
        self._stream_arn = stack.provisioned.resolver.get_att(source.table, "StreamArn")
        self._function_arn = f"arn:aws:lambda:us-east-1:{tpl.ACCOUNT_ID}:function:{source.function}"
        # moto's in-process mock needs the account-free endpoint; an explicit endpoint_url (moto's) is that.
        self._streams = stack.session.client(
            "dynamodbstreams", endpoint_url=stack.moto.endpoint_url, config=Config(retries={"max_attempts": 1})
        )
        self._sqs = stack.client("sqs")
        self._on_failure = None if source.on_failure is None else stack.ref(source.on_failure)
        self._patterns = [EventPattern.load(pattern) for pattern in source.filter_patterns]
        (self._shard,) = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        self._iterator = self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=self._shard["ShardId"], ShardIteratorType=source.starting_position
        )["ShardIterator"]
        self._waiting: list[dict[str, Any]] = []  # read and matched, not yet in a batch
        self._waiting_since: float | None = None
        self._retrying: list[_Batch] = []  # batches to invoke again, oldest first
        super().__init__(name=f"stream-{source.function}")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                traceback.print_exc()
            self._stopping.wait(POLL_SECONDS)

    def poll_once(self) -> int:
        """Read the stream once and invoke the function with what is due; how many records the
        function was given."""
        read = self._streams.get_records(ShardIterator=self._iterator, Limit=_RECORDS_PER_READ)
        self._iterator = read["NextShardIterator"]
        for record in read["Records"]:
            shaped = self._lambda_record(record)
            if self._matches(shaped):
                if not self._waiting:
                    self._waiting_since = time.monotonic()
                self._waiting.append(shaped)
        given = 0
        if self._retrying:
            batch = self._retrying.pop(0)
            given += len(batch.records)
            self._deliver(batch)
            return given
        while self._waiting and (
            len(self._waiting) >= self.source.batch_size
            or time.monotonic() - (self._waiting_since or 0) >= self.source.batching_window_seconds
        ):
            batch = _Batch(self._waiting[: self.source.batch_size])
            self._waiting = self._waiting[self.source.batch_size :]
            given += len(batch.records)
            self._deliver(batch)
            if self._retrying:  # records are delivered in order: the rest waits for the retry
                break
        return given

    def _matches(self, record: dict[str, Any]) -> bool:
        return not self._patterns or any(pattern.matches_event(record) for pattern in self._patterns)  # type: ignore[arg-type]

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A stream record as the event source mapping hands it to the function."""
        shaped: dict[str, Any] = json.loads(json.dumps(record, default=str))
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            shaped["dynamodb"]["ApproximateCreationDateTime"] = float(int(created.timestamp()))
        shaped["eventSourceARN"] = self._stream_arn
        return shaped

    def _deliver(self, batch: _Batch) -> None:
        oldest = batch.records[0]["dynamodb"].get("ApproximateCreationDateTime") or time.time()
        maximum_age = self.source.maximum_record_age_seconds
        if batch.retries and maximum_age >= 0 and time.time() - oldest > maximum_age:
            self._give_up(batch, "MaximumRecordAgeExceeded")
            return
        batch.invocations += 1
        try:
            result = self._functions.invoke(self.source.function, {"Records": batch.records})
        except Exception:
            traceback.print_exc()
            self._failed(batch, batch.records, function_error=True)
            return
        failed_from = self._first_failed(batch.records, result)
        if failed_from is not None:
            self._failed(batch, batch.records[failed_from:], function_error=False)

    def _first_failed(self, records: Sequence[dict[str, Any]], result: Any) -> int | None:
        if not self.source.reports_batch_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        sequences = [record["dynamodb"]["SequenceNumber"] for record in records]
        named = [failure.get("itemIdentifier") for failure in failures if isinstance(failure, dict)]
        positions = [sequences.index(name) for name in named if name in sequences]
        # An identifier that names no record of the batch fails the whole batch.
        return 0 if len(positions) < len(named) else min(positions)

    def _failed(self, batch: _Batch, remaining: list[dict[str, Any]], function_error: bool) -> None:
        if function_error and self.source.bisect_on_error and len(remaining) > 1:
            # Splitting does not count as a retry.
            half = len(remaining) // 2
            self._retrying[:0] = [
                _Batch(remaining[:half], batch.retries, batch.invocations),
                _Batch(remaining[half:], batch.retries, batch.invocations),
            ]
            return
        retry = _Batch(remaining, batch.retries + 1, batch.invocations)
        if 0 <= self.source.maximum_retry_attempts < retry.retries:
            self._give_up(retry, "RetryAttemptsExhausted")
            return
        self._retrying.insert(0, retry)

    def _give_up(self, batch: _Batch, condition: str) -> None:
        if self._on_failure is None:
            return
        first, last = batch.records[0], batch.records[-1]

        def arrival(record: dict[str, Any]) -> str:
            created = record["dynamodb"].get("ApproximateCreationDateTime") or time.time()
            return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        invocation = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": condition,
                "approximateInvokeCount": batch.invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self._shard["ShardId"],
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(first),
                "approximateArrivalOfLastRecord": arrival(last),
                "batchSize": len(batch.records),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._on_failure, MessageBody=json.dumps(invocation))


def start_stream_pollers(stack: LocalStack) -> list[StreamPoller]:
    return [
        StreamPoller(stack, source, stack.functions).start()
        for source in tpl.stream_sources(stack.provisioned.template)
    ]
