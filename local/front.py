"""The local HTTP front: API Gateway's HTTP API as far as notes-sync relies on it.

Routes, the JWT authorizer's settings, throttling and CORS come from template.yaml. A request is
matched to its route, throttled, authorized like the HTTP API's JWT authorizer, turned into a
payload format 2.0 event (the shape of events/*.json) and handed to the function the template
names; the function's answer is turned back into HTTP. What API Gateway answers itself, before or
instead of a function, has its shape: `{"message": ...}` as application/json. Every answer carries
an `apigw-requestid`, which is also the event's requestContext.requestId (the functions' log
correlation id) and the requestId of the access log line written per request to stderr, in the
format the template gives the HTTP API's stage (AccessLogSettings.Format). The URLs a function
hands out name the host the client used, or PUBLIC_HOST (local.hosts).
/docs serves Swagger UI over /v1/openapi.json (local only).
"""

import base64
import importlib.util
import json
import mimetypes
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local import hosts
from local import template as tpl
from local.authorizer import JwtAuthorizer, Unauthorized
from local.functions import Functions, ResponseSizeTooLarge
from local.provision import Provisioned

# "Quotas for configuring and running an HTTP API in API Gateway"
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html): payload size
# 10 MB; total combined size of request line and header values 10240 bytes. What API Gateway
# answers past either is not documented: 413 and 431 here, in the gateway's shape.
GATEWAY_PAYLOAD_BYTES = 10 * 1024 * 1024
GATEWAY_HEAD_BYTES = 10240
# Lambda's synchronous invocation payload (the event) is at most 6 MB; past it Lambda refuses the
# invocation, and "If the Lambda API rejects the invocation request, API Gateway returns a 500"
# (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html), with the HTTP
# API's body {"message":"Internal Server Error"}
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
_TEXT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|xml|x-www-form-urlencoded|javascript))")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def gateway_answer(status: int, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """An answer of API Gateway itself: `{"message":"Not Found"}` and the like, application/json."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})}, body)


def new_request_id() -> str:
    """An id shaped like API Gateway's apigw-requestid (`Mc7UVioPPHcEKPA=`: base64 of 11 bytes)."""
    return base64.b64encode(secrets.token_bytes(11)).decode()


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query string, as sent
    headers: dict[str, str]  # names in lower case
    body: bytes
    source_ip: str
    request_id: str
    received: datetime
    arrived_at: str  # the address of this machine the connection came to


@dataclass(frozen=True)
class Handled:
    """An answer, and what the access log tells about how it came about."""

    response: HttpResponse
    route_key: str | None = None
    integration_latency_ms: int | None = None
    integration_error: str | None = None


