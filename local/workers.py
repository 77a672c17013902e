"""The template's SQS event sources, run locally: one poller thread per queue hands batches of
messages to the consumer function, as Lambda's event source mapping does.

Messages the function reports as batch item failures (or all of them, if it raises) are left on
the queue: they come back after the visibility timeout and, after maxReceiveCount, go to the
dead-letter queue (moto applies the redrive policy).
"""

import traceback
from typing import Any

from local import template as tpl
from local.background import BackgroundLoop
from local.functions import Functions
from local.stack import LocalStack

IDLE_SECONDS = 0.2


class QueuePoller(BackgroundLoop):
    """`retry_after_seconds`: when set, failed messages become visible again after that long
    instead of the queue's visibility timeout (tests use 0 to see SQS's retries at once)."""

    def __init__(
        self, stack: LocalStack, source: tpl.QueueSource, functions: Functions, retry_after_seconds: int | None = None
    ) -> None:
        self._retry_after_seconds = retry_after_seconds
        self._source = source
        self._functions = functions
        self._queue_url = stack.ref(source.queue)
        self._queue_arn = stack.provisioned.resolver.get_att(source.queue, "Arn")
        self._sqs = stack.client("sqs")
        super().__init__(name=f"poll-{source.queue}")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.poll_once():
                    # Short polls and a pause, not long polls: moto serves one request at a time,
                    # and a long poll would hold up every other caller.
                    self._stopping.wait(IDLE_SECONDS)
            except Exception:
                traceback.print_exc()
                self._stopping.wait(1)

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function; the number of messages received."""
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(10, self._source.batch_size),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [self._record(message) for message in received]}
        try:
            result = self._functions.invoke(self._source.function, event)
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
            if not self._source.reports_batch_item_failures and failed:
                failed = {message["MessageId"] for message in received}  # Lambda would ignore the list
        except Exception:
            traceback.print_exc()
            failed = {message["MessageId"] for message in received}
        done = [message for message in received if message["MessageId"] not in failed]
        if self._retry_after_seconds is not None:
            for message in received:
                if message["MessageId"] in failed:
                    self._sqs.change_message_visibility(
                        QueueUrl=self._queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self._retry_after_seconds,
                    )
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        return len(received)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        """An SQS record of a Lambda event, as the event source mapping builds it."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._queue_arn.split(":")[3],
        }


def start_pollers(stack: LocalStack) -> list[QueuePoller]:
    return [
        QueuePoller(stack, source, stack.functions).start() for source in tpl.queue_sources(stack.provisioned.template)
    ]
