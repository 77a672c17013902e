"""The local stack's DynamoDB (moto, with local.moto_dynamodb's patches) answers as DynamoDB does:
queries read one partition (of the table or of an index), in key order, in pages; a cancelled
transaction leaves every item it named as it was."""

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


@pytest.mark.parametrize(
    ("index", "condition", "values", "expected"),
    [
        ("by-seq", "seq > :low", {":low": {"N": "4"}}, [12, 11, 10, 9, 8, 7, 6, 5]),
        ("live-by-seq", "live_seq BETWEEN :low AND :high", {":low": {"N": "3"}, ":high": {"N": "9"}}, [9, 7, 5, 3]),
        (None, "id >= :low", {":low": {"S": "note-010"}}, [12, 11, 10]),
        (None, "begins_with(id, :prefix)", {":prefix": {"S": "note-00"}}, [9, 8, 7, 6, 5, 4, 3, 2, 1]),
    ],
)
def test_a_sort_key_condition_reads_only_the_keys_it_holds_for_in_pages(
    stack: LocalStack, index: str | None, condition: str, values: dict[str, Any], expected: list[int]
) -> None:
    # Given a user's 12 notes, of which only the odd ones are in the sparse live index, and another
    # user's notes that the same condition would hold for
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    mine = [_note(user, seq) for seq in range(1, 13)]
    for item in mine:
        if int(item["seq"]["N"]) % 2 == 0:
            del item["live_seq"]
    _put_all(stack, mine + [_note(other, seq) for seq in range(1, 13)])

    # When the user's partition is queried with a sort key condition, newest first, three at a time
    request: dict[str, Any] = {
        "TableName": stack.ref("NotesTable"),
        "KeyConditionExpression": f"user_id = :user AND {condition}",
        "ExpressionAttributeValues": {":user": {"S": user}} | values,
        "ScanIndexForward": False,
        "Limit": 3,
    }
    if index:
        request["IndexName"] = index
    pages, scanned = [], 0
    while True:
        reply = stack.client("dynamodb").query(**request)
        pages.append([int(item["seq"]["N"]) for item in reply["Items"]])
        scanned += reply["ScannedCount"]
        if "LastEvaluatedKey" not in reply:
            break
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    # Then exactly the user's items the condition holds for come back, in key order, three a page,
    # and only they were read
    assert [seq for page in pages for seq in page] == expected
    assert all(len(page) == 3 for page in pages[: len(expected) // 3])
    assert scanned == len(expected)


def test_a_global_index_query_reads_its_partition_in_index_order_in_pages(stack: LocalStack) -> None:
    # Given trashed notes of two users in shard "03", one in shard "04", and untrashed notes (which
    # the sparse index leaves out), written out of the index's order
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    trashed = [(first, 1, "03", "2026-01-05"), (second, 1, "03", "2026-01-02"), (first, 2, "03", "2026-01-09")]
    trashed += [(second, 2, "04", "2026-01-01"), (first, 3, "03", "2026-01-02")]
    items = [
        _note(user, seq) | {"trash_shard": {"S": shard}, "purge_after": {"S": day}, "trashed_v": {"N": "1"}}
        for user, seq, shard, day in trashed
    ]
    _put_all(stack, items + [_note(str(uuid.uuid4()), seq) for seq in range(30)])

    # When shard "03" is queried for what is due by 2026-01-06, two at a time
    request: dict[str, Any] = {
        "TableName": stack.ref("NotesTable"),
        "IndexName": "trash-expiry",
        "KeyConditionExpression": "trash_shard = :shard AND purge_after <= :due",
        "ExpressionAttributeValues": {":shard": {"S": "03"}, ":due": {"S": "2026-01-06"}},
        "Limit": 2,
    }
    pages = []
    while True:
        reply = stack.client("dynamodb").query(**request)
        pages.append([(item["purge_after"]["S"], item["id"]["S"], sorted(item)) for item in reply["Items"]])
        if "LastEvaluatedKey" not in reply:
            break
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    # Then the shard's due notes come in the index's order (ties in the table's key order), each
    # with the keys and the projected attribute only
    projected = sorted(["user_id", "id", "trash_shard", "purge_after", "trashed_v"])
    found = [(day, note) for page in pages for day, note, _ in page]
    assert sorted(found) == sorted([("2026-01-02", "note-001"), ("2026-01-02", "note-003"), ("2026-01-05", "note-001")])
    assert [day for day, _ in found] == ["2026-01-02", "2026-01-02", "2026-01-05"]
    assert all(names == projected for page in pages for _, _, names in page)
    assert [len(page) for page in pages][:2] == [2, 1]


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
