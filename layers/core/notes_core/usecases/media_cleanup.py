"""The media-cleanup worker's rule: delete what a message names, all of it or fail.

Messages come from DELETE .../media/{media_id} and from the delete-note and delete-account state
machines: {"keys": [...]}, at most 1000 keys each (one DeleteObjects), and, from the delete-note
machine, {"revisions": {"user_id", "note_id"}} for the deleted note's revisions (with keys, or
alone). Deleting again what is gone is a success, so a message may come more than once: a key
already gone counts as deleted. Any key S3 could not delete fails the whole message, so SQS delivers it again (the
keys deleted the first time are simply gone then) and, after maxReceiveCount, moves it to the
dead-letter queue, whose alarm tells an operator. Nothing is reported deleted that is not.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notes_core.data import storage, table
from notes_core.runtime.observability import logger, metrics


class CleanupIncomplete(Exception):
    """S3 refused to delete some keys; the message must be retried."""


def handle(message: dict[str, Any]) -> None:
    if "revisions" in message:  # a deleted note's: {"user_id", "note_id"}, sent with its first keys
        owner = message["revisions"]
        count = table.delete_revisions(owner["user_id"], owner["note_id"])
        logger.info("revisions deleted", extra={"count": count})
    keys = message.get("keys", [])
    failed: list[dict[str, Any]] = []
    for start in range(0, len(keys), storage.MAX_DELETE_KEYS):
        failed += storage.delete_many(keys[start : start + storage.MAX_DELETE_KEYS])
    failed = [error for error in failed if error.get("Code") != "NoSuchKey"]
    if failed:
        logger.warning("objects not deleted", extra={"errors": failed[:20], "failed": len(failed)})
        raise CleanupIncomplete(f"{len(failed)} of {len(keys)} objects were not deleted")
    logger.info("objects deleted", extra={"count": len(keys)})
    metrics.add_metric(name="ObjectsDeleted", unit=MetricUnit.Count, value=len(keys))
