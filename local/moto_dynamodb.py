"""moto's DynamoDB without the costs that grow with the whole table.

Real DynamoDB reads only the partition a Query names and keeps no copy of a table to roll back a
transaction. moto 5.2 does both over the whole table: its Query walks every item of the table (of
every user), and TransactWriteItems deep-copies the whole table once per action as its rollback
backup. A local stack left running for days, or a benchmark with 10,000 notes, slows down with
every note anyone wrote. These patches make those costs what they are on AWS, proportional to what
the request touches, without changing any answer:
- a Query on the table or on a local secondary index (which shares the table's partition key)
  looks at the named partition's items only; one on a global secondary index looks only at the
  items holding the index's partition key value, unsorted (moto otherwise sorts the whole table
  first: 145 ms a query with 10,000 notes, 16 of them in each run of the purge-trash machine);
- and of those items, a query with a sort key condition (the feed from a cursor: `seq > :cursor`)
  hands moto only the ones the condition holds for, as the index's key order would on AWS: moto
  sorted the whole partition first (460 ms for 10 changes of a 20,000-item partition);
- a transaction backs up only the items its actions name, and on failure puts those back.

And one fix of an answer: a cancelled transaction writes nothing, so it leaves nothing in the table's
stream either ("TransactWriteItems is a synchronous write operation that groups up to 100 action
requests ... either all of them succeed or none of them do": API_TransactWriteItems.html), while
moto had appended a record for each action applied before the one that failed. Every version
conflict of a write (its counter update comes first) would have poked devices about a change that
never happened.

Stream shard iterators expire 15 minutes after they are returned ("A shard iterator expires 15
minutes after it is returned to the requester": DynamoDB Streams API_GetShardIterator.html), and
moto kept every iterator of every GetRecords call forever (the stream poller makes four a second):
iterators past that age are forgotten, and using one answers ExpiredIteratorException.
"""

import copy
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator


def _partition_of(table: Table, hash_key: DynamoType | None, index_name: str | None, conditions: Any) -> Any:
    """The partition key value a query is bound to, when it reads one partition of the table
    itself (the table or a local secondary index); None for anything else."""
    if index_name is not None and index_name not in {index.name for index in table.indexes or []}:
        return None
    named = [value for name, value in conditions or [] if name == table.hash_key_attr]
    return named[0] if named else hash_key


def _global_index_key(table: Table, index_name: str | None, hash_key: DynamoType | None, conditions: Any) -> Any:
    """{attribute: value} of the partition a query of a global secondary index names; None otherwise."""
    index = next((index for index in table.global_indexes or [] if index.name == index_name), None)
    if index is None:
        return None
    attributes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    named = dict(conditions or [])
    if not named and len(attributes) == 1 and hash_key is not None:
        named = {attributes[0]: hash_key}
    return named if named and set(named) == set(attributes) else None


def _every_item(table: Table) -> Iterator[Item]:
    """The table's items in no order: moto's all_items() sorts them all by key first (most of a
    global index query's time), and sorts the query's results again by the index's keys anyway."""
    for stored in table.items.values():
        if table.range_key_attr:
            yield from stored.values()
        else:
            yield stored  # type: ignore[misc]  # a hash-only table maps keys to items


def _holds(item: Item, values: dict[str, DynamoType]) -> bool:
    return all(name in item.attrs and item.attrs[name] == value for name, value in values.items())


def _sort_key_of(table: Table, index_name: str | None, range_key_conditions: Any) -> str | None:
    """The attribute a query's sort key condition compares, as moto's Table.query picks it."""
    if not index_name:
        return table.range_key_attr
    if range_key_conditions:
        return str(range_key_conditions[-1][0])
    index = next((index for index in table.all_indexes() if index.name == index_name), None)
    ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"] if index else []
    return ranges[0] if ranges else None


