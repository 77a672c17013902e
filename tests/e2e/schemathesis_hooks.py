"""schemathesis hooks for the fuzzer of tests/e2e/test_openapi_fuzz.py: who it signs in as, and the
allow-list of the failures no schema can rule out: those that depend on what the server has stored,
those of the three rules that tie two members of a request together, and the size of a body in
bytes, which JSON Schema cannot state (the document says them in words). Each entry names its
check, operations, the exact answer (status and problem type) and, where the request itself
decides, the condition on the request. Push changes and batch items are checked one by one (a bad
item is answered on its own inside a 200): a body refused only for its items passes when each item
the document refuses was answered refused, in order.

Every other failure fails the run: the document and the server agree on everything else.
"""

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from jsonschema import FormatChecker
from openapi_schema_validator import OAS31Validator
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation, Case, HookContext, Response
from schemathesis.core.failures import Failure

from notes_core.contract.problems import PROBLEM_TYPE_BASE
from notes_core.domain.note import NOTE_FIELDS
from notes_core.edge.http import MAX_BODY_BYTES
from tools.openapi.generate import published_document

BASE_URL = os.environ.get("NOTES_SYNC_FUZZ_URL", "http://127.0.0.1:3000")
PASSWORD = "Correct-Horse-1"
FuzzCase = Case[APIOperation[Any, Any, Any, Any]]
# Operations that end the session of whoever calls them: each of their cases gets a user of its own.
SESSION_ENDERS = ["signOut", "deleteAccount"]
PUBLIC = [
    "signUp",
    "confirmSignUp",
    "resendConfirmationCode",
    "signIn",
    "refreshTokens",
    "forgotPassword",
    "resetPassword",
    "getOpenApiDocument",
]


def _post(path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(BASE_URL + path, json=body, timeout=30)


def new_user() -> dict[str, Any]:
    """A confirmed user's sign-in tokens (locally any confirmation code is accepted)."""
    email = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
    _post("/v1/auth/sign-up", {"email": email, "password": PASSWORD, "full_name": "Fuzz"}).raise_for_status()
    _post("/v1/auth/confirm", {"email": email, "code": "123456"}).raise_for_status()
    signed_in = _post("/v1/auth/sign-in", {"email": email, "password": PASSWORD})
    signed_in.raise_for_status()
    tokens: dict[str, Any] = signed_in.json()
    return tokens


def _bearer(case: FuzzCase, token: str) -> None:
    headers = dict(case.headers or {})
    headers["Authorization"] = f"Bearer {token}"
    case.headers = CaseInsensitiveDict(headers)


# retry_on=[]: a 401 is an answer under test (a missing or refused token), not a reason to sign in again.
@schemathesis.auth(refresh_interval=600, retry_on=[]).skip_for(operation_id=[*PUBLIC, *SESSION_ENDERS])
class FuzzUser:
    """One user for every authorized operation, its access token refreshed every ten minutes (they
    last fifteen) with its refresh token: the fuzzer may change its email and password."""

    def __init__(self) -> None:
        self.refresh_token: str | None = None

    def get(self, case: FuzzCase, context: schemathesis.AuthContext) -> str:
        if self.refresh_token is None:
            tokens = new_user()
            self.refresh_token = tokens["refresh_token"]
        else:
            tokens = _post("/v1/auth/refresh", {"refresh_token": self.refresh_token}).json()
        token: str = tokens["access_token"]
        return token

    def set(self, case: FuzzCase, data: str, context: schemathesis.AuthContext) -> None:
        _bearer(case, data)


@schemathesis.auth(refresh_interval=None, retry_on=[]).apply_to(operation_id=SESSION_ENDERS)
class UserOfItsOwn:
    """A new user for each case of an operation that signs its caller out or deletes it."""

    def get(self, case: FuzzCase, context: schemathesis.AuthContext) -> str:
        token: str = new_user()["access_token"]
        return token

    def set(self, case: FuzzCase, data: str, context: schemathesis.AuthContext) -> None:
        _bearer(case, data)


# ---------------------------------------------------------------- the allow-list
def _problem(response: Response) -> tuple[int, str]:
    try:
        problem_type = json.loads(response.content).get("type", "")
    except (ValueError, AttributeError):
        problem_type = ""
    return response.status_code, str(problem_type).removeprefix(PROBLEM_TYPE_BASE)


@dataclass(frozen=True)
class Allowed:
    """A failure the fuzzer may meet: of this check, on these operations, answered with this status
    and problem type, when `applies` holds for the case; `why` is what makes it depend on state."""

    check: str
    operations: tuple[str, ...]
    status: int
    problem: str
    why: str
    applies: Callable[[FuzzCase], bool] = lambda case: True


def _has_cursor(case: FuzzCase) -> bool:
    return bool((case.query or {}).get("cursor"))


def _if_match(case: FuzzCase) -> int | str | None:
    """What If-Match names (notes_core.edge.http.if_match): a version, "*", or None if absent."""
    raw = {name.lower(): value for name, value in (case.headers or {}).items()}.get("if-match")
    if raw is None:
        return None
    named = str(raw).strip(" \t").removeprefix("W/").strip('"')
    return int(named) if named.isdigit() else named


def _body(case: FuzzCase) -> dict[str, Any]:
    return case.body if isinstance(case.body, dict) else {}


def _names_no_version(case: FuzzCase) -> bool:
    return _if_match(case) in (None, "*") and _body(case).get("base_version") is None


def _names_two_versions(case: FuzzCase) -> bool:
    """If-Match (* too) and base_version both sent, and not the same version."""
    base_version, if_match = _body(case).get("base_version"), _if_match(case)
    return None not in (if_match, base_version) and if_match != base_version


def _over_25_items(case: FuzzCase) -> bool:
    return sum(len(_body(case).get(kind) or []) for kind in ("create", "update", "delete")) > 25


def _over_the_body_limit(case: FuzzCase) -> bool:
    """A body over the 5 MiB the API takes, as schemathesis sends it (requests' json.dumps)."""
    return len(json.dumps(case.body).encode()) > MAX_BODY_BYTES


ALLOWED = (
    Allowed(
        "positive_data_acceptance",
        ("listNotes", "pullChanges", "listRevisions"),
        400,
        "malformed-request",
        "A cursor is opaque, valid only when the server issued it: a made-up one is refused 400. Which cursors "
        "exist is stored state.",
        _has_cursor,
    ),
    Allowed(
        "positive_data_acceptance",
        ("confirmSignUp", "resetPassword", "verifyEmail"),
        400,
        "invalid-code",
        "A code is right only for an address that awaits one (locally any code is, for a registered address): "
        "an unknown email, or one with no code pending, is answered invalid-code. That is stored state.",
    ),
    Allowed(
        "positive_data_acceptance",
        ("updateNote", "deleteNote", "restoreRevision"),
        412,
        "version-conflict",
        "A change based on a version older than the note's fields is a conflict: the note's versions are stored state.",
    ),
    # Rules between two members of a request: JSON Schema states neither.
    Allowed(
        "positive_data_acceptance",
        ("updateNote",),
        428,
        "precondition-required",
        "The If-Match header or base_version in the body must name a version: a rule across a header and the body.",
        _names_no_version,
    ),
    Allowed(
        "positive_data_acceptance",
        ("updateNote",),
        400,
        "malformed-request",
        "If-Match and base_version, when both are sent, must name the same version (* names none).",
        _names_two_versions,
    ),
    Allowed(
        "positive_data_acceptance",
        ("batchNotes",),
        422,
        "validation-error",
        "At most 25 items in all: each list is limited to 25 by the schema, their sum by no keyword of JSON Schema.",
        _over_25_items,
    ),
    # The size of a body in bytes: JSON Schema counts characters, and 100 changes of 100,000 each fit.
    Allowed(
        "positive_data_acceptance",
        ("pushChanges", "batchNotes"),
        413,
        "payload-too-large",
        "A body over 5 MiB is refused, whatever its schema says of its members.",
        _over_the_body_limit,
    ),
    *(
        Allowed(
            check,
            ("pushChanges", "batchNotes"),
            500,
            "",
            "A request whose event is over Lambda's 6 MB invocation payload never reaches the function: API Gateway "
            'answers 500 {"message":"Internal Server Error"} (the document\'s GatewayError).',
            _over_the_body_limit,
        )
        for check in ("not_a_server_error", "positive_data_acceptance")
    ),
)

# The bodies whose items are checked one by one: the body's schema, and each list's item schema.
_ITEMS = {
    "pushChanges": ("PushRequest", {"changes": "PushChange"}),
    "batchNotes": (
        "BatchRequest",
        {"create": "BatchCreateItem", "update": "BatchUpdateItem", "delete": "BatchDeleteItem"},
    ),
}
_DOCUMENT: dict[str, Any] = json.loads(published_document())


def _documented(schema_name: str, value: Any) -> bool:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _DOCUMENT["components"]}
    return bool(OAS31Validator(schema, format_checker=FormatChecker()).is_valid(value))


