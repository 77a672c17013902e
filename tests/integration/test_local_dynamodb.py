"""The local stack's DynamoDB (moto, with local.moto_dynamodb's patches) answers as DynamoDB does:
queries read one partition, in key order, in pages; a cancelled transaction leaves every item it
named as it was."""

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.stack import LocalStack


def _note(user_id: str, seq: int) -> dict[str, Any]:
    return {
        "user_id": {"S": user_id},
        "id": {"S": f"note-{seq:03d}"},
        "seq": {"N": str(seq)},
        "live_seq": {"N": str(seq)},
    }


def _put_all(stack: LocalStack, items: list[dict[str, Any]]) -> None:
    dynamodb, table = stack.client("dynamodb"), stack.ref("NotesTable")
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        )


@pytest.mark.parametrize("index", [None, "by-seq", "live-by-seq"])
def test_a_query_reads_its_own_partition_in_pages(stack: LocalStack, index: str | None) -> None:
    # Given a user with 7 notes, in a table that also holds 40 notes of two other users
    user, others = str(uuid.uuid4()), [str(uuid.uuid4()), str(uuid.uuid4())]
    _put_all(stack, [_note(user, seq) for seq in range(1, 8)] + [_note(o, seq) for o in others for seq in range(20)])

    # When the user's notes are queried newest first, three at a time
    request: dict[str, Any] = {
        "TableName": stack.ref("NotesTable"),
        "KeyConditionExpression": "user_id = :user",
        "ExpressionAttributeValues": {":user": {"S": user}},
        "ScanIndexForward": False,
        "ConsistentRead": True,
        "Limit": 3,
    }
    if index:
        request["IndexName"] = index
    pages = []
    while True:
        reply = stack.client("dynamodb").query(**request)
        pages.append([item["id"]["S"] for item in reply["Items"]])
        if "LastEvaluatedKey" not in reply:
            break
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    # Then exactly the user's notes come back, in descending key order, in pages of three
    assert pages[:3] == [["note-007", "note-006", "note-005"], ["note-004", "note-003", "note-002"], ["note-001"]]
    assert pages[3:] in ([], [[]])  # DynamoDB may end with an empty page after a full one


def test_a_cancelled_transaction_leaves_every_item_it_named_as_it_was(stack: LocalStack) -> None:
    # Given a user's two notes, and another user's note
    dynamodb, table = stack.client("dynamodb"), stack.ref("NotesTable")
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    _put_all(stack, [_note(user, 1), _note(user, 2), _note(other, 1)])

    def items() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for owner in (user, other):
            found += dynamodb.query(
                TableName=table,
                KeyConditionExpression="user_id = :user",
                ExpressionAttributeValues={":user": {"S": owner}},
                ConsistentRead=True,
            )["Items"]
        return found

    before = items()

    # When a transaction updates one, deletes the other, puts a third, and fails its last check
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"user_id": {"S": user}, "id": {"S": "note-001"}},
                        "UpdateExpression": "SET seq = :seq",
                        "ExpressionAttributeValues": {":seq": {"N": "99"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": {"user_id": {"S": user}, "id": {"S": "note-002"}}}},
                {"Put": {"TableName": table, "Item": _note(user, 3)}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"user_id": {"S": other}, "id": {"S": "note-001"}},
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )

    # Then it is cancelled with the reason of each action, and every item is as it was
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert items() == before
