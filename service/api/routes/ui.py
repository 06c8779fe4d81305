"""The review page under /ui: server-rendered HTML adapters over the same use cases as the JSON API.

Screening, text, decisions and the queue call `Screener`, `Monitoring` and the store exactly as the /v1 routes
do, and a screening's audit record is stored before the page answers (`AppContext.record`). Forms are POSTed as
application/x-www-form-urlencoded, so screened names travel in bodies, never in URLs. Sessions and CSRF tokens:
service.api.ui.session; security headers: service.api.ui.pages.SecurityHeaders.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, quote

import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from service.api.auth import ANONYMOUS
from service.api.convert import to_options, to_query
from service.api.deps import AppContext
from service.api.errors import status_for
from service.api.schemas import DecisionRequest, ScreenRequest, TextRequest
from service.api.ui import views
from service.api.ui.pages import PREFIX, STATIC_DIR, STATIC_PREFIX, SecurityHeaders, party_url, render
from service.api.ui.session import COOKIE, LOGIN, LOGIN_COOKIE, Session, Signer
from service.errors import NotFoundError, ServiceError
from service.model import Decision, DecisionKind
from service.model.codec import entity_to_dict
from service.screening.limits import MAX_REF_CHARS
from service.screening.responses import decision_response, monitor_hits, screen_response, text_response
from service.screening.runtime import ServingState, iso_to_unix
from service.screening.wire import KINDS, list_info_to_dict
from service.settings import Settings

log = structlog.get_logger("service.api")

MAX_FORM_FIELDS = 200  # the screen form has a dozen fields plus one checkbox per list
QUEUE_PAGE = 100  # alerts per page of the queue
_FETCH_SITES_ALLOWED = {"same-origin", "none"}  # Sec-Fetch-Site values a form post may carry


class LoginRequired(Exception):
    """A page was asked for without a session while keys are configured: the key prompt answers instead."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Refused(Exception):
    """A form post without a valid session or with a wrong CSRF token: 403, nothing done."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class UiRoute(APIRoute):
    """Routes whose failures are pages: the key prompt, a 403 for a refused form, an error page with the status
    the API would answer with; never JSON, never a traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(f"{PREFIX}/login?next={quote(exc.next_path, safe='/:')}", 303)
            except Refused as exc:
                log.warning("ui.form_refused", reason=exc.reason)
                return _error_page(request, 403, "Form refused", _REFUSED_TEXT)
            except ServiceError as exc:
                status = status_for(exc)
                if status >= 500 and status != 503:
                    return _internal_error(request, exc)
                return _error_page(request, status, _STATUS_TITLES.get(status, "Error"), str(exc))
            except RequestValidationError:
                return _error_page(request, 422, _STATUS_TITLES[422], "This address is not valid (a value too long?).")
            except HTTPException as exc:
                return _error_page(request, exc.status_code, _STATUS_TITLES.get(exc.status_code, "Error"), exc.detail)
            except Exception as exc:  # the last resort of a page: an error page with an id for the log, see above
                return _internal_error(request, exc)

        return guarded


_Model = TypeVar("_Model", bound=BaseModel)

router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=UiRoute)

_REFUSED_TEXT = (
    "This form was not accepted: your session has expired, or the form did not come from this page. "
    "Nothing was recorded. Open the page again (log in again if asked) and resubmit."
)
_STATUS_TITLES = {
    400: "Bad request",
    401: "Not authorised",
    403: "Form refused",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Check the form",
    503: "Not ready",
}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the review page: its routes, its static files and its security headers."""
    secret = settings.ui_secret.get_secret_value() if settings.ui_secret else None
    app.state.ui_signer = Signer(settings.api_keys, secret, ttl_s=settings.ui_session_ttl_s)
    app.include_router(router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_middleware(SecurityHeaders)


# --- sessions, forms and pages ---------------------------------------------------------------------------------


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.ui_signer
    return signer


def _is_tls(request: Request) -> bool:
    """Whether the browser talks TLS to us: directly, or to a proxy that says so (X-Forwarded-Proto: https).
    Trusting the header can only make the cookie stricter: a browser drops a Secure cookie over plain HTTP."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _set_cookie(response: Response, request: Request, session: Session) -> None:
    response.set_cookie(
        COOKIE if session.authenticated else LOGIN_COOKIE,
        session.cookie,
        max_age=max(0, int(session.expires - time.time())),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_is_tls(request),
    )