def _as_documented(item: Any) -> Any:
    """The item without what the server takes but the document leaves out: a delete's title,
    content and trashed as null, which the first document allowed
    (notes_core.contract.bodies.notes.PushDelete)."""
    if isinstance(item, dict) and item.get("op") == "delete":
        return {name: value for name, value in item.items() if not (name in NOTE_FIELDS and value is None)}
    return item


def _refused_item_by_item(operation: str, case: FuzzCase, response: Response) -> bool:
    """A 200 to a push or batch that breaks the document in some of its items only, each of them
    answered refused (push `rejected`, batch `invalid`, with a 422 problem), in request order: the
    lists in the order of the body, each in its own order."""
    body = case.body
    if operation not in _ITEMS or response.status_code != 200 or not isinstance(body, dict):
        return False
    body_schema, item_schemas = _ITEMS[operation]
    lists = {
        name: [_as_documented(item) for item in listed]
        for name, listed in body.items()
        if name in item_schemas and isinstance(listed, list)
    }
    taken = {name: [_documented(item_schemas[name], item) for item in listed] for name, listed in lists.items()}
    results = json.loads(response.content)["results"]
    if len(results) != sum(map(len, lists.values())):
        return False
    documented_items = {
        name: [item for item, ok in zip(listed, taken[name], strict=True) if ok] for name, listed in lists.items()
    }
    if not _documented(body_schema, body | documented_items):
        return False  # the body breaks its schema beyond its items
    in_order = [ok for name in lists for ok in taken[name]]
    return all(
        ok or (result["status"] in ("rejected", "invalid") and result["problem"]["status"] == 422)
        for ok, result in zip(in_order, results, strict=True)
    )


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: FuzzCase, response: Response) -> bool:
    """Keep every failure but the allowed ones."""
    operation = case.operation.definition.raw.get("operationId", case.operation.label)
    if "negative_data_rejection" in failure.checks and _refused_item_by_item(operation, case, response):
        return False
    answered = _problem(response)
    for allowed in ALLOWED:
        if (
            allowed.check in failure.checks
            and operation in allowed.operations
            and answered == (allowed.status, allowed.problem)
            and allowed.applies(case)
        ):
            return False
    return True
