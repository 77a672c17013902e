"""One local stack (moto + the template's resources + the functions' environment) per test process.

Started on first use, before any test module imports notes_core (whose configuration is read at
import); the integration and property tiers share it when pytest runs both.
"""

import atexit
from functools import cache

from local.stack import LocalStack

# Platform applications for two of the three push platforms (FCM and APNs): registering a device
# and its silent pushes run, and the third (APNs sandbox) shows a platform this stack does not push to.
PUSH_PARAMETERS = {
    "FcmPlatformApplicationArn": "arn:aws:sns:us-east-1:123456789012:app/GCM/notes-sync-tests",
    "ApnsPlatformApplicationArn": "arn:aws:sns:us-east-1:123456789012:app/APNS/notes-sync-tests",
}


@cache
def shared_stack() -> LocalStack:
    stack = LocalStack(parameters=PUSH_PARAMETERS)
    atexit.register(stack.stop)
    return stack


def forget_user(stack: LocalStack, user_id: str) -> None:
    """Delete every item of a user from the table: moto's Query reads the whole table, so a long
    run that kept every example's notes would slow down with each example."""
    dynamodb, table = stack.client("dynamodb"), stack.ref("NotesTable")
    keys = [
        {"user_id": item["user_id"], "id": item["id"]}
        for page in dynamodb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="user_id = :user",
            ExpressionAttributeValues={":user": {"S": user_id}},
            ProjectionExpression="user_id, id",
        )
        for item in page["Items"]
    ]
    for start in range(0, len(keys), 25):
        requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={table: requests})
