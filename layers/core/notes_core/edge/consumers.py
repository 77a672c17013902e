"""The SQS consumers' shared edge: Powertools' batch utility reports each failed message as a
batch item failure (the queue's event source has ReportBatchItemFailures), so only that message
is retried and, after maxReceiveCount, lands in the dead-letter queue."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from notes_core.runtime import deadline
from notes_core.runtime.observability import logger, metrics, tracer

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def sqs_consumer(process: Callable[[dict[str, Any]], None]) -> LambdaHandler:
    """A handler calling `process` with each message's JSON body; an exception fails that message.

    Wrapped, outermost first as Powertools documents, in the logger, metrics (with the cold-start
    metric) and the tracer.
    """
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        process(record.json_body)

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        with deadline.of_invocation(context):
            return dict(
                process_partial_response(
                    event=event, record_handler=record_handler, processor=processor, context=context
                )
            )

    traced = tracer.capture_lambda_handler(handler, capture_response=False)
    measured = metrics.log_metrics(traced, capture_cold_start_metric=True)
    wrapped: LambdaHandler = logger.inject_lambda_context(measured)
    return wrapped
