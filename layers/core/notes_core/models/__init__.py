"""Request and response bodies of the API (msgspec Structs: validated and serialised in C, a
fraction of pydantic's import and first-use cost at every cold start).

Requests forbid unknown fields, so a client sending a server-owned or misspelt field is told so
(422) instead of having it silently ignored; integers are strict (true, 1.5 and "1" are not integers; 2.0 is
2, as JSON Schema's `integer` reads it: notes_core.http).
"""

import msgspec

# How much of what the client wrote an answer repeats: an unknown member's name in a problem's
# pointer, an enum value msgspec quotes in its message, a refused batch or push item's id. Each
# could be megabytes, and escaped in a pointer (~1 for /) or quoted (a backslash doubled twice) an
# answer would outgrow Lambda's 6 MB response limit, which API Gateway answers with a 5xx.
MAX_ECHOED_CHARS = 200


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are refused."""


class Reply(msgspec.Struct):
    """Base of every response body."""
