"""Data access to the SQS queues the functions send to."""

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from notes_core.data import aws

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_DELAY_SECONDS = 900  # SQS's limit for a message's delay


@cache
def _sqs() -> "SQSClient":
    client: SQSClient = aws.client("sqs")
    return client


def send(queue_url: str, message: dict[str, Any], delay_seconds: int = 0) -> None:
    _sqs().send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(message, separators=(",", ":")),
        DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
    )
