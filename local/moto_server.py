"""moto's AWS server on the stack's address (HOST, default 127.0.0.1), serving one request at a time.

moto's DynamoDB transactions are not thread-safe (concurrent TransactWriteItems duplicate values),
so requests into moto are serialised here, by a single-threaded server, while the callers (the
local front's handler threads, state machine executions) stay concurrent, as on AWS.

Fidelity fixes, and others for speed, memory and the log, are applied to moto in this process:
- Step Functions executes state machines (moto's real ASL interpreter), and its Cognito tasks find
  the service under its boto3 name;
- local.moto_stepfunctions: an execution's `$$.Execution.StartTime` is a timestamp string, as on
  AWS (moto put a Python datetime there, which no Task could send on); the ASL backend's errors
  carry their code (InvalidDefinition was answered with none); a definition is parsed once, when
  its state machine is created, not again for each execution;
- Cognito access and id tokens last as long as the app client's token validity says (moto issues
  one-hour tokens whatever the client's settings);
- Cognito answers ResendConfirmationCode, which moto does not implement (no email is sent);
- Cognito answers RevokeToken, which moto does not implement: the refresh token, and the access
  tokens issued with it, stop working;
- Cognito answers VerifyUserAttribute (any code is accepted, as for sign-up), and a user's
  changed email address is unverified until then, as in a pool that verifies email changes;
- confirming a sign-up verifies the email address the code went to, in a pool that auto-verifies
  email (moto left email_verified false);
- ConfirmForgotPassword for an unknown user fails as a wrong code, as in a client that prevents
  user existence errors (moto answered ResourceNotFoundException, a 500 for a bad request);
- password sign-ins are locked out after five failures in a row, for a second that doubles with
  each further failure up to 15 minutes ("Password attempts exceeded"), as in Cognito; the count
  is per sign-in name, whether or not the user exists, and a successful sign-in clears it;
- signing a user out (AdminUserGlobalSignOut, and AdminDeleteUser) revokes that user's tokens
  whatever name they signed in with (moto compares the names, so signing out by user id revoked
  nothing for users who signed in with their email);
- moto no longer keeps every object it ever made for its dashboard (unused here): it copies a
  whole table per action of a transaction, and kept every copy, so a long-running stack (or a
  10,000-note benchmark) grew by gigabytes;
- DynamoDB queries read one partition and transactions back up only the items they touch, as on
  AWS (local.moto_dynamodb), so requests do not slow down as the table grows;
- the ASL executor no longer logs, as an error, each missing path an IsPresent choice asks about;
- moto's Batch backend is imported when something uses it, not when the ASL executor reads one
  enum from it: with it came EC2's models, a second of the local stack's start-up;
- the ASL executor's tasks call this server wherever it listens (moto called localhost:$MOTO_PORT,
  which HOST=127.0.0.2 is not: local.moto_stepfunctions);
- S3 finds the bucket in the path whatever the Host header names (moto took `my-laptop.local:5000`
  for the bucket `my-laptop`, virtual-hosted): every S3 client here addresses path-style (its
  endpoint is an IP address), and a phone may reach this machine by a DNS name (local.hosts).
- SNS platform endpoints report their CustomUserData (GetEndpointAttributes answers CustomUserData,
  Enabled and Token: https://docs.aws.amazon.com/sns/latest/api/API_GetEndpointAttributes.html;
  moto left out the data given to CreatePlatformEndpoint), and SetEndpointAttributes changes the
  token and data CreatePlatformEndpoint compares (moto compared the values the endpoint was made with);
- every message published to a platform endpoint is printed on stdout, a JSON line after
  `silent push `: with no platform to deliver it, the stack shows what it would send.
"""

import base64
import importlib.util
import json
import logging
import os
import socket
import sys
import threading
import time
from typing import Any

from moto import settings as moto_settings
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    UserStatus,
    cognitoidp_backends,
    find_account_region_by_value,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.common_models import BaseModel
from moto.core.config import default_user_config
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.s3 import utils as s3_utils
from moto.sns.models import PlatformEndpoint, SNSBackend
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from werkzeug.serving import BaseWSGIServer, make_server

