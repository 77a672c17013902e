"""API events for invoking handlers in-process: the fixtures in events/ and events built the way
the local front builds them."""

import copy
import json
from typing import Any

from local import template as tpl
from local.front import build_event, claim_text

EVENTS_DIR = tpl.ROOT / "events"


def fixture(name: str) -> dict[str, Any]:
    """events/<name>.json, as `sam local invoke -e` would read it."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event


def with_body(event: dict[str, Any], body: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["body"] = json.dumps(body)
    return changed


def as_caller(event: dict[str, Any], access_token: str, claims: dict[str, Any]) -> dict[str, Any]:
    """The event with the caller's real token and claims in place of the fixture's example user."""
    changed = copy.deepcopy(event)
    changed["headers"]["authorization"] = f"Bearer {access_token}"
    changed["requestContext"]["authorizer"]["jwt"]["claims"] = {k: claim_text(v) for k, v in claims.items()}
    return changed


def api_event(
    method: str,
    path: str,
    route_path: str | None = None,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    path_parameters: dict[str, str] | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload format 2.0 event for `method path`, as the local front would build it."""
    route = tpl.Route(method, route_path or path, "", public=claims is None)
    all_headers = {"content-type": "application/json", **(headers or {})}
    data = (body if isinstance(body, str) else json.dumps(body)).encode() if body is not None else b""
    return build_event(route, path, query, all_headers, data, path_parameters or {}, claims, "127.0.0.1")
