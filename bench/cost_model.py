"""What AWS bills for what notes-sync does: the billing rules as pure functions, and the prices.

bench/cost.py measures what a month of use does (requests, invocations and their durations, items
read and written, bytes logged); these functions turn it into the units AWS bills and the units
into dollars with bench/prices.json (us-east-1 list prices, free tiers left out). Each rule cites
the page it comes from; tests/unit/test_cost_model.py checks them on the pages' own examples.
"""

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

PRICES_PATH = Path(__file__).resolve().parent / "prices.json"
KB = 1024
SECONDS_PER_MONTH = 30 * 24 * 3600  # the month of bench/cost.py: 30 days

AttributeValue = Mapping[str, Any]
Item = Mapping[str, AttributeValue]


# ---------------------------------------------------------------- DynamoDB
# "DynamoDB Item sizes and formats" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
# an item's size is the sum of its attribute names' and values' lengths: a string its UTF-8 bytes,
# a number "approximately (1 byte per two significant digits) + (1 byte)" (leading and trailing
# zeroes trimmed), binary its raw bytes, null and Boolean 1 byte, a List or Map 3 bytes plus its
# elements, each element 1 byte more.
def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (max(len(digits), 1) + 1) // 2 + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else len(str(value)) * 3 // 4


def value_size(value: AttributeValue) -> int:
    """The size of one typed attribute value (DynamoDB JSON: {"S": ...}, {"N": ...}, ...)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        return _number_size(str(content))
    if kind == "B":
        return _binary_size(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(member).encode()) for member in content)
    if kind == "NS":
        return sum(_number_size(str(member)) for member in content)
    if kind == "BS":
        return sum(_binary_size(member) for member in content)
    if kind == "L":
        return 3 + sum(value_size(member) + 1 for member in content)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(member) + 1 for name, member in content.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_size(item: Item | None) -> int:
    """The size DynamoDB bills an item at (0 for no item)."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