def _clear_cookie(response: Response, request: Request, name: str = COOKIE) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict", secure=_is_tls(request))


def _session(request: Request) -> Session:
    """The page's session: the analyst's, or (without keys) a new anonymous one; the key prompt otherwise."""
    signer = _signer(request)
    found = signer.read(request.cookies.get(COOKIE))
    if found is not None and found.authenticated:
        return found
    if not signer.keys_enabled:
        return signer.mint(ANONYMOUS)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target)


async def _form(request: Request, *, login: bool = False) -> tuple[Session, dict[str, list[str]]]:
    """A posted form and its session, refused unless both the session and the form's CSRF token are valid."""
    if request.headers.get("sec-fetch-site", "same-origin") not in _FETCH_SITES_ALLOWED:
        raise Refused("cross-site post")
    signer = _signer(request)
    session = signer.read(request.cookies.get(LOGIN_COOKIE if login else COOKIE))
    if session is None:
        raise Refused("no session")
    if session.authenticated == login:  # the key prompt posts with its own session, every other form with the analyst's
        raise Refused("a session of the other kind")
    try:
        text = (await request.body()).decode("utf-8")
        form = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "the form could not be read") from exc
    if not signer.check_csrf(session, _one(form, "csrf")):
        raise Refused("wrong CSRF token")
    return session, form


