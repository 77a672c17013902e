"""schemathesis hooks for the fuzzer of tests/e2e/test_openapi_fuzz.py: who it signs in as, and the
allow-list of the failures no schema can rule out: those that depend on what the server has stored,
and those of the three rules that tie two members of a request together, which JSON Schema cannot
state (the document says them in words). Each entry names its check, operations, the exact answer
(status and problem type) and, where the request itself decides, the condition on the request.

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
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation, Case, HookContext, Response
from schemathesis.core.failures import Failure

from notes_core.contract.problems import PROBLEM_TYPE_BASE

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
        ("updateNote", "deleteNote"),
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
)


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: FuzzCase, response: Response) -> bool:
    """Keep every failure but the allowed ones."""
    operation = case.operation.definition.raw.get("operationId", case.operation.label)
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