from local import hosts
from local.moto_dynamodb import patch_dynamodb
from local.moto_stepfunctions import (
    TASK_CLIENTS,
    ParsedDefinitions,
    call_stack_moto,
    name_error_codes,
    patch_executions,
)

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_DEFAULT_VALIDITY = {"AccessToken": 3600, "IdToken": 3600}


def _client_token_seconds(pool: CognitoIdpUserPool, client_id: str, token: str) -> int:
    client = pool.clients.get(client_id)
    if client is None or f"{token}Validity" not in client.extended_config:
        return _DEFAULT_VALIDITY[token]
    unit = client.extended_config.get("TokenValidityUnits", {}).get(token, "hours")
    return int(client.extended_config[f"{token}Validity"]) * _UNIT_SECONDS[unit]


def _honour_token_validity() -> None:
    original = CognitoIdpUserPool.create_jwt

    def create_jwt(
        self: CognitoIdpUserPool,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 3600,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        token = "AccessToken" if token_use == "access" else "IdToken"
        seconds = _client_token_seconds(self, client_id, token)
        return original(self, client_id, username, token_use, expires_in=seconds, extra_data=extra_data)

    CognitoIdpUserPool.create_jwt = create_jwt  # type: ignore[method-assign]


def _pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool:
    pool = next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)
    if pool is None:
        raise ResourceNotFoundError(client_id)
    return pool


