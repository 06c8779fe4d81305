"""FastAPI dependencies and small helpers shared by the routes: the app context, API keys, list selection."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.api.audit import AuditWriter, new_screening_id, screening_record
from service.api.auth import KeyRing, presented_key
from service.api.metrics import Metrics
from service.api.runtime import Loaded, Runtime
from service.errors import NotReadyError, QueryError
from service.settings import Settings


@dataclass
class AppContext:
    """Everything a request needs; filled by the app's lifespan (runtime, audit) and create_app (the rest)."""

    settings: Settings
    keys: KeyRing
    metrics: Metrics
    runtime: Runtime | None = None
    audit: AuditWriter | None = None

    def loaded(self) -> Loaded:
        runtime = self.runtime
        loaded = runtime.loaded if runtime is not None else None
        if loaded is None:
            reason = runtime.last_error if runtime is not None and runtime.last_error else "no list loaded yet"
            raise NotReadyError(reason)
        return loaded

    def require_runtime(self) -> Runtime:
        if self.runtime is None:
            raise NotReadyError("the server is starting")
        return self.runtime

    def require_audit(self) -> AuditWriter:
        if self.audit is None:
            raise NotReadyError("the server is starting")
        return self.audit

    def threshold(self, requested: float | None) -> float:
        return self.settings.threshold if requested is None else requested


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


def select_lists(ctx: AppContext, loaded: Loaded, requested: Iterable[str] | None) -> list[str]:
    """The lists a screening runs against: the requested ids (all loaded when None), each checked."""
    if requested is None:
        return sorted(loaded.lists)
    wanted = list(dict.fromkeys(requested))
    runtime = ctx.require_runtime()
    unknown = [i for i in wanted if i not in runtime.list_ids]
    if unknown:
        raise QueryError(f"unknown list id(s): {', '.join(unknown)}; served: {', '.join(runtime.list_ids)}")
    missing = [i for i in wanted if i not in loaded.lists]
    if missing:
        raise NotReadyError(f"no snapshot loaded yet for: {', '.join(missing)}")
    return wanted


def list_versions(loaded: Loaded, list_ids: Iterable[str]) -> list[dict[str, object]]:
    return [loaded.lists[i].as_dict() for i in list_ids]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_screening(kind: str, key_id: str, threshold: float, loaded: Loaded, list_ids: Iterable[str]) -> dict[str, Any]:
    """A fresh audit record for one screening: new id, time, key id, threshold and the versions screened against.

    The route appends one item per screened party and answers with the record's `screening_id`/`screened_at`."""
    return screening_record(
        kind=kind,
        screening_id=new_screening_id(),
        at=now_iso(),
        key_id=key_id,
        threshold=threshold,
        versions={i: loaded.lists[i].version for i in list_ids},
    )


def json_response(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json", headers=headers)


class PayloadTooLarge(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)
