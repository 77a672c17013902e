"""No request a client can send is answered 5xx: a corpus of hostile values goes to every route
template.yaml declares, public ones included, in every input the route's operation in the OpenAPI
document reads (the body, the cursor and other query parameters, path parameters, If-Match).
Every answer is a 4xx problem document that Lambda can return (under its 6 MB response limit),
and nothing stored changes: not the user's items, objects, Cognito user or workflows, and no user
is added to the pool.

A route added to the template is covered without changing this file, as long as its inputs are
in the document (test_fixtures checks the document has every route). Over HTTP, through the local
stack's front, tests/e2e/test_local_stack.py sends the issue's anonymous sign-in.
"""

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from local import template as tpl
from notes_core.edge.http import MAX_BODY_BYTES
from tests.support import events, stored
from tests.support.api import Api, Reply, User
from tools.openapi.generate import published_document

TEMPLATE = tpl.load()
DOCUMENT = json.loads(published_document())
LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024  # what Lambda returns at most; past it API Gateway answers 5xx
FIXTURE_NOTE = "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b"  # the note id the fixtures' paths name


def _nested(levels: int, closed: bool = True) -> str:
    return "[" * levels + ("]" * levels if closed else "")


# JSON texts of values a client can make up. Each goes where the route expects something else.
VALUES: dict[str, str] = {
    "nested-10": _nested(10),
    "nested-10-unclosed": _nested(10, closed=False),
    "nested-1000": _nested(1000),
    "nested-1000-unclosed": _nested(1000, closed=False),
    "nested-100000": _nested(100_000),
    "nested-100000-unclosed": _nested(100_000, closed=False),
    "objects-nested-1000": '{"a":' * 1000 + "0" + "}" * 1000,
    "1e400": "1e400",
    "-1e400": "-1e400",
    "400-digit-integer": "9" * 400,
    "5000-digit-integer": "9" * 5000,
    "lone-high-surrogate": '"\\ud800"',
    "lone-low-surrogate": '"\\udfff"',
    "nul": '"\\u0000"',
    "raw-nul": '"\x00"',
    "10000-element-array": "[" + ",".join(["0"] * 10_000) + "]",
    "10000-member-object": "{" + ",".join(f'"m{n}":0' for n in range(10_000)) + "}",
}

# Texts a client can put in a query parameter, a path segment or a header.
TEXTS: dict[str, str] = {
    "1e400": "1e400",
    "400-digits": "9" * 400,
    "negative": "-1",
    "zero": "0",
    "nul": "\x00",
    "lone-surrogate": "\ud800",
    "fullwidth-digit": "\uff11",
    "arabic-digit": "\u0663",
    "10000-characters": "a" * 10_000,
    "dot-segments": "../../v1/account",
    "percent-nul": "%00",
    "almost-a-uuid": "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7g",
    "brackets": _nested(1000),
}
IF_MATCH: dict[str, str] = {
    **TEXTS,
    "400-digit-etag": '"' + "9" * 400 + '"',
    "weak-without-tag": "W/",
    "two-etags": '"1", "2"',
    "another-version": '"99999"',
}


@dataclass(frozen=True)
class Entry:
    """One hostile request: what is changed in the route's own example request."""

    name: str
    body: Any = events.UNCHANGED  # str or bytes (bytes arrive base64-encoded, as binary bodies do)
    headers: dict[str, str | None] | None = None
    query: dict[str, str] | None = None
    path: dict[str, str] | None = None