class TokenBucket:
    """A route's throttle: `burst` tokens, refilled at `rate` per second, one taken per request.

    "Throttling requests to your HTTP API" (https://docs.aws.amazon.com/apigateway/latest/
    developerguide/http-api-throttling.html): the token bucket algorithm, a token counts for a
    request; past the rate and burst, clients receive 429 Too Many Requests. The stage's
    DefaultRouteSettings apply to each route."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens, self._filled_at = float(burst), clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._filled_at) * self._rate)
            self._filled_at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass(frozen=True)
class _CompiledRoute:
    route: tpl.Route
    pattern: re.Pattern[str]
    specificity: tuple[int, int]  # fewer greedy, then fewer path parameters, wins


def _compile(route: tpl.Route) -> _CompiledRoute:
    pattern, greedy, parameters = "", 0, 0
    for part in re.split(r"(\{[^}]+\})", route.path):
        if part.startswith("{") and part.endswith("+}"):
            pattern += f"(?P<{part[1:-2]}>.+)"
            greedy += 1
        elif part.startswith("{"):
            pattern += f"(?P<{part[1:-1]}>[^/]+)"
            parameters += 1
        else:
            pattern += re.escape(part)
    return _CompiledRoute(route, re.compile(f"^{pattern}$"), (greedy, parameters))


class LocalApi:
    """Everything the front does, independent of the HTTP server that feeds it."""

    def __init__(
        self, provisioned: Provisioned, functions: Functions, moto_endpoint: str, public_host: str | None = None
    ) -> None:
        self._functions = functions
        self._public_host = public_host
        routes = tpl.routes(provisioned.template)
        self._routes = sorted((_compile(route) for route in routes), key=lambda c: c.specificity)
        api = next(
            properties
            for properties in provisioned.template["Resources"].values()
            if properties["Type"] == "AWS::Serverless::HttpApi"
        )["Properties"]
        auth = api["Auth"]
        jwt_settings = provisioned.resolver.resolve(auth["Authorizers"][auth["DefaultAuthorizer"]]["JwtConfiguration"])
        pool_id = jwt_settings["issuer"].rsplit("/", 1)[-1]
        self.authorizer = JwtAuthorizer(
            jwt_settings["issuer"], jwt_settings["audience"], f"{moto_endpoint}/{pool_id}/.well-known/jwks.json"
        )
        self._cors = provisioned.resolver.resolve(api.get("CorsConfiguration", {}))
        throttling = provisioned.resolver.resolve(api.get("DefaultRouteSettings", {}))
        rate, burst = throttling.get("ThrottlingRateLimit"), throttling.get("ThrottlingBurstLimit")
        self._throttles = (
            {} if rate is None or burst is None else {r.route_key: TokenBucket(rate, burst) for r in routes}
        )
        log_settings = provisioned.resolver.resolve(api.get("AccessLogSettings", {}))
        self.access_log = AccessLogFormat(log_settings["Format"]) if "Format" in log_settings else None

    # ------------------------------------------------------------ routing and CORS
    def match(self, method: str, path: str) -> tuple[tpl.Route, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found and compiled.route.method in (method, "ANY"):
                return compiled.route, found.groupdict()
        return None

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self._cors.get("AllowOrigins", [])
        if not origin or not ("*" in allowed or origin in allowed):
            return {}
        headers = {"access-control-allow-origin": "*" if "*" in allowed else origin}
        if self._cors.get("ExposeHeaders"):
            headers["access-control-expose-headers"] = ",".join(self._cors["ExposeHeaders"])
        return headers

    def _preflight(self, origin: str | None) -> HttpResponse:
        # "If you configure CORS for an API, API Gateway automatically sends a response to preflight
        # OPTIONS requests" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
        headers = self._cors_headers(origin)
        if headers:
            headers["access-control-allow-methods"] = ",".join(self._cors.get("AllowMethods", []))
            headers["access-control-allow-headers"] = ",".join(self._cors.get("AllowHeaders", []))
            headers["access-control-max-age"] = str(self._cors.get("MaxAge", 0))
        return HttpResponse(204, headers)

    # ------------------------------------------------------------ requests
    def handle(self, request: Request) -> Handled:
        if self._cors and request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return Handled(self._preflight(request.headers.get("origin")))
        handled = self._dispatch(request)
        handled.response.headers.update(self._cors_headers(request.headers.get("origin")))
        return handled

    def _dispatch(self, request: Request) -> Handled:
        url = urlsplit(request.target)
        matched = self.match(request.method, url.path)
        if matched is None:
            # "If no routes match a request, API Gateway returns {"message":"Not Found"}"
            # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
            return Handled(gateway_answer(404, "Not Found"))
        route, path_parameters = matched
        # AWS does not document whether throttling comes before the authorizer; a throttled
        # request costs the authorizer nothing here, as its purpose suggests.
        throttle = self._throttles.get(route.route_key)
        if throttle is not None and not throttle.take():
            return Handled(gateway_answer(429, "Too Many Requests"), route.route_key)
        claims = None
        if not route.public:
            try:
                claims = self.authorizer.claims(request.headers.get("authorization"))
            except Unauthorized as refused:
                answer = gateway_answer(401, "Unauthorized", {"www-authenticate": refused.challenge})
                return Handled(answer, route.route_key)
        event = build_event(route, request, url.query, path_parameters, claims)
        if len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()) > LAMBDA_PAYLOAD_BYTES:
            # The text of Lambda's RequestEntityTooLargeException, for $context.integrationErrorMessage.
            refusal = f"Request must be smaller than {LAMBDA_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
            return Handled(gateway_answer(500, "Internal Server Error"), route.route_key, None, refusal)
        started = time.perf_counter()
        try:
            with hosts.urls_for(self.client_host(request)):
                result = self._functions.invoke(route.function, event)
        except ResponseSizeTooLarge as dropped:
            # Lambda's function error for an answer over its 6 MB (local.functions), whose message
            # is what the access log's $context.integrationErrorMessage shows of it.
            answer = gateway_answer(500, "Internal Server Error")
            return Handled(answer, route.route_key, _milliseconds_since(started), str(dropped))
        except Exception as exc:
            # A function error: an HTTP API answers {"message":"Internal Server Error"}
            # ("Troubleshooting issues with HTTP API Lambda integrations",
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
            # AWS documents its status for REST APIs only (502, services-apigateway-errors.html);
            # 500 here, as for an invocation Lambda refuses.
            traceback.print_exc()
            latency = _milliseconds_since(started)
            return Handled(gateway_answer(500, "Internal Server Error"), route.route_key, latency, type(exc).__name__)
        response = to_http(result)
        if self._cors:
            # "If you configure CORS for an API, API Gateway ignores CORS headers returned from your
            # backend integration" (http-api-cors.html, above).
            for name in [name for name in response.headers if name.startswith("access-control-")]:
                del response.headers[name]
        return Handled(response, route.route_key, _milliseconds_since(started))

    def client_host(self, request: Request) -> str:
        """The host the URLs handed out for `request` name: PUBLIC_HOST, else the host the client
        sent the request to (its Host header), else the address the connection came to."""
        return self._public_host or hosts.host_of(request.headers.get("host")) or request.arrived_at


def _milliseconds_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def claim_text(value: Any) -> str:
    """Claims reach the function as strings, as the HTTP API's JWT authorizer passes them."""
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return str(value)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def build_event(
    route: tpl.Route,
    request: Request,
    query: str,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event."""
    path, headers, body = urlsplit(request.target).path, request.headers, request.body
    query_parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[name] = f"{query_parameters[name]},{value}" if name in query_parameters else value
    is_text = not body or (bool(_TEXT_TYPES.match(headers.get("content-type", "application/json"))) and _is_utf8(body))
    request_context: dict[str, Any] = {
        "accountId": tpl.ACCOUNT_ID,
        "apiId": "local",
        "domainName": headers.get("host", "127.0.0.1"),
        "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
        "http": {
            "method": route.method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": _clf_time(request.received),
        "timeEpoch": int(request.received.timestamp() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {
            "jwt": {"claims": {name: claim_text(value) for name, value in claims.items()}, "scopes": None}
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": {name: value for name, value in headers.items() if name != "cookie"},
        "requestContext": request_context,
        "isBase64Encoded": not is_text,
    }
    if "cookie" in headers:
        event["cookies"] = [cookie.strip() for cookie in headers["cookie"].split(";")]
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body.decode() if is_text else base64.b64encode(body).decode()
    return event


def _clf_time(moment: datetime) -> str:
    """The CLF-formatted time of $context.requestTime and requestContext.time."""
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def to_http(result: Any) -> HttpResponse:
    """A function's payload format 2.0 answer as HTTP (a bare value means 200 with it as JSON)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return HttpResponse(200, {"content-type": "application/json"}, json.dumps(result).encode())
    headers = {name.lower(): str(value) for name, value in (result.get("headers") or {}).items()}
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if result.get("cookies"):
        headers["set-cookie"] = ", ".join(result["cookies"])
    return HttpResponse(int(result["statusCode"]), headers, data)


# ---------------------------------------------------------------- Swagger UI
# Swagger UI 5 (it reads OpenAPI 3.1), from the dist/ folder the flask-swagger-ui package ships;
# only the files are used, not Flask. validatorUrl null: by default, on a page opened under a host
# name other than localhost or 127.0.0.1 (a port forward, say), Swagger UI sends the document's
# URL to validator.swagger.io for a badge, a request outside this machine.
_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>notes-sync API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true, validatorUrl: null});
</script>
</body></html>"""


def _swagger_ui_files() -> Path:
    # find_spec locates the package without importing it (its __init__ imports Flask).
    spec = importlib.util.find_spec("flask_swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("flask-swagger-ui is not installed (requirements/dev.txt)")
    return Path(next(iter(spec.submodule_search_locations)), "dist").resolve()


def docs(path: str) -> HttpResponse | None:
    """Swagger UI at /docs, its files under /docs/static/: all served from this machine."""
    if path in ("/docs", "/docs/"):
        return HttpResponse(200, {"content-type": "text/html; charset=utf-8"}, _DOCS_PAGE.encode())
    if path.startswith("/docs/static/"):
        root = _swagger_ui_files()
        asset = (root / path.removeprefix("/docs/static/")).resolve()
        if asset.is_file() and asset.is_relative_to(root):
            content_type = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
            return HttpResponse(200, {"content-type": content_type}, asset.read_bytes())
    return None


# ---------------------------------------------------------------- the HTTP server
class AccessLogFormat:
    """An HTTP API stage's access log format, filled in per request as API Gateway fills it: each
    $context variable replaced by its value, "-" where the request has none ("Customize HTTP API
    access logs", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
    Only the variables below can be filled in locally: a format naming another is refused when the
    front starts, so the template cannot log a field the local stack leaves out."""

    _VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")
    VARIABLES = (
        "requestId",
        "identity.sourceIp",
        "requestTime",
        "httpMethod",
        "routeKey",
        "path",
        "status",
        "responseLatency",
        "integrationLatency",
        "integrationErrorMessage",
        "identity.userAgent",
    )

    def __init__(self, text: str) -> None:
        unknown = sorted(set(self._VARIABLE.findall(text)) - set(self.VARIABLES))
        if unknown:
            raise ValueError(f"the local front cannot fill in $context.{', $context.'.join(unknown)}")
        self._text = text

    def line(self, values: dict[str, Any]) -> str:
        """The format with each variable replaced. Values are escaped for a JSON string, so a quote in
        a user agent cannot break the line; AWS documents no such escaping."""

        def value(match: re.Match[str]) -> str:
            found = values.get(match.group(1))
            return "-" if found is None else json.dumps(str(found))[1:-1]

        return self._VARIABLE.sub(value, self._text)


def context_variables(
    request_id: str,
    received: datetime,
    method: str | None,
    path: str | None,
    source_ip: str,
    user_agent: str | None,
    handled: Handled,
    response_latency_ms: int,
) -> dict[str, Any]:
    """The $context variables of one request, as an access log format names them (without
    `$context.`). None is a value API Gateway logs as "-". No header but the user agent is among
    them: a token cannot reach the access log."""
    return {
        "requestId": request_id,
        "identity.sourceIp": source_ip,
        "requestTime": _clf_time(received),
        "httpMethod": method,
        "routeKey": handled.route_key,
        "path": path,
        "status": handled.response.status,
        "responseLatency": response_latency_ms,
        "integrationLatency": handled.integration_latency_ms,
        "integrationErrorMessage": handled.integration_error,
        "identity.userAgent": user_agent,
    }


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body are two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK of the head, 40 ms on every small answer (GET of a note: 56 ms, 10 of them here).
    disable_nagle_algorithm = True
    api: LocalApi

    def _serve(self) -> None:
        started, received, request_id = time.perf_counter(), datetime.now(UTC), new_request_id()
        declared_length = (self.headers.get("content-length") or "0").strip()
        length = int(declared_length) if declared_length.isascii() and declared_length.isdigit() else -1
        if len(self.requestline) + sum(len(value) for value in self.headers.values()) > GATEWAY_HEAD_BYTES:
            handled = Handled(gateway_answer(431, "Request Header Fields Too Large"))
            self.close_connection = True
        elif length < 0:
            # The body's end is unknown, so the connection cannot carry another request.
            handled = Handled(gateway_answer(400, "Bad Request"))
            self.close_connection = True
        elif length > GATEWAY_PAYLOAD_BYTES:
            handled = Handled(gateway_answer(413, "Request Entity Too Large"))
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            page = docs(urlsplit(self.path).path) if self.command == "GET" else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            arrived_at = self.connection.getsockname()[0]
            request = Request(
                self.command, self.path, headers, body, self.client_address[0], request_id, received, arrived_at
            )
            handled = Handled(page) if page else self.api.handle(request)
        self._answer(request_id, received, handled, started)

    def _answer(self, request_id: str, received: datetime, handled: Handled, started: float) -> None:
        response = handled.response
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("apigw-requestid", request_id)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        # http.server may refuse a request before reading its method, path or headers.
        method, headers = self.command or None, getattr(self, "headers", None)
        path = urlsplit(self.path).path if method else None
        user_agent = headers.get("user-agent") if headers is not None else None
        if self.api.access_log is not None:
            variables = context_variables(
                request_id,
                received,
                method,
                path,
                self.client_address[0],
                user_agent,
                handled,
                _milliseconds_since(started),
            )
            print(self.api.access_log.line(variables), file=sys.stderr, flush=True)

    def __getattr__(self, name: str) -> Any:
        # Every method goes to the routes, as in API Gateway: one no route declares is a 404
        # there, not http.server's "501 Unsupported method" page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses by itself (a malformed request line, a line over 64 KiB) is
        answered in the gateway's shape; AWS documents no status for these. A request line or
        header over 64 KiB is over the 10240-byte head quota too, so it is a 431 like that."""
        started, received = time.perf_counter(), datetime.now(UTC)
        self.close_connection = True
        status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE if code in (414, 431) else HTTPStatus(code)
        self._answer(new_request_id(), received, Handled(gateway_answer(status, status.phrase)), started)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # _answer writes one access log line per request


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    # Connections wait in the listen queue while the accept loop catches up; socketserver's default
    # of 5 reset or stalled a burst of ~32 clients, which API Gateway takes whole. The kernel caps it
    # at net.core.somaxconn.
    request_queue_size = socket.SOMAXCONN


class FrontServer6(FrontServer):
    address_family = socket.AF_INET6


def make_front(api: LocalApi, port: int, host: hosts.ListenAddress = hosts.LOOPBACK) -> FrontServer:
    handler = type("RequestHandler", (_RequestHandler,), {"api": api})
    server = FrontServer6 if host.address.version == 6 else FrontServer
    return server((host.host, port), handler)
