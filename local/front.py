"""The local HTTP front: API Gateway's HTTP API as far as notes-sync relies on it.

Routes, the JWT authorizer's settings and CORS come from template.yaml. A request is matched to
its route, authorized like the HTTP API's JWT authorizer, turned into a payload format 2.0 event
(the shape of events/*.json) and handed to the function the template names; the function's answer
is turned back into HTTP. /docs serves Swagger UI over /v1/openapi.json.
"""

import base64
import json
import re
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local import template as tpl
from local.authorizer import JwtAuthorizer, Unauthorized
from local.functions import Functions
from local.provision import Provisioned

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
_TEXT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|xml|x-www-form-urlencoded|javascript))")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""


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


def _problem(status: int, slug: str, detail: str) -> HttpResponse:
    """A problem answered by the front itself (no route, too large, token refused)."""
    from notes_core.http import ProblemKind, problem  # after the functions' environment is set

    return to_http(problem(ProblemKind(status, slug, HTTPStatus(status).phrase), detail))


class LocalApi:
    """Everything the front does, independent of the HTTP server that feeds it."""

    def __init__(self, provisioned: Provisioned, functions: Functions, moto_endpoint: str) -> None:
        self._functions = functions
        self._routes = sorted(
            (_compile(route) for route in tpl.routes(provisioned.template)), key=lambda c: c.specificity
        )
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
        headers = self._cors_headers(origin)
        if headers:
            headers["access-control-allow-methods"] = ",".join(self._cors.get("AllowMethods", []))
            headers["access-control-allow-headers"] = ",".join(self._cors.get("AllowHeaders", []))
            headers["access-control-max-age"] = str(self._cors.get("MaxAge", 0))
        return HttpResponse(204, headers)

    # ------------------------------------------------------------ requests
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> HttpResponse:
        headers = {name.lower(): value for name, value in headers.items()}
        url = urlsplit(target)
        if method == "OPTIONS" and "access-control-request-method" in headers:
            return self._preflight(headers.get("origin"))
        response = self._dispatch(method, url.path, url.query, headers, body, source_ip)
        response.headers.update(self._cors_headers(headers.get("origin")))
        return response

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> HttpResponse:
        matched = self.match(method, path)
        if matched is None:
            return _problem(404, "not-found", f"No route {method} {path}.")
        route, path_parameters = matched
        if len(body) > MAX_PAYLOAD_BYTES:
            return _problem(413, "payload-too-large", f"The body is larger than {MAX_PAYLOAD_BYTES} bytes.")
        claims = None
        if not route.public:
            try:
                claims = self.authorizer.claims(headers.get("authorization"))
            except Unauthorized as exc:
                return _problem(401, "unauthorized", f"The access token was refused: {exc}.")
        event = build_event(route, path, query, headers, body, path_parameters, claims, source_ip)
        try:
            result = self._functions.invoke(route.function, event)
        except Exception:
            traceback.print_exc()
            return HttpResponse(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
        return to_http(result)


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
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event."""
    now = datetime.now(UTC)
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
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
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
_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>notes-sync API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});</script>
</body></html>"""
_STATIC_TYPES = {".css": "text/css", ".js": "application/javascript", ".png": "image/png", ".html": "text/html"}


def docs(path: str) -> HttpResponse | None:
    """Swagger UI, served from the swagger-ui-bundle package (no CDN needed)."""
    if path in ("/docs", "/docs/"):
        return HttpResponse(200, {"content-type": "text/html; charset=utf-8"}, _DOCS_PAGE.encode())
    if path.startswith("/docs/static/"):
        from swagger_ui_bundle import swagger_ui_path

        root = Path(swagger_ui_path).resolve()
        asset = (root / path.removeprefix("/docs/static/")).resolve()
        if asset.is_file() and asset.is_relative_to(root):
            content_type = _STATIC_TYPES.get(asset.suffix, "application/octet-stream")
            return HttpResponse(200, {"content-type": content_type}, asset.read_bytes())
    return None


# ---------------------------------------------------------------- the HTTP server
class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: LocalApi

    def _serve(self) -> None:
        started = time.perf_counter()
        declared_length = (self.headers.get("content-length") or "0").strip()
        length = int(declared_length) if declared_length.isascii() and declared_length.isdigit() else -1
        if length < 0:
            # The body's end is unknown, so the connection cannot carry another request.
            response = _problem(400, "malformed-request", "Content-Length must be a number of bytes.")
            self.close_connection = True
        elif length > MAX_PAYLOAD_BYTES:
            response = _problem(413, "payload-too-large", f"The body is larger than {MAX_PAYLOAD_BYTES} bytes.")
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            page = docs(path) if self.command == "GET" else None
            response = page or self.api.handle(
                self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
        self._send(response)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"{self.command} {self.path} -> {response.status} ({elapsed:.0f} ms)", file=sys.stderr, flush=True)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        # Every method goes to the routes, as in API Gateway: one no route declares is a 404
        # problem there, not http.server's "501 Unsupported method" page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses by itself (a malformed request line, oversized headers) is a
        problem document too."""
        self.close_connection = True
        self._send(_problem(code, HTTPStatus(code).phrase.lower().replace(" ", "-"), message or explain or ""))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # _serve logs one line per request


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True


def make_front(api: LocalApi, port: int) -> FrontServer:
    handler = type("RequestHandler", (_RequestHandler,), {"api": api})
    return FrontServer(("127.0.0.1", port), handler)
