"""Count the AWS requests a client makes, with botocore's event hooks."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Calls:
    operations: Counter[str] = field(default_factory=Counter)
    items_read: int = 0  # items DynamoDB read (Query: ScannedCount; GetItem, BatchGetItem: items returned)

    @property
    def total(self) -> int:
        return sum(self.operations.values())


@contextmanager
def counting(client: Any) -> Iterator[Calls]:
    """Every request `client` sends while active (retries included: counted at send time)."""
    calls = Calls()
    service = client.meta.service_model.service_name

    def sent(model: Any, **_: Any) -> None:
        calls.operations[model.name] += 1

    def answered(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            calls.items_read += parsed.get("ScannedCount", 0)
        elif model.name == "GetItem":
            calls.items_read += "Item" in parsed
        elif model.name == "BatchGetItem":
            calls.items_read += sum(len(items) for items in parsed.get("Responses", {}).values())

    client.meta.events.register(f"before-call.{service}", sent)
    client.meta.events.register(f"after-call.{service}", answered)
    try:
        yield calls
    finally:
        client.meta.events.unregister(f"before-call.{service}", sent)
        client.meta.events.unregister(f"after-call.{service}", answered)