def _body_entries(example: dict[str, Any]) -> Iterator[Entry]:
    """Bodies of a route whose example body is `example`: each value as the body and as its first
    member, the example repeating a member or with lone surrogates for its strings, and bodies of
    every documented size, not JSON or not said to be."""
    first = next(iter(example))
    for name, value in VALUES.items():
        yield Entry(f"body {name}", value)
        if name != "nul":  # U+0000 is a character a text member may hold (a raw NUL byte is not JSON)
            yield Entry(f"member {name}", f'{{"{first}": {value}}}')
    yield Entry("member repeated", f'{{"{first}": {json.dumps(example[first])}, ' + json.dumps(example)[1:])
    surrogates = json.dumps(_strings_replaced(example, "\ud800"), ensure_ascii=True)
    yield Entry("every string a lone surrogate", surrogates)
    padding = MAX_BODY_BYTES - len(f'{{"{first}": ""}}')
    yield Entry("5 MiB", f'{{"{first}": "{"a" * padding}"}}')
    yield Entry("5 MiB and a byte", f'{{"{first}": "{"a" * (padding + 1)}"}}')
    yield Entry("5 MiB of brackets", _nested(MAX_BODY_BYTES // 2))
    yield Entry("not utf-8", b'{"' + first.encode() + b'": "\xff\xfe"}')
    yield Entry("byte order mark", b"\xef\xbb\xbf" + json.dumps(example).encode())
    for content_type in (None, "", "text/plain", "application/x-www-form-urlencoded", "application/jsonp"):
        yield Entry(f"content-type {content_type!r}", json.dumps(example), headers={"content-type": content_type})


def _strings_replaced(value: Any, text: str) -> Any:
    if isinstance(value, dict):
        return {name: _strings_replaced(member, text) for name, member in value.items()}
    if isinstance(value, list):
        return [_strings_replaced(item, text) for item in value]
    return text if isinstance(value, str) else value


def _encoded(text: str | bytes) -> str:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _cursor_entries(issued: str, query: dict[str, str]) -> Iterator[Entry]:
    """Cursors made up from one the route issued (base64url JSON, notes_core.contract.cursors)."""
    fields: dict[str, Any] = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))
    first = next(iter(fields))
    made_up: dict[str, str | bytes] = {f"cursor {name}": value for name, value in VALUES.items()}
    for name, value in VALUES.items():
        made_up[f"cursor members {name}"] = "{" + ",".join(f'"{member}":{value}' for member in fields) + "}"
    made_up["cursor member repeated"] = f'{{"{first}":{json.dumps(fields[first])},' + json.dumps(fields)[1:]
    made_up["cursor not utf-8"] = b'{"\xff":0}'
    made_up["cursor of 5 MiB"] = json.dumps({**fields, first: "a" * MAX_BODY_BYTES})
    for name, text in made_up.items():
        yield Entry(name, query={**query, "cursor": _encoded(text)})
    for name, text in TEXTS.items():
        yield Entry(f"cursor text {name}", query={**query, "cursor": text})


@dataclass(frozen=True)
class Hostile:
    """A user with notes, revisions and a trash, whom no hostile request may change."""

    user: User
    note_ids: tuple[str, ...]


@pytest.fixture(scope="module")
def hostile(api: Api) -> Hostile:
    user = api.new_user()
    created = api.invoke(
        "notes_create", events.as_caller(events.fixture("notes_create"), user.access_token, user.claims)
    )
    assert created.body["id"] == FIXTURE_NOTE
    for version in (1, 2):
        edited = api.call("notes_update", user, body={"title": f"v{version + 1}"}, headers={"if-match": f'"{version}"'})
        assert edited.status == 200
    others = [
        api.call("notes_create", user, body={"title": "t", "content": "c", "trashed": trashed}).body["id"]
        for trashed in (False, True, True)
    ]
    return Hostile(user, (FIXTURE_NOTE, *others))


def _operation(route: tpl.Route) -> dict[str, Any]:
    operation: dict[str, Any] = DOCUMENT["paths"][route.path][route.method.lower()]
    return operation


def _parameters(route: tpl.Route, location: str) -> list[str]:
    return [p["name"] for p in _operation(route).get("parameters", []) if p["in"] == location]


def _send(api: Api, route: tpl.Route, user: User, entry: Entry) -> Reply:
    fixture = events.fixture(stored.fixture_name(TEMPLATE, route))
    event = fixture if route.public else events.as_caller(fixture, user.access_token, user.claims)
    binary = isinstance(entry.body, bytes)
    event = events.customised(event, events.UNCHANGED if binary else entry.body, headers=entry.headers)
    if binary:
        event["body"], event["isBase64Encoded"] = base64.b64encode(entry.body).decode(), True
    if entry.query is not None:  # as customised() sets it, but a lone surrogate has no UTF-8 to quote
        event["queryStringParameters"] = entry.query
        event["rawQueryString"] = urlencode(entry.query, errors="surrogatepass")
    for name, value in (entry.path or {}).items():
        event["pathParameters"][name] = value
    return api.invoke(stored.fixture_name(TEMPLATE, route), event)


