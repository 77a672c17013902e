"""The bases of every request and response body (msgspec Structs: validated and serialised in C, a
fraction of pydantic's import and first-use cost at every cold start), and how a value that is not
a valid body is told: a 422 whose pointer names the member at fault.

Requests forbid unknown fields, so a client sending a server-owned or misspelt field is told so
(422) instead of having it silently ignored; integers are strict (true, 1.5 and "1" are not
integers; 2.0 is 2, as JSON Schema's `integer` reads it: notes_core.edge.http).
"""

import re
from typing import Any

import msgspec

from notes_core.domain import errors

# How much of what the client wrote an answer repeats: an unknown member's name in a problem's
# pointer, an enum value msgspec quotes in its message, a refused batch or push item's id. Each
# could be megabytes, and escaped in a pointer (~1 for /) or quoted (a backslash doubled twice) an
# answer would outgrow Lambda's 6 MB response limit, which API Gateway answers with a 5xx.
MAX_ECHOED_CHARS = 200


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are refused."""


class Reply(msgspec.Struct):
    """Base of every response body."""


def parse_item[Item](model: type[Item], value: Any, at: str = "") -> Item | errors.DomainError:
    """One item of a batch or push, checked on its own: the item, or the problem with it, whose
    pointers start with `at`, the item's own pointer into the request body (`/changes/3`), so
    that they point into the body as RFC 6901 reads them."""
    try:
        return msgspec.convert(value, type=model)
    except msgspec.ValidationError as exc:
        return validation_error(exc, at)


_LOCATED = re.compile(r"^(?P<detail>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")


def echoed_id(item: Any) -> str | None:
    """The `id` a refused batch or push item was sent with, for its result: a string of at most
    MAX_ECHOED_CHARS characters (a note id is 36), else None, so that what a client wrote cannot
    grow an answer past Lambda's limit."""
    raw = item.get("id") if isinstance(item, dict) else None
    return raw if isinstance(raw, str) and len(raw) <= MAX_ECHOED_CHARS else None


def validation_error(exc: msgspec.ValidationError, at: str = "") -> errors.InvalidInput:
    """Turn msgspec's report into a 422 problem naming the member at fault as a JSON pointer
    ("Expected `int`, got `str` - at `$.changes[0].base_version`" is /changes/0/base_version),
    below `at` when the value checked is a part of the body."""
    located = _LOCATED.match(str(exc))
    assert located is not None  # the pattern matches any text
    detail, path = located.group("detail"), located.group("path") or ""
    parts = [name or index for name, index in _PATH_PART.findall(path)]
    unknown, missing = _UNKNOWN_FIELD.match(detail), _MISSING_FIELD.match(detail)
    if unknown and len(unknown.group("name")) > MAX_ECHOED_CHARS:
        detail = f"unknown field (its name, over {MAX_ECHOED_CHARS} characters, is left out of the pointer)"
    elif unknown:
        parts.append(unknown.group("name"))
        detail = "unknown or server-owned field"
    elif missing:
        parts.append(missing.group("name"))
        detail = "required"
    elif len(detail) > MAX_ECHOED_CHARS:
        detail = detail[:MAX_ECHOED_CHARS] + "..."
    pointer = at + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts) or "/"
    return errors.InvalidInput("The request body is not valid.", errors=[{"pointer": pointer, "detail": detail}])
