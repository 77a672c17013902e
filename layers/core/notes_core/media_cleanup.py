"""The media-cleanup worker's rule: delete the objects a message names, all of them or fail.

Messages come from DELETE .../media/{media_id} and from the delete-note and delete-account state
machines: {"keys": [...]}, at most 1000 keys each (one DeleteObjects). A key already gone counts
as deleted. Any key S3 could not delete fails the whole message, so SQS delivers it again (the
keys deleted the first time are simply gone then) and, after maxReceiveCount, moves it to the
dead-letter queue, whose alarm tells an operator. Nothing is reported deleted that is not.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notes_core import storage
from notes_core.observability import logger, metrics


class CleanupIncomplete(Exception):
    """S3 refused to delete some keys; the message must be retried."""


def handle(message: dict[str, Any]) -> None:
    keys = message["keys"]
    failed: list[dict[str, Any]] = []
    for start in range(0, len(keys), storage.MAX_DELETE_KEYS):
        failed += storage.delete_many(keys[start : start + storage.MAX_DELETE_KEYS])
    failed = [error for error in failed if error.get("Code") != "NoSuchKey"]
    if failed:
        logger.warning("objects not deleted", extra={"errors": failed[:20], "failed": len(failed)})
        raise CleanupIncomplete(f"{len(failed)} of {len(keys)} objects were not deleted")
    logger.info("objects deleted", extra={"count": len(keys)})
    metrics.add_metric(name="ObjectsDeleted", unit=MetricUnit.Count, value=len(keys))