def _partition_scoped_query() -> None:
    original = Table.query

    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        comparison: str | None = args[0] if args else None
        compared_with: list[DynamoType] = args[1] if len(args) > 1 else []
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        conditions = kwargs.get("hash_key_conditions")
        partition = _partition_of(self, hash_key, index_name, conditions)
        global_key = _global_index_key(self, index_name, hash_key, conditions) if partition is None else None
        if partition is not None:
            stored = self.items.get(partition)
            in_partition: list[Item] = list(stored.values()) if self.has_range_key and stored else []
            if not self.has_range_key and stored is not None:
                in_partition = [stored]  # type: ignore[list-item]  # a hash-only table maps keys to items
        elif global_key is not None:
            in_partition = [item for item in _every_item(self) if _holds(item, global_key)]
        else:
            return original(self, hash_key, *args, **kwargs)
        sort_key = _sort_key_of(self, index_name, kwargs.get("range_key_conditions")) if comparison else None
        if comparison and sort_key:
            # moto keeps exactly these: an item without the attribute, or failing the condition, is
            # neither returned nor counted as scanned, nor does it end a page. The test is
            # DynamoType.compare's, with the comparison and its operands looked up once.
            holds = get_comparison_func(comparison)
            bounds = [operand.cast_value for operand in compared_with]
            in_partition = [
                item
                for item in in_partition
                if (value := item.attrs.get(sort_key)) and holds(value.cast_value, *bounds)
            ]
        self.all_items = lambda: in_partition  # type: ignore[method-assign]  # moto walks all_items()
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]


# moto backs a transaction up with copy.deepcopy(table), and restores by putting that copy in
# the table's place; with this stand-in for its `copy` module, the "copy" is the table itself.
_TABLES_NOT_COPIED = types.SimpleNamespace(
    deepcopy=lambda value, *args: value if isinstance(value, Table) else copy.deepcopy(value, *args)
)


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    namespace = vars(dynamodb_models)
    namespace["copy"] = _TABLES_NOT_COPIED
    try:
        yield
    finally:
        namespace["copy"] = copy


def _key_of(table: Table, action: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    attributes = action["Item"] if "Item" in action else action["Key"]
    range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    return DynamoType(attributes[table.hash_key_attr]), range_key


def _put_back(table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item  # type: ignore[assignment]  # a hash-only table maps keys to items
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


def _item_scoped_transactions() -> None:
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            for action in entry.values():
                table = self.tables.get(action.get("TableName"))
                try:
                    hash_key, range_key = _key_of(table, action) if table is not None else (None, None)
                except KeyError:
                    continue  # moto refuses the action itself
                if table is not None and hash_key is not None:
                    current = table.get_item(hash_key, range_key)
                    backups.append((table, hash_key, range_key, copy.deepcopy(current)))
        streams = {
            id(table): (table.stream_shard, len(table.stream_shard.items))
            for table, *_ in backups
            if table.stream_shard
        }
        with _tables_not_copied():
            try:
                original(self, transact_items)
            except Exception:
                for table, hash_key, range_key, item in reversed(backups):
                    _put_back(table, hash_key, range_key, item)
                for shard, length in streams.values():
                    del shard.items[length:]
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


ITERATOR_SECONDS = 15 * 60


def _expiring_shard_iterators() -> None:
    original_init = ShardIterator.__init__
    original_get_records = DynamoDBStreamsBackend.get_records

    def __init__(self: ShardIterator, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.issued_at = time.monotonic()  # type: ignore[attr-defined]

    def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
        now = time.monotonic()
        for arn, iterator in list(self.shard_iterators.items()):
            if now - getattr(iterator, "issued_at", now) > ITERATOR_SECONDS:
                del self.shard_iterators[arn]
        if iterator_arn not in self.shard_iterators:
            raise JsonRESTError(
                "ExpiredIteratorException", "Iterator expired. The iterator was created 15 minutes ago."
            )
        result: dict[str, Any] = original_get_records(self, iterator_arn, limit)
        return result

    ShardIterator.__init__ = __init__  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]


def patch_dynamodb() -> None:
    _partition_scoped_query()
    _item_scoped_transactions()
    _expiring_shard_iterators()
