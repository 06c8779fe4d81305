"""FastAPI dependencies and small helpers shared by the routes: the app context and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.api.auth import KeyRing, presented_key
from service.api.metrics import Metrics
from service.errors import NotReadyError
from service.notify.worker import DeliveryWorker
from service.screening.audit import AuditWriter
from service.screening.monitoring import Monitoring
from service.screening.runtime import Runtime, ServingState
from service.screening.usecases import Recorded, Screener
from service.settings import Settings


@dataclass
class AppContext:
    """Everything a request needs; filled by the app's lifespan (runtime, screener, audit) and create_app."""

    settings: Settings
    keys: KeyRing
    metrics: Metrics
    runtime: Runtime | None = None
    screener: Screener | None = None
    audit: AuditWriter | None = None
    monitoring: Monitoring | None = None
    notifier: DeliveryWorker | None = None  # the webhook delivery worker (None when SANCTIONS_WEBHOOK_WORKER=false)

    def require_runtime(self) -> Runtime:
        if self.runtime is None:
            raise NotReadyError("the server is starting")
        return self.runtime

    def require_screener(self) -> Screener:
        if self.screener is None:
            raise NotReadyError("the server is starting")
        return self.screener

    def require_monitoring(self) -> Monitoring:
        if self.monitoring is None:
            raise NotReadyError("the server is starting")
        return self.monitoring

    def require_audit(self) -> AuditWriter:
        if self.audit is None:
            raise NotReadyError("the server is starting")
        return self.audit

    def state(self) -> ServingState:
        """The serving state for this request (503 before one is loaded)."""
        return self.require_screener().current()

    async def record(self, kind: str, outcome: Recorded, queries: int = 1) -> None:
        """Store the outcome's audit record (the answer waits for it: 503 when it cannot be stored), then count it."""
        await self.require_audit().write(outcome.record)
        m = self.metrics
        m.screenings.labels(kind).inc()
        m.queries.labels(kind).inc(queries)
        for h in outcome.all_hits():
            m.hits.labels(h.list_id).inc()
            if h.match:
                m.matches.labels(h.list_id).inc()


# Dependencies are `async def` on purpose: FastAPI runs plain `def` dependencies in its thread pool, a thread
# hop per dependency per request that cost more than the screening itself.
async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>` (SANCTIONS_API_KEYS)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>` (SANCTIONS_API_KEYS)")


class Unauthorized(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=401, detail=detail, headers={"WWW-Authenticate": 'Bearer realm="sanctions"'})


async def require_key(
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    x_api_key: Annotated[str | None, Security(_api_key)],
) -> str:
    """The caller's key id; 401 when keys are configured and the request carries none or a wrong one."""
    if not ctx.keys.enabled:
        return "anonymous"
    token = presented_key(f"{bearer.scheme} {bearer.credentials}" if bearer else None, x_api_key)
    if token is None:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`")
    kid = ctx.keys.identify(token)
    if kid is None:
        raise Unauthorized("invalid API key")
    return kid


KeyId = Annotated[str, Depends(require_key)]


def json_response(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json", headers=headers)
