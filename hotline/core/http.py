"""Cross-cutting HTTP pieces: body limit, request ids, runtime access, safe error answers."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime

log = get_logger(__name__)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, before any handler reads them.

    Checks Content-Length when given and counts the bytes of a streamed body otherwise.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _plain(send, 400, b"bad Content-Length")
                    return
                if declared > self.limit:
                    await _plain(send, 413, b"request body too large")
                    return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await _plain(send, 413, b"request body too large")
                return
            chunks.append(body)
            more = message.get("more_body", False)
        whole = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


#: A page that needs no script, style from us only, and never inside another site's frame.
STRICT_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: Anything that is not a page (JSON, text, files): nothing to run, nothing to frame.
NOT_A_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
#: Swagger UI's own page (FastAPI's, its assets from a CDN): left as FastAPI writes it.
OWN_POLICY_PATHS = ("/api/docs",)


class SecurityHeadersMiddleware:
    """Headers every answer gets unless its handler set its own (issue 20, point 7).

    ``nosniff`` and a Content-Security-Policy with ``frame-ancestors 'none'`` on everything
    (error pages and the partner page ``/r/…`` included), ``X-Frame-Options: DENY`` for old
    browsers, ``Cache-Control: no-store`` on the API (tokens, case data), and HSTS in production.
    """

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        api = path.startswith("/api/v1/")
        own_policy = path.startswith(OWN_POLICY_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                extra: list[tuple[bytes, bytes]] = []
                if b"x-content-type-options" not in present:
                    extra.append((b"x-content-type-options", b"nosniff"))
                if b"content-security-policy" not in present and not own_policy:
                    extra.append(
                        (b"content-security-policy", (STRICT_PAGE_CSP if html else NOT_A_PAGE_CSP).encode())
                    )
                    if b"x-frame-options" not in present:
                        extra.append((b"x-frame-options", b"DENY"))
                if api and b"cache-control" not in present:
                    extra += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                if self.production and b"strict-transport-security" not in present:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})


class RequestContextMiddleware:
    """Bind a request id (and later the provider id) to every log line of the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")[:64]
                if candidate.replace("-", "").isalnum():
                    request_id = candidate
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.clear_contextvars()


#: RFC 6749 §5.1 for tokens, and every API answer that may carry case data.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def client_address(request: Request) -> str:
    """The peer's address: the proxy's view of it only when the proxy is trusted.

    ``ProxyHeadersMiddleware`` (installed by the app factory with ``HOTLINE_TRUSTED_PROXIES``)
    has already replaced the peer with the X-Forwarded-For client when, and only when, the
    peer is a trusted proxy.
    """
    return request.client.host if request.client else ""


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def clock_of(request: Request) -> datetime:
    """The runtime's time, for code that has the request but no dependency of its own."""
    runtime: Runtime = request.app.state.runtime
    return runtime.clock()


async def request_time(runtime: RuntimeDep) -> datetime:
    """The moment a request is handled, from the runtime's clock (a test's hand-held clock)."""
    return runtime.clock()


NowDep = Annotated[datetime, Depends(request_time)]


def _allowed_methods(request: Request) -> list[str]:
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed |= set(getattr(route, "methods", None) or ())
    return sorted(allowed)


def install_error_handlers(app: FastAPI) -> None:
    """4xx answers say what was wrong; a 5xx says nothing that could carry caller data."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()]
        return JSONResponse({"detail": "invalid request", "fields": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers: dict[str, Any] | None = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names the methods of the first route of the path only; a path served by
            # several routes (GET and POST …/notes) allows all of theirs (RFC 9110 §15.5.6)
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("http.unhandled", path=request.url.path, reason=type(exc).__name__)
        return JSONResponse({"detail": "internal error"}, status_code=500)


#: The 422 every route answers (``install_error_handlers``), as the OpenAPI schema documents it.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        # the fields that failed validation; absent when a rule across fields refused the request
        "fields": {"type": "array", "items": {"type": "string"}, "title": "Fields"},
    },
    "required": ["detail"],
}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"title": "Detail"}},
    "required": ["detail"],
}
#: What any /api/v1 route may answer besides its own: a body that is not what the route reads,
#: no or a bad token, a role or scope refused, not found (or not yours), a conflict with the
#: record's state, too large, too many sign-ins.
API_ERRORS = {
    "400": "malformed request body",
    "401": "not signed in, or the token is no longer good",
    "403": "your role or your token's scopes do not allow this",
    "404": "not found, or not yours to see",
    "409": "conflicts with the record's current state",
    "413": "request body too large",
    "429": "too many attempts; see Retry-After",
}


def document_errors(app: FastAPI) -> None:
    """The OpenAPI schema says what the API really answers on error (issue 20: schemathesis
    ``--checks all`` found the 422 body and the common refusals undocumented)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
        components.pop("ValidationError", None)
        components["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/v1/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in API_ERRORS.items():
                    responses.setdefault(
                        status, {"description": description, "content": {"application/json": {"schema": ref}}}
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
