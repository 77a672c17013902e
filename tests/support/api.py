"""Calling the stack's functions in-process, the way the tests read best."""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local import template as tpl
from local.functions import response_payload_bytes
from local.stack import LocalStack
from tests.support import events
from tests.support.tokens import claims_of

PASSWORD = "Correct-Horse-1"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem_type(self) -> str:
        return str(self.body["type"]).rsplit("/", 1)[-1]


@dataclass(frozen=True)
class User:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str
    claims: dict[str, Any]


class Api:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.last_body = ""  # the raw body of the last reply
        self.last_payload_bytes = 0  # and its size in Lambda's response payload (at most 6 MB, or Lambda fails it)
        template = stack.provisioned.template
        self._by_code_dir = {
            properties["CodeUri"].strip("/").split("/")[-1]: logical_id
            for logical_id, properties in tpl.functions(template).items()
        }

    def function_of(self, code_dir: str) -> str:
        return self._by_code_dir[code_dir]

    def invoke(self, code_dir: str, event: dict[str, Any], timeout_seconds: float | None = None) -> Reply:
        """Invoke functions/<code_dir>/app.py's handler with `event` (given `timeout_seconds` rather
        than its Timeout, if set)."""
        result = self.stack.functions.invoke(self.function_of(code_dir), event, timeout_seconds)
        self.last_payload_bytes = response_payload_bytes(result)
        headers = {name.lower(): value for name, value in result.get("headers", {}).items()}
        body = result.get("body")
        self.last_body = body or ""
        return Reply(result["statusCode"], headers, json.loads(body) if body else None)

    def post(self, code_dir: str, body: Any, source_ip: str | None = None) -> Reply:
        """A public route's fixture with `body`, sent from `source_ip`: by default an address of its
        own, so that a test meets the per-source limits of the auth routes only where it means to
        (tests/integration/test_request_limits.py), as people at different addresses do."""
        event = events.from_source(events.fixture(code_dir), source_ip or events.new_source_ip())
        return self.invoke(code_dir, events.customised(event, body))

    def as_user(self, code_dir: str, user: User, event: dict[str, Any] | None = None) -> Reply:
        return self.invoke(
            code_dir, events.as_caller(event or events.fixture(code_dir), user.access_token, user.claims)
        )

    def call(
        self,
        code_dir: str,
        user: User,
        body: Any = events.UNCHANGED,
        note_id: str | None = None,
        query: dict[str, str] | None = None,
        headers: Mapping[str, str | None] | None = None,
        media_id: str | None = None,
        timeout_seconds: float | None = None,
    ) -> Reply:
        """Invoke a function with its fixture, as `user`, with the parts a test cares about changed."""
        event = events.as_caller(events.fixture(code_dir), user.access_token, user.claims)
        return self.invoke(code_dir, events.customised(event, body, note_id, query, headers, media_id), timeout_seconds)

    def new_user(self, confirmed: bool = True, signed_in: bool = True) -> User:
        email = f"user-{uuid.uuid4().hex[:12]}@example.com"
        signed_up = self.post("auth_sign_up", {"email": email, "password": PASSWORD, "full_name": "Test User"})
        assert signed_up.status == 201, signed_up.body
        if confirmed:
            assert self.post("auth_confirm", {"email": email, "code": "000000"}).status == 204
        if not signed_in:
            return User(email, PASSWORD, signed_up.body["user_id"], "", "", {})
        tokens = self.post("auth_sign_in", {"email": email, "password": PASSWORD})
        assert tokens.status == 200, tokens.body
        access = tokens.body["access_token"]
        return User(email, PASSWORD, signed_up.body["user_id"], access, tokens.body["refresh_token"], claims_of(access))
