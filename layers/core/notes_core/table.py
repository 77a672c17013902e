"""Data access to the notes table (one per stack): each user's notes and the user's counter item.

Keys: `user_id` (Cognito sub) and `id` (a note's UUID, or USER_ITEM_ID for the counter item that
holds the user's change sequence, sign-out cut-off and deletion mark).
"""

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from notes_core.config import TableSettings, load_settings

USER_ITEM_ID = "#user"

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_settings = load_settings(TableSettings)


@cache
def _dynamodb() -> "DynamoDBClient":
    """Built on first use: a function that never calls DynamoDB never pays for the client."""
    return boto3.client("dynamodb")


def record_sign_out(user_id: str, not_before: int) -> None:
    """Refuse writes with tokens issued before `not_before` (epoch seconds); never moves it back."""
    try:
        _dynamodb().update_item(
            TableName=_settings.table_name,
            Key={"user_id": {"S": user_id}, "id": {"S": USER_ITEM_ID}},
            UpdateExpression="SET signed_out_at = :not_before",
            ConditionExpression="attribute_not_exists(signed_out_at) OR signed_out_at < :not_before",
            ExpressionAttributeValues={":not_before": {"N": str(not_before)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # A concurrent sign-out already set the same or a later cut-off.