def _resend_confirmation_code(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    account, region = find_account_region_by_value("client_id", client_id, fallback=(self.current_account, self.region))
    backend = cognitoidp_backends[account][region]
    pool = _pool_of_client(backend, client_id)
    user = pool._get_user(self._get_param("Username"))
    if user is None:
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status != UserStatus.UNCONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    recovery = pool.extended_config.get("AccountRecoverySetting")
    return ActionResult({"CodeDeliveryDetails": backend._get_code_delivery_details(recovery, user, user.username)})


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _revoke_token(self: CognitoIdpResponse) -> ActionResult:
    """RevokeToken "revokes all of the access tokens generated by, and at the same time as, the
    specified refresh token" (Cognito API reference, RevokeToken). A token already revoked or
    unknown is answered as revoked, as OAuth token revocation does (RFC 7009, section 2.2)."""
    client_id = self._get_param("ClientId")
    account, region = find_account_region_by_value("client_id", client_id, fallback=(self.current_account, self.region))
    pool = _pool_of_client(cognitoidp_backends[account][region], client_id)
    held = pool.refresh_tokens.get(self._get_param("Token"))
    if held is not None and held[0] == client_id:
        pool.refresh_tokens[self._get_param("Token")] = None
        for access_token in list(pool.access_tokens):
            if _claims(access_token).get("origin_jti") == held[2]:
                pool.access_tokens.pop(access_token)
    return EmptyResult()


def _user_of_token(response: CognitoIdpResponse, access_token: str) -> CognitoIdpUser:
    backend = response._get_region_agnostic_backend()._find_backend_by_access_token(access_token)
    sub = _claims(access_token)["sub"]
    for pool in backend.user_pools.values():
        if access_token in pool.access_tokens:
            user: CognitoIdpUser | None = pool.users.get(sub) or pool._get_user(pool.access_tokens[access_token][1])
            if user is not None:
                # moto files tokens under the sign-in name (the old email): file them under the
                # user's id, so the token keeps working after an email change.
                client_id, _ = pool.access_tokens[access_token]
                pool.access_tokens[access_token] = (client_id, user.username)
                return user
    raise NotAuthorizedError(access_token)


def _verify_user_attribute(self: CognitoIdpResponse) -> ActionResult:
    user = _user_of_token(self, self._get_param("AccessToken"))
    user.update_attributes([{"Name": f"{self._get_param('AttributeName')}_verified", "Value": "true"}])
    return EmptyResult()


def _unverify_changed_email() -> None:
    original = CognitoIdpResponse.update_user_attributes

    def update_user_attributes(self: CognitoIdpResponse) -> ActionResult:
        user = _user_of_token(self, self._get_param("AccessToken"))
        result = original(self)
        if any(attribute["Name"] == "email" for attribute in self._get_param("UserAttributes")):
            user.update_attributes([{"Name": "email_verified", "Value": "false"}])
        return result

    CognitoIdpResponse.update_user_attributes = update_user_attributes  # type: ignore[method-assign]


def _confirmation_verifies_email() -> None:
    original = CognitoIdpBackend.confirm_sign_up

    def confirm_sign_up(self: CognitoIdpBackend, client_id: str, username: str) -> str:
        result = original(self, client_id, username)
        pool = _pool_of_client(self, client_id)
        if "email" in pool.extended_config.get("AutoVerifiedAttributes", []):
            pool._get_user(username).update_attributes([{"Name": "email_verified", "Value": "true"}])
        return result

    CognitoIdpBackend.confirm_sign_up = confirm_sign_up  # type: ignore[method-assign]


def _password_reset_hides_unknown_users() -> None:
    original = CognitoIdpBackend.confirm_forgot_password

    def confirm_forgot_password(
        self: CognitoIdpBackend, client_id: str, username: str, password: str, confirmation_code: str
    ) -> None:
        pool = _pool_of_client(self, client_id)
        if pool._get_user(username) is None:
            if pool.clients[client_id].extended_config.get("PreventUserExistenceErrors") == "ENABLED":
                raise CodeMismatchException("Invalid verification code provided, please try again.")
            raise UserNotFoundError("Username/client id combination not found.")
        original(self, client_id, username, password, confirmation_code)

    CognitoIdpBackend.confirm_forgot_password = confirm_forgot_password  # type: ignore[method-assign]


_FREE_FAILURES = 5
_LONGEST_LOCKOUT_SECONDS = 900


def _lock_out_repeated_sign_in_failures() -> None:
    original = CognitoIdpBackend.initiate_auth
    # (client id, sign-in name) -> (failures in a row, monotonic time of the last one)
    failures: dict[tuple[str, str], tuple[int, float]] = {}

    def initiate_auth(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        if auth_flow != "USER_PASSWORD_AUTH":
            return original(self, client_id, auth_flow, auth_parameters)
        attempt = (client_id, auth_parameters.get("USERNAME", "").lower())
        count, last = failures.get(attempt, (0, 0.0))
        if count >= _FREE_FAILURES:
            lockout = min(2 ** (count - _FREE_FAILURES), _LONGEST_LOCKOUT_SECONDS)
            if time.monotonic() < last + lockout:
                raise NotAuthorizedError("Password attempts exceeded")
        try:
            result = original(self, client_id, auth_flow, auth_parameters)
        except (NotAuthorizedError, UserNotFoundError):
            failures[attempt] = (count + 1, time.monotonic())
            raise
        failures.pop(attempt, None)
        return result

    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]


def _sign_out_whoever_they_signed_in_as() -> None:
    def sign_out(self: CognitoIdpUserPool, username: str) -> None:
        user = self._get_user(username)
        for token, held in list(self.refresh_tokens.items()):
            if held is not None and (held[1] == username or (user is not None and self._get_user(held[1]) is user)):
                self.refresh_tokens[token] = None
        for token, (_, signed_in_as) in list(self.access_tokens.items()):
            if signed_in_as == username or (user is not None and self._get_user(signed_in_as) is user):
                self.access_tokens.pop(token)

    original_delete = CognitoIdpBackend.admin_delete_user

    def admin_delete_user(self: CognitoIdpBackend, user_pool_id: str, username: str) -> None:
        self.describe_user_pool(user_pool_id).sign_out(username)
        original_delete(self, user_pool_id, username)

    CognitoIdpUserPool.sign_out = sign_out  # type: ignore[method-assign]
    CognitoIdpBackend.admin_delete_user = admin_delete_user  # type: ignore[method-assign]


class _IsPresentProbes(logging.Filter):
    """moto's ASL executor logs, as an ERROR, the missing path an IsPresent choice asks about (the
    delete-note machine asks whether any message failed to send): not an error, so not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Exception=NoSuchJsonPathError")


def _new_untracked(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _defer_batch_backend() -> None:
    """Put moto.batch in sys.modules without running its __init__ (which imports its models, and
    with them EC2's: about a second). The ASL executor's Batch integration imports only an enum
    from moto.batch.utils; the package's own members are loaded on first use."""
    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    assert spec is not None
    assert spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load_on_first_use(name: str) -> Any:
        del vars(package)["__getattr__"]
        loader.exec_module(package)
        return getattr(package, name)

    vars(package)["__getattr__"] = load_on_first_use  # PEP 562: asked for what the package lacks
    sys.modules["moto.batch"] = package


def _sns_endpoints_as_on_aws() -> None:
    original_init = PlatformEndpoint.__init__
    original_set = SNSBackend.set_endpoint_attributes

    def __init__(self: PlatformEndpoint, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.custom_user_data:
            self.attributes.setdefault("CustomUserData", self.custom_user_data)

    def set_endpoint_attributes(self: SNSBackend, arn: str, attributes: dict[str, Any]) -> PlatformEndpoint:
        endpoint: PlatformEndpoint = original_set(self, arn, attributes)
        endpoint.custom_user_data = endpoint.attributes.get("CustomUserData", endpoint.custom_user_data)
        endpoint.token = endpoint.attributes.get("Token", endpoint.token)
        return endpoint

    PlatformEndpoint.__init__ = __init__  # type: ignore[method-assign]
    SNSBackend.set_endpoint_attributes = set_endpoint_attributes  # type: ignore[method-assign]


SILENT_PUSH_LINE = "silent push "


def _print_pushes() -> None:
    original = SNSBackend.publish

    def publish(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        message_id: str = original(self, message, arn, *args, **kwargs)
        if arn is not None and arn in self.platform_endpoints:
            line = {"endpoint": arn, "message": message, "attributes": kwargs.get("message_attributes") or {}}
            print(SILENT_PUSH_LINE + json.dumps(line, sort_keys=True), flush=True)
        return message_id

    SNSBackend.publish = publish  # type: ignore[method-assign]


_configured = threading.Lock()


def configure_moto() -> None:
    """Apply this module's fidelity fixes to moto in the current process (once)."""
    if _configured.acquire(blocking=False):
        _defer_batch_backend()
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES["cognitoidentityprovider"] = "cognito-idp"
        patch_executions(ParsedDefinitions())
        call_stack_moto()
        name_error_codes()
        _honour_token_validity()
        CognitoIdpResponse.resend_confirmation_code = _resend_confirmation_code  # type: ignore[attr-defined]
        CognitoIdpResponse.revoke_token = _revoke_token  # type: ignore[attr-defined]
        CognitoIdpResponse.verify_user_attribute = _verify_user_attribute  # type: ignore[attr-defined]
        _unverify_changed_email()
        _confirmation_verifies_email()
        _password_reset_hides_unknown_users()
        _lock_out_repeated_sign_in_failures()
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").addFilter(_IsPresentProbes())
        _sign_out_whoever_they_signed_in_as()
        BaseModel.__new__ = staticmethod(_new_untracked)  # type: ignore[method-assign]
        patch_dynamodb()
        # moto's own switch S3_IGNORE_SUBDOMAIN_BUCKETNAME, read as these two attributes.
        moto_settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME = True
        vars(s3_utils)["S3_IGNORE_SUBDOMAIN_BUCKETNAME"] = True
        _sns_endpoints_as_on_aws()
        _print_pushes()


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per AWS call would drown the front's request log


class MotoServer:
    """moto on `host`:`port` (0 picks a free port), in a background thread of this process."""

    def __init__(self, port: int = 0, host: hosts.ListenAddress = hosts.LOOPBACK) -> None:
        configure_moto()
        self._local_host = host.local_host
        # Bound here: werkzeug prints why it cannot listen and exits the process, rather than raise.
        family = socket.AF_INET6 if host.address.version == 6 else socket.AF_INET
        with socket.create_server((host.host, port), family=family) as listener:
            self.port: int = listener.getsockname()[1]
            self._server: BaseWSGIServer = make_server(
                host.host,
                self.port,
                DomainDispatcherApplication(create_backend_app),
                threaded=False,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        # Step Functions tasks call back into this server (moto reads $MOTO_PORT elsewhere too).
        os.environ["MOTO_PORT"] = str(self.port)
        TASK_CLIENTS.endpoint_url = self.endpoint_url
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def endpoint_url(self) -> str:
        """Where this machine reaches the server."""
        return f"http://{hosts.netloc(self._local_host, self.port)}"

    def start(self) -> "MotoServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
