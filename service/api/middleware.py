"""One pure-ASGI middleware for every request: the request id, the body-size cap (413), latency metrics and the
request log.

Every response carries `X-Request-ID` (the caller's, when it is a sane token, else a new one) and every log line
written while the request runs carries it as `request_id`, so a support question can be traced from a response
to the log. The log line carries method, route template, status and latency; never the body, the query string
or other headers, so no screened name, birth date or API key reaches it.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.metrics import Metrics

log = structlog.get_logger("service.api")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is echoed into headers and logs: only a short token of safe characters is taken as it is.
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a safe token, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.match(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


class BodyTooLarge(HTTPException):
    """Raised from `receive` while the body streams in; FastAPI re-raises HTTPExceptions from body reading."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over the limit of {limit} bytes")


class RequestGuard:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics, route_caps: Mapping[str, int] | None = None
    ) -> None:
        """`route_caps`: a larger body cap for some paths (a 10,000-party monitor batch)."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_caps = dict(route_caps or {})
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self._guarded(scope, receive, send, header)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, header: tuple[bytes, bytes]) -> None:
        started = time.perf_counter()
        status = 500
        limit = self.route_caps.get(scope.get("path", ""), self.max_body_bytes)

        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    status = 413 if declared > limit else 400
                    detail = BodyTooLarge(limit).detail if status == 413 else "invalid Content-Length"
                    await _send_json(send, status, {"detail": detail}, header)
                    self._observe(scope, status, started)
                    return
                break

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        finally:
            self._observe(scope, status, started)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        method = scope.get("method", "")
        self.metrics.request_seconds.labels(template, method, str(status)).observe(elapsed)
        log.info("http.request", method=method, route=template, status=status, latency_ms=round(elapsed * 1000, 2))


async def _send_json(send: Send, status: int, body: dict[str, Any], header: tuple[bytes, bytes]) -> None:
    import orjson

    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                header,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
