"""API events for invoking handlers in-process: the fixtures in events/, with the parts a test
changes (body, ids, query, headers, caller) swapped in."""

import copy
import json
import random
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from local import template as tpl
from local.front import claim_text

EVENTS_DIR = tpl.ROOT / "events"
UNCHANGED: Any = object()


def fixture(name: str) -> dict[str, Any]:
    """events/<name>.json, as `sam local invoke -e` would read it."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event


def customised(
    event: dict[str, Any],
    body: Any = UNCHANGED,
    note_id: str | None = None,
    query: dict[str, str] | None = None,
    headers: Mapping[str, str | None] | None = None,
    media_id: str | None = None,
) -> dict[str, Any]:
    """The event with another body (a str is sent as is), note or media id, query or headers (None
    removes a header)."""
    changed = copy.deepcopy(event)
    if body is not UNCHANGED:
        if body is None:
            changed.pop("body", None)
        else:
            changed["body"] = body if isinstance(body, str) else json.dumps(body)
    for name, value in (("id", note_id), ("media_id", media_id)):
        if value is not None:
            changed["rawPath"] = changed["rawPath"].replace(changed["pathParameters"][name], value)
            changed["pathParameters"][name] = value
            changed["requestContext"]["http"]["path"] = changed["rawPath"]
    if query is not None:
        changed["rawQueryString"] = urlencode(query)
        changed["queryStringParameters"] = dict(query)
        if not query:
            del changed["queryStringParameters"]
    for name, value in (headers or {}).items():
        if value is None:
            changed["headers"].pop(name, None)
        else:
            changed["headers"][name] = value
    return changed


def as_caller(event: dict[str, Any], access_token: str, claims: dict[str, Any]) -> dict[str, Any]:
    """The event with the caller's real token and claims in place of the fixture's example user."""
    changed = copy.deepcopy(event)
    changed["headers"]["authorization"] = f"Bearer {access_token}"
    changed["requestContext"]["authorizer"]["jwt"]["claims"] = {k: claim_text(v) for k, v in claims.items()}
    return changed


def from_source(event: dict[str, Any], source_ip: str) -> dict[str, Any]:
    """The event as sent from `source_ip` (requestContext.http.sourceIp, API Gateway's TCP peer)."""
    changed = copy.deepcopy(event)
    changed["requestContext"]["http"]["sourceIp"] = source_ip
    return changed


# Not the `random` module's generator: hypothesis seeds it for each example (the same seed each run
# in the property tier's deterministic profile), and every example would come from the same address.
_ADDRESSES = random.SystemRandom()


def new_source_ip() -> str:
    """An address of the private 10.0.0.0/8, drawn at random: another person's, as it were."""
    return f"10.{_ADDRESSES.randrange(256)}.{_ADDRESSES.randrange(256)}.{_ADDRESSES.randrange(1, 255)}"