def _one(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[-1] if values else ""


def _page(request: Request, session: Session, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    signer = _signer(request)
    values = {
        "csrf": signer.csrf_token(session),
        "logged_in": signer.keys_enabled and session.authenticated,
        **context,
    }
    response = HTMLResponse(render(template, values), status)
    if session.fresh:
        _set_cookie(response, request, session)
    return response


def _error_page(request: Request, status: int, title: str, message: object, error_id: str | None = None) -> Response:
    signer = _signer(request)
    session = signer.read(request.cookies.get(COOKIE))
    values = {
        "csrf": signer.csrf_token(session) if session is not None else "",
        "logged_in": signer.keys_enabled and session is not None and session.authenticated,
        "status": status,
        "title": title,
        "message": message if isinstance(message, str) else "The request could not be handled.",
        "error_id": error_id,
        "login": signer.keys_enabled and (session is None or not session.authenticated),
    }
    return HTMLResponse(render("error.html", values), status)


def _internal_error(request: Request, exc: BaseException) -> Response:
    error_id = uuid.uuid4().hex[:16]
    log.error("http.internal_error", error_id=error_id, error_type=type(exc).__name__, exc_info=exc)
    return _error_page(request, 500, "Something went wrong", "The error has been logged.", error_id)


def _served_lists(ctx: AppContext) -> list[dict[str, Any]]:
    """The lists a screening can be limited to, with the versions served (for the form's checkboxes)."""
    runtime = ctx.require_runtime()
    state = runtime.state
    out = []
    for list_id in runtime.list_ids:
        info = state.lists.get(list_id) if state is not None else None
        out.append({"id": list_id, "version": info.version if info else None, "loaded": info is not None})
    return out


def _validation_messages(exc: PydanticValidationError) -> dict[str, str]:
    """Field -> what to fix, in words (the submitted value is not repeated: it may be personal data)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        field = loc[0] if loc else "form"
        out.setdefault(field, _FIELD_HINTS.get(field, str(err.get("msg", "invalid value"))))
    return out


_FIELD_HINTS = {
    "form": "Enter a name or an identifier to screen.",
    "name": "The name is too long.",
    "type": "Choose a type from the list.",
    "birth_date": "Write the birth date as YYYY, YYYY-MM or YYYY-MM-DD.",
    "countries": "Too many countries, or one too long.",
    "identifiers": "Too many identifiers, or one too long.",
    "threshold": "The threshold is a number from 0 to 1.",
    "ref": f"The party reference has at most {MAX_REF_CHARS} characters.",
    "lists": "Unknown list.",
    "text": "Paste some text to screen.",
    "reason": "Give the reason for the decision.",
    "reviewer": "Give the reviewer's name.",
    "decision": "Choose false positive, true match or escalate.",
    "entity_id": "The listed entity is missing.",
}


def _threshold(value: str, errors: dict[str, str]) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        errors["threshold"] = _FIELD_HINTS["threshold"]
        return None


# --- screening ---------------------------------------------------------------------------------------------------

_EMPTY_FORM = {
    "name": "",
    "type": "any",
    "birth_date": "",
    "countries": "",
    "identifiers": "",
    "ref": "",
    "threshold": "",
    "lists": [],
}


@router.get("/", response_class=HTMLResponse)
async def screen_form(request: Request) -> Response:
    session = _session(request)
    ctx = _ctx(request)
    return _page(
        request, session, "screen.html", form=_EMPTY_FORM, lists=_served_lists(ctx), kinds=KINDS, errors={}, result=None
    )


@router.get("/screen")
async def screen_get(request: Request) -> Response:
    """A reload of a results page by URL: there is nothing to show without the form, so back to the form."""
    _session(request)
    return RedirectResponse(f"{PREFIX}/", 303)


def _validated(model: type[_Model], payload: dict[str, Any], errors: dict[str, str]) -> _Model | None:
    """The request model for a form's values, or None with the reasons in `errors` (shown beside the fields)."""
    if errors:
        return None
    try:
        return model.model_validate(payload)
    except PydanticValidationError as exc:
        errors.update(_validation_messages(exc))
        return None


def _screen_fields(form: Mapping[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The screen form as typed (to show it again), as a POST /v1/screen body, and the errors found so far."""
    fields = {k: _one(form, k).strip() for k in ("name", "type", "birth_date", "countries", "identifiers", "ref")}
    threshold, chosen = _one(form, "threshold").strip(), [v for v in form.get("lists", []) if v]
    values: dict[str, Any] = {**fields, "type": fields["type"] or "any", "threshold": threshold, "lists": chosen}
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {
        "name": fields["name"] or None,
        "type": fields["type"] or "any",
        "birth_date": fields["birth_date"] or None,
        "countries": views.split_values(fields["countries"]),
        "identifiers": views.split_values(fields["identifiers"]),
        "ref": fields["ref"] or None,
        "threshold": _threshold(threshold, errors),
        "lists": chosen or None,
    }
    return values, payload, errors


@router.post("/screen", response_class=HTMLResponse)
async def screen(request: Request) -> Response:
    session, form = await _form(request)
    ctx = _ctx(request)
    values, payload, errors = _screen_fields(form)
    body = _validated(ScreenRequest, payload, errors)
    result = None
    if body is not None:
        outcome = ctx.require_screener().screen(to_query(body), to_options(body), actor=session.who, ref=body.ref)
        await ctx.record("screen", outcome)
        result = screen_response(outcome)
    status = 422 if errors else 200
    page = {"form": values, "lists": _served_lists(ctx), "kinds": KINDS, "errors": errors, "result": result}
    return _page(request, session, "screen.html", status, **page)


@router.get("/text", response_class=HTMLResponse)
async def text_form(request: Request) -> Response:
    session = _session(request)
    ctx = _ctx(request)
    form = {"text": "", "threshold": "", "lists": []}
    return _page(request, session, "text.html", form=form, lists=_served_lists(ctx), errors={}, result=None)


@router.post("/text", response_class=HTMLResponse)
async def text(request: Request) -> Response:
    session, form = await _form(request)
    ctx = _ctx(request)
    pasted, threshold_field = _one(form, "text"), _one(form, "threshold").strip()
    chosen = [v for v in form.get("lists", []) if v]
    values: dict[str, Any] = {"text": pasted, "threshold": threshold_field, "lists": chosen}
    errors: dict[str, str] = {}
    payload = {"text": pasted, "threshold": _threshold(threshold_field, errors), "lists": chosen or None}
    body = _validated(TextRequest, payload, errors)
    result = segments = None
    if body is not None:
        screener = ctx.require_screener()
        outcome = await run_in_threadpool(
            screener.text, body.text, threshold=body.threshold, lists=body.lists, actor=session.who
        )
        await ctx.record("text", outcome)
        result = text_response(outcome)
        segments = views.highlight(body.text, result["mentions"])
    page = {"form": values, "lists": _served_lists(ctx), "errors": errors, "result": result, "segments": segments}
    return _page(request, session, "text.html", 422 if errors else 200, **page)


# --- entities and lists ------------------------------------------------------------------------------------------


def _linked(state: ServingState, entity_id: str) -> list[dict[str, Any]]:
    """Parties linked to the entity either way (its operator or owner; the aircraft and vessels linking to it)."""
    matcher = state.matcher
    position = matcher.index.position.get(entity_id)
    if position is None:
        return []
    return [
        {"entity_id": lk.entity_id, "name": lk.name, "type": lk.kind.value, "relation": lk.relation}
        for lk in matcher.linked(position)
    ]


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
async def entity(request: Request, entity_id: Annotated[str, Path(min_length=1, max_length=200)]) -> Response:
    session = _session(request)
    state = _ctx(request).state()
    found = state.matcher.get(entity_id)
    if found is None or found.list_id not in state.lists:
        raise NotFoundError(f"No entity {entity_id!r} in the served lists.")
    info = state.lists[found.list_id]
    fetched = iso_to_unix(info.fetched_at) if info.fetched_at else None
    return _page(
        request,
        session,
        "entity.html",
        entity=entity_to_dict(found),
        list=list_info_to_dict(info),
        list_age=time.time() - fetched if fetched is not None else None,
        linked=_linked(state, found.id),
    )


@router.get("/lists", response_class=HTMLResponse)
async def lists(request: Request) -> Response:
    session = _session(request)
    runtime = _ctx(request).require_runtime()
    statuses = await run_in_threadpool(runtime.statuses)
    state = runtime.state
    now = time.time()
    rows = []
    for status in statuses:
        info = state.lists.get(status.id) if state is not None else None
        fetched = iso_to_unix(status.fetched_at) if status.fetched_at else None
        diffs = await run_in_threadpool(runtime.store.diffs, status.id, 1)
        rows.append(
            {
                "id": status.id,
                "title": status.title,
                "version": status.version,
                "serving_version": info.version if info else None,
                "published_at": status.published_at,
                "fetched_at": status.fetched_at,
                "checked_at": status.checked_at,
                "age_s": now - fetched if fetched is not None else None,
                "entities": status.entities,
                "status": status.status.value,
                "error": status.error,
                "diff": diffs[0] if diffs else None,
            }
        )
    return _page(request, session, "lists.html", rows=rows)


# --- monitoring: the queue, a party's hits and decisions --------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request,
    state: str = "open",
    after: Annotated[str | None, Query(max_length=4 * MAX_REF_CHARS)] = None,
) -> Response:
    """Monitors with alerts waiting, oldest first, a page at a time (`after`: the previous page's last alert)."""
    session = _session(request)
    if state not in ("open", "escalated"):
        state = "open"
    ctx = _ctx(request)
    monitoring = ctx.require_monitoring()
    store = monitoring.store.monitoring
    found = await run_in_threadpool(store.alerts, state=state, after=after, limit=QUEUE_PAGE)
    monitors = await run_in_threadpool(store.get_monitors, {ref for _, ref, _ in found})
    entity_of = ctx.state().matcher.get
    hits: dict[tuple[str, str], dict[str, Any]] = {}
    for ref, m in monitors.items():
        for h in monitor_hits(m, (), entity_of):
            hits[(ref, h["entity_id"])] = h
    items = [{"ref": ref, "entity_id": eid, "since": since, "hit": hits.get((ref, eid))} for since, ref, eid in found]
    next_after = "|".join(found[-1]) if len(found) == QUEUE_PAGE else None
    return _page(request, session, "queue.html", state=state, groups=views.group_alerts(items), next_after=next_after)


@router.get("/parties/{ref}", response_class=HTMLResponse)
async def party(request: Request, ref: Annotated[str, Path(min_length=1, max_length=MAX_REF_CHARS)]) -> Response:
    session = _session(request)
    ctx = _ctx(request)
    monitoring = ctx.require_monitoring()
    monitor = await run_in_threadpool(monitoring.store.monitoring.get_monitor, ref)
    decisions = await run_in_threadpool(monitoring.decisions, ref)
    matcher = ctx.state().matcher
    hits = monitor_hits(monitor, decisions, matcher.get) if monitor is not None else []
    names = {}
    for d in decisions:
        listed = matcher.get(d.entity_id)
        names[d.entity_id] = listed.name.full if listed is not None else (d.hit.get("name") or d.entity_id)
    return _page(
        request,
        session,
        "party.html",
        ref=ref,
        monitor=monitor,
        hits=hits,
        decisions=_newest_first(decisions),
        names=names,
    )


def _newest_first(decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """A party's decisions newest first, each marked `standing` when no newer one on its entity supersedes it."""
    seen: set[str] = set()
    out = []
    for d in reversed(decisions):
        out.append({**decision_response(d), "standing": d.entity_id not in seen})
        seen.add(d.entity_id)
    return out


@router.post("/decisions", response_class=HTMLResponse)
async def decide(request: Request) -> Response:
    session, form = await _form(request)
    ctx = _ctx(request)
    values = {k: _one(form, k).strip() for k in ("ref", "entity_id", "decision", "reason", "reviewer")}
    try:
        body = DecisionRequest.model_validate({k: v or None for k, v in values.items()})
    except PydanticValidationError as exc:
        listed = ctx.state().matcher.get(values["entity_id"]) if values["entity_id"] else None
        return _page(
            request,
            session,
            "decision.html",
            422,
            form=values,
            errors=_validation_messages(exc),
            entity_name=listed.name.full if listed is not None else values["entity_id"],
        )
    decision = await run_in_threadpool(
        ctx.require_monitoring().decide,
        body.ref,
        body.entity_id,
        DecisionKind(body.decision),
        body.reason,
        body.reviewer,
        actor=session.who,
    )
    # Post/redirect/get: a reload shows the party's decisions instead of recording this one twice.
    return RedirectResponse(f"{party_url(body.ref)}#decision-{decision.id}", 303)


# --- the key prompt ----------------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path of this page is a place to return to after login (no open redirect)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    signer = _signer(request)
    target = _safe_next(next)
    if not signer.keys_enabled:
        return RedirectResponse(target, 303)
    found = signer.read(request.cookies.get(COOKIE))
    if found is not None and found.authenticated:
        return RedirectResponse(target, 303)
    prompt = signer.read(request.cookies.get(LOGIN_COOKIE))
    session = prompt if prompt is not None and not prompt.authenticated else signer.mint(LOGIN)
    return _page(request, session, "login.html", next=target, error=None, session_ttl_s=signer.ttl_s)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    signer = _signer(request)
    ctx = _ctx(request)
    if not signer.keys_enabled:
        return RedirectResponse(f"{PREFIX}/", 303)
    session, form = await _form(request, login=True)
    target = _safe_next(_one(form, "next"))
    kid = ctx.keys.identify(_one(form, "key").strip() or None)
    if kid is None:
        log.warning("ui.login_refused")
        error = "That key is not valid."
        return _page(request, session, "login.html", 401, next=target, error=error, session_ttl_s=signer.ttl_s)
    log.info("ui.login", key_id=kid)
    response = RedirectResponse(target, 303)
    _set_cookie(response, request, signer.mint(kid))  # a new nonce: a session fixed before login is worthless
    _clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse(f"{PREFIX}/login" if _signer(request).keys_enabled else f"{PREFIX}/", 303)
    _clear_cookie(response, request)
    return response