def _entries(api: Api, route: tpl.Route, user: User) -> Iterator[Entry]:
    """Every hostile request for the route: the corpus in each input its operation declares."""
    fixture = events.fixture(stored.fixture_name(TEMPLATE, route))
    if "requestBody" in _operation(route):
        yield from _body_entries(json.loads(fixture["body"]))
    query = dict(fixture.get("queryStringParameters") or {})
    for name in _parameters(route, "query"):
        if name == "cursor":
            for listing in [{}, {"trashed": "true"}] if "trashed" in _parameters(route, "query") else [{}]:
                page = {**query, **listing, "limit": "1"}
                issued = _send(api, route, user, Entry("issued", query=page))
                assert issued.status == 200, issued.body
                cursor = next(value for member, value in issued.body.items() if member.endswith("cursor"))
                yield from _cursor_entries(cursor, {**query, **listing})
        else:
            yield from (Entry(f"{name} {text_name}", query={**query, name: text}) for text_name, text in TEXTS.items())
    for name in _parameters(route, "path"):
        corpus = _refused_by(_parameter(route, name), TEXTS)
        yield from (Entry(f"{name} {text_name}", path={name: text}) for text_name, text in corpus.items())
    for name in _parameters(route, "header"):
        corpus = _refused_by(_parameter(route, name), IF_MATCH)
        yield from (Entry(f"{name} {text_name}", headers={name.lower(): text}) for text_name, text in corpus.items())


def _parameter(route: tpl.Route, name: str) -> dict[str, Any]:
    return next(p for p in _operation(route).get("parameters", []) if p["name"] == name)


def _refused_by(parameter: dict[str, Any], corpus: dict[str, str]) -> dict[str, str]:
    """The texts of `corpus` the parameter's documented pattern refuses: one it admits (a device id
    made of digits, an ETag naming another version) is a request like any other."""
    pattern = parameter["schema"].get("pattern")
    return {name: text for name, text in corpus.items() if pattern is None or not re.search(pattern, text)}


# What notes_core.edge.http offers a handler to read a request with (but its caller), by the part of
# the request the document declares for it.
READERS = {
    "body": {"json_body", "json_body_keys"},
    "query": {"query_int", "query_flag", "query_text"},
    "path": {"path_id", "path_version", "path_device_id"},
    "header": {"if_match", "device_id"},
}


def _readers_called(route: tpl.Route) -> set[str]:
    """The request readers the route's handler calls."""
    source = (tpl.ROOT / "functions" / stored.fixture_name(TEMPLATE, route) / "app.py").read_text()
    return {reader for readers in READERS.values() for reader in readers if re.search(rf"\b{reader}\(", source)}


def _readers_declared(route: tpl.Route) -> set[str]:
    """The readers of the parts of a request the route's operation declares."""
    parts = {parameter["in"] for parameter in _operation(route).get("parameters", [])}
    if "requestBody" in _operation(route):
        parts.add("body")
    return {reader for part in parts for reader in READERS[part]}


def _fault(api: Api, reply: Reply) -> str | None:
    """What is wrong with an answer to a hostile request, if anything."""
    if not 400 <= reply.status < 500:
        return f"answered {reply.status}"
    if reply.headers.get("content-type") != "application/problem+json" or reply.body.get("status") != reply.status:
        return f"answered {reply.status} without a problem document"
    if len(api.last_body.encode()) >= LAMBDA_RESPONSE_BYTES:
        return f"answered a problem of {len(api.last_body.encode())} bytes, more than Lambda returns"
    return None


@pytest.mark.parametrize("route", tpl.routes(TEMPLATE), ids=lambda route: route.route_key)
def test_hostile_input_is_a_4xx_problem_and_changes_nothing(api: Api, hostile: Hostile, route: tpl.Route) -> None:
    # Given the route's example request, whose handler reads only what the document declares (the
    # inputs that get the corpus; a route declaring none reads nothing but its caller's token, which
    # the gateway checked), and everything stored before
    assert _readers_called(route) <= _readers_declared(route)
    before = stored.everything_of(api.stack, hostile.user.user_id), stored.user_pool_usernames(api.stack)
    entries = list(_entries(api, route, hostile.user))

    # When each hostile request is sent
    faults = {entry.name: _fault(api, _send(api, route, hostile.user, entry)) for entry in entries}

    # Then each is answered with a 4xx problem, and nothing stored changed
    assert {name: fault for name, fault in faults.items() if fault} == {}
    assert (stored.everything_of(api.stack, hostile.user.user_id), stored.user_pool_usernames(api.stack)) == before