# "DynamoDB read and write operations" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html,
# formerly ProvisionedThroughput.html; on-demand request units follow the same rules: "A strongly
# consistent read request of up to 4 KB requires one read request unit ... A standard write request
# unit can write an item up to 1 KB", https://aws.amazon.com/dynamodb/pricing/on-demand/):
# - a read of up to 4 KB is 1 unit strongly consistent, 0.5 eventually consistent, 2 transactional;
#   GetItem and BatchGetItem round each item up to 4 KB, Query rounds the total of the items it
#   reads (their whole size, whatever the projection) up to 4 KB; reading an item that does not
#   exist still costs 1 (0.5 eventually consistent);
# - a write rounds the item up to 1 KB: PutItem and UpdateItem the larger of the item before and
#   after, DeleteItem the deleted item; a failed conditional write still costs its units, 1 for a new
#   item. "Capacity management for transactions" (transaction-apis.html): "DynamoDB performs two
#   underlying reads or writes of every item in the transaction".
def read_units(total_bytes: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units for reading `total_bytes` as one rounded read (an item, or a Query page)."""
    blocks = max(1, math.ceil(total_bytes / (4 * KB)))
    if transactional:
        return 2.0 * blocks
    return float(blocks) if consistent else blocks / 2


def write_units(size: int, *, transactional: bool = False) -> int:
    units = max(1, math.ceil(size / KB))
    return 2 * units if transactional else units


def item_write_units(before: Item | None, after: Item | None, *, transactional: bool = False) -> int:
    """A put, update or delete of one item: the larger of its sizes before and after."""
    return write_units(max(item_size(before), item_size(after)), transactional=transactional)


@dataclass(frozen=True)
class SecondaryIndex:
    """A table's LSI or GSI as write costs see it: its key attributes, the table's, and what it projects."""

    name: str
    key: tuple[str, ...]
    table_key: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    @classmethod
    def of_table(cls, properties: Mapping[str, Any]) -> list["SecondaryIndex"]:
        """The indexes of an AWS::DynamoDB::Table's properties."""
        table_key = tuple(key["AttributeName"] for key in properties["KeySchema"])
        indexes = [*properties.get("LocalSecondaryIndexes", []), *properties.get("GlobalSecondaryIndexes", [])]
        return [
            cls(
                index["IndexName"],
                tuple(key["AttributeName"] for key in index["KeySchema"]),
                table_key,
                index["Projection"]["ProjectionType"],
                tuple(index["Projection"].get("NonKeyAttributes", ())),
            )
            for index in indexes
        ]

    def entry(self, item: Item | None) -> dict[str, AttributeValue] | None:
        """The item's entry in the index, None when the item is not in it (sparse: a key attribute missing)."""
        if not item or any(name not in item for name in self.key):
            return None
        kept = {*self.key, *self.table_key}
        if self.projection == "ALL":
            return dict(item)
        if self.projection == "INCLUDE":
            kept |= set(self.included)
        return {name: value for name, value in item.items() if name in kept}


# "Provisioned throughput considerations for Local Secondary Indexes" and "... for Global Secondary
# Indexes", Write capacity units (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LSI.html,
# GSI.html): a write that puts an item into an index costs one write there, one that changes an
# indexed key two (a delete and a put), one that removes the item from the index one, one that only
# changes projected attributes one, and one that changes nothing the index holds none; each rounded
# up to 1 KB of the index entry. These are the index's own writes, counted once in a transaction too:
# the pages say nothing of doubling them.
def index_write_units(index: SecondaryIndex, before: Item | None, after: Item | None) -> int:
    old, new = index.entry(before), index.entry(after)
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return write_units(item_size(old or new))
    if any(old[name] != new[name] for name in index.key):
        return write_units(item_size(old)) + write_units(item_size(new))
    if old == new:
        return 0
    return write_units(max(item_size(old), item_size(new)))


# ---------------------------------------------------------------- Lambda
# "Duration is calculated from the time your code begins executing until it returns or otherwise
# terminates, rounded up to the nearest 1 ms" and priced by the memory configured
# (https://aws.amazon.com/lambda/pricing/).
def billed_milliseconds(duration_ms: float) -> int:
    return max(1, math.ceil(duration_ms))


def gb_seconds(memory_mb: int, duration_ms: float) -> float:
    return memory_mb / 1024 * billed_milliseconds(duration_ms) / 1000


# Lambda's own lines in a function's log for each invocation: "The Python runtime logs the START,
# END, and REPORT lines for each invocation", and the XRAY line of a traced one, in the text format
# "AWS Lambda function logging in Python" shows (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html):
# a request id of 36 characters, the version the alias points at, durations with two decimals.
_REQUEST_ID = "8f10f676-9f28-4dd8-ae05-83fe17ac5f8e"
_MAX_MEMORY_USED_MB = 100  # a Python function's, to a digit


def platform_log_lines(duration_ms: float, memory_mb: int, *, sampled: bool, version: str = "12") -> list[str]:
    report = (
        f"REPORT RequestId: {_REQUEST_ID}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_milliseconds(duration_ms)} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {_MAX_MEMORY_USED_MB} MB\t"
    )
    if sampled:
        report += "\nXRAY TraceId: 1-6a653017-20b75f614dfd56bc355dd82c\tSegmentId: db31c2947a6182b9\tSampled: true\t"
    return [f"START RequestId: {_REQUEST_ID} Version: {version}", f"END RequestId: {_REQUEST_ID}", report]


def platform_log_bytes(duration_ms: float, memory_mb: int, *, sampled: bool) -> int:
    return sum(len(line.encode()) + 1 for line in platform_log_lines(duration_ms, memory_mb, sampled=sampled))


# ---------------------------------------------------------------- messages and requests
# API Gateway: "Messages are metered in 32 KB increments" for WebSocket APIs
# (https://aws.amazon.com/api-gateway/pricing/); an HTTP API request is metered in 512 KB increments
# (same page, HTTP APIs). SQS: "Each 64 KB chunk of a payload is billed as 1 request"
# (https://aws.amazon.com/sqs/pricing/).
def websocket_messages(size: int) -> int:
    return max(1, math.ceil(size / (32 * KB)))


def http_api_requests(size: int) -> int:
    return max(1, math.ceil(size / (512 * KB)))


def sqs_requests(payload_bytes: int) -> int:
    return max(1, math.ceil(payload_bytes / (64 * KB)))


# ---------------------------------------------------------------- X-Ray
# Lambda with Active tracing records "1 request per second and 5 percent of additional requests. You
# can't configure the X-Ray sampling rate for your functions"
# (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html); the same default rule serves
# Step Functions ("Configuring sampling rules", https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html:
# "records the first request each second, and five percent of any additional requests").
RESERVOIR_PER_SECOND = 1
SAMPLED_BEYOND_RESERVOIR = 0.05


def traces_per_second(requests_per_second: float) -> float:
    """Traces recorded per second from a source of Poisson arrivals at `requests_per_second`: the
    first request of each second (when there is one), and 5% of the others."""
    if requests_per_second <= 0:
        return 0.0
    first = 1 - math.exp(-requests_per_second)  # P(at least one request in a second)
    return RESERVOIR_PER_SECOND * first + SAMPLED_BEYOND_RESERVOIR * (requests_per_second - first)


def traces_per_month(requests_per_month: float) -> float:
    """Traces recorded in a month from requests spread evenly over it (a daily peak records fewer)."""
    return traces_per_second(requests_per_month / SECONDS_PER_MONTH) * SECONDS_PER_MONTH


# ---------------------------------------------------------------- prices and bills
@dataclass(frozen=True)
class Price:
    """One list price: `usd` for `per` of `unit`, with where and when it was read."""

    key: str
    service: str
    usd: Decimal
    per: int
    unit: str
    page: str
    read: str
    seen: str

    def of(self, quantity: float) -> Decimal:
        return self.usd * Decimal(repr(quantity)) / self.per


def load_prices(path: Path = PRICES_PATH) -> dict[str, Price]:
    document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return {
        key: Price(
            key,
            entry["service"],
            Decimal(entry["usd"]),
            int(entry["per"]),
            entry["unit"],
            entry["page"],
            entry["read"],
            entry["seen"],
        )
        for key, entry in document["prices"].items()
    }


@dataclass(frozen=True)
class Line:
    price: Price
    quantity: float

    @property
    def usd(self) -> Decimal:
        return self.price.of(self.quantity)


def bill(units: Mapping[str, float], prices: Mapping[str, Price]) -> list[Line]:
    """Each billed quantity priced; a unit without a price is an error, never a silent zero."""
    unknown = sorted(set(units) - set(prices))
    if unknown:
        raise KeyError(f"no price for {', '.join(unknown)} in bench/prices.json")
    return [Line(prices[key], quantity) for key, quantity in units.items() if quantity]


def by_service(lines: Iterable[Line]) -> dict[str, Decimal]:
    """Dollars per service, most expensive first."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.price.service] = totals.get(line.price.service, Decimal(0)) + line.usd
    return dict(sorted(totals.items(), key=lambda item: item[1], reverse=True))


def total(lines: Iterable[Line]) -> Decimal:
    return sum((line.usd for line in lines), Decimal(0))


# ---------------------------------------------------------------- AppSync, for comparison
# AWS AppSync GraphQL (https://aws.amazon.com/appsync/pricing/): query and data modification
# operations, real-time updates ("outbound messages that are broadcast, together with WebSocket
# operations such as client connections, count as real-time updates") and connection minutes.
API_LAYER_KEYS = ("http_api.requests", "websocket.messages", "websocket.connection_minutes")


def appsync_units(
    operations: float, pokes_delivered: float, connections_opened: float, connection_minutes: float
) -> Counter[str]:
    """The same workload's API layer on AppSync: every API request but the public auth routes (a client
    of an AppSync API signs in with Cognito directly) is an operation, each poke delivered and each
    connection opened a real-time update."""
    return Counter(
        {
            "appsync.operations": operations,
            "appsync.realtime_updates": pokes_delivered + connections_opened,
            "appsync.connection_minutes": connection_minutes,
        }
    )
