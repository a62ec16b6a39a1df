"""The approver's pages under ``/ui``: log in with a token, the queue, one request, the status page.

Server-rendered (Jinja2, :mod:`ward_core.api.web.templates`); the only script is the status
page's live alert list. Decisions go through :func:`ward_core.remediation.decisions.decide` and
:func:`ward_core.remediation.runtime.enqueue`, the functions ``ward approvals approve`` calls, so
the page refuses exactly what policy refuses (own request, expired, already decided, plan changed,
a role the rule does not count): the refusal is shown on the page with status 409. A decision is
bound to the plan the page showed: a form without its ``plan_hash`` is refused with 400, never
taken as "whatever plan is current".

Access: pages need ``remediation.view`` (queue, request) or ``devices.view`` (status); deciding
needs ``approvals.decide``. Without a valid session a page redirects to the login form; without
the permission it answers 403 with the reason. Both are audited by :mod:`ward_core.api.auth`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from ward_core.api.auth import Principal, Requirement, authenticate
from ward_core.api.errors import REFUSAL_KEY, ApiError
from ward_core.api.state import api_state
from ward_core.api.web.requests_view import (
    RequestCard,
    pending_cards,
    recent_requests,
    request_card,
    time_left,
)
from ward_core.api.web.session import (
    CSRF_FIELD,
    clear_session,
    csrf_token,
    csrf_valid,
    safe_next,
    same_origin,
    session_token,
    set_session,
)
from ward_core.api.web.status_view import backup_rows, firing_alerts, reachability
from ward_core.db.types import utcnow
from ward_core.errors import DecisionRefused, WardError
from ward_core.permissions import ALERTS_VIEW, APPROVALS_DECIDE, CONFIGS_VIEW, DEVICES_VIEW, REMEDIATION_VIEW
from ward_core.remediation.decisions import decide
from ward_core.remediation.identity import Person
from ward_core.remediation.runtime import enqueue

HERE = Path(__file__).resolve().parent
STATIC = {"ward.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}
COMMENT_LIMIT = 2000
TOKEN_LIMIT = 512

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

DONE = {
    "approved": "Your approval was recorded: the request is approved and was handed to a worker.",
    "recorded": "Your approval was recorded; the request waits for more approvals.",
    "rejected": "You rejected the request: it will not run.",
    "logged-out": "You are logged out.",
}

templates = Jinja2Templates(directory=HERE / "templates")


def utc(value: datetime | str | None) -> str:
    """A time (or its ISO text) as the pages show it.

    >>> utc("2026-01-01T10:00:00.5+00:00"), utc(None)
    ('2026-01-01 10:00:00 UTC', '-')
    """
    if not value:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["utc"] = utc
templates.env.filters["time_left"] = time_left

router = APIRouter(prefix="/ui", include_in_schema=False)

VIEW_REQUESTS = Requirement(REMEDIATION_VIEW)
DECIDE = Requirement(APPROVALS_DECIDE)
VIEW_STATUS = Requirement(DEVICES_VIEW)


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    token = session_token(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(token) if token and principal is not None else "",
            **context,
        },
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _refused(request: Request, status: int, message: str, principal: Principal | None = None) -> HTMLResponse:
    request.scope[REFUSAL_KEY] = message
    return _render(request, "refused.html", {"message": message}, status=status, principal=principal)


def _signed_in(request: Request, requirement: Requirement) -> Principal | Response:
    """The principal holding ``requirement``; a redirect to the login form or a 403 page otherwise."""
    try:
        return requirement(request)
    except ApiError as exc:
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)
            response.headers.update(SECURITY_HEADERS)
            return response
        return _refused(request, exc.status_code, str(exc.detail))


def _token_principal(request: Request, token: str) -> Principal:
    """Who ``token`` belongs to, checked exactly like a request carrying it (ApiError 401, audited)."""
    headers = [(k, v) for k, v in request.scope["headers"] if k not in (b"authorization", b"cookie")]
    headers.append((b"authorization", f"Bearer {token}".encode("latin-1")))
    return authenticate(HTTPConnection({**request.scope, "headers": headers}))


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    """The queue is the home page."""
    return RedirectResponse("/ui/approvals", status_code=303)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The page's stylesheet and its one script."""
    media = STATIC.get(name)
    if media is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body = (HERE / "static" / name).read_bytes()
    return Response(body, media_type=media, headers={"Cache-Control": "max-age=300"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, done: str | None = None) -> Response:
    """The login form: paste a token (``ward tokens create --user U``)."""
    return _render(request, "login.html", {"next": safe_next(next), "notice": DONE.get(done or "")})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the token; a valid one becomes the session cookie."""
    token = token.strip()
    context = {"next": safe_next(next)}
    if len(token) > TOKEN_LIMIT:
        refusal = {**context, "error": f"token: longer than {TOKEN_LIMIT} characters, not a ward token"}
        return _render(request, "login.html", refusal, status=400)
    if not same_origin(request):
        return _render(
            request, "login.html", {**context, "error": "the form came from another site"}, status=403
        )
    if not token:
        return _render(request, "login.html", {**context, "error": "token: paste your token"}, status=400)
    try:
        _token_principal(request, token)
    except ApiError as exc:
        return _render(request, "login.html", {**context, "error": str(exc.detail)}, status=exc.status_code)
    response = RedirectResponse(context["next"], status_code=303)
    set_session(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Forget the session cookie (the token itself stays valid: revoke it with ``ward tokens``)."""
    if not same_origin(request) or not csrf_valid(session_token(request), csrf_token):
        return _refused(request, 403, "the logout form expired or came from another site: reload the page")
    response = RedirectResponse("/ui/login?done=logged-out", status_code=303)
    clear_session(response, request)
    return response


@router.get("/approvals", response_class=HTMLResponse)
def queue(request: Request) -> Response:
    """Pending requests, each with everything needed to decide; the latest decided ones below."""
    principal = _signed_in(request, VIEW_REQUESTS)
    if isinstance(principal, Response):
        return principal
    state = api_state(request)
    now = utcnow()
    with state.sessions() as session:
        cards = pending_cards(session, state.settings, state.remediation.registry, now, state.plugins)
        recent = recent_requests(session)
    return _render(
        request,
        "queue.html",
        {"cards": cards, "recent": recent, "can_decide": principal.can(APPROVALS_DECIDE)},
        principal=principal,
    )


def _card_page(
    request: Request,
    principal: Principal,
    request_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    if error is not None:
        request.scope[REFUSAL_KEY] = error
    state = api_state(request)
    with state.sessions() as session:
        card = request_card(
            session, state.settings, state.remediation.registry, request_id, utcnow(), state.plugins
        )
    if card is None:
        return _refused(request, 404, f"there is no remediation request {request_id}", principal)
    return _render(
        request,
        "request.html",
        {
            "card": card,
            "error": error,
            "notice": notice,
            "can_decide": principal.can(APPROVALS_DECIDE),
        },
        status=status,
        principal=principal,
    )


@router.get("/approvals/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: int, done: str | None = None) -> Response:
    """One request: its card, decisions, execution and outcome (refreshing while it runs)."""
    principal = _signed_in(request, VIEW_REQUESTS)
    if isinstance(principal, Response):
        return principal
    return _card_page(request, principal, request_id, notice=DONE.get(done or ""))


def _done_code(approve: bool, became_approved: bool) -> str:
    if not approve:
        return "rejected"
    return "approved" if became_approved else "recorded"


@router.post("/approvals/{request_id}", response_class=HTMLResponse)
def decide_request(
    request: Request,
    request_id: int,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    decision: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form()] = "",
    plan_hash: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Approve or reject through the CLI's service functions; policy's refusals shown on the page."""
    principal = _signed_in(request, DECIDE)
    if isinstance(principal, Response):
        return principal
    if not same_origin(request) or not csrf_valid(session_token(request), csrf_token):
        return _refused(
            request,
            403,
            "the form expired or came from another site: reload the page and decide again",
            principal,
        )
    if decision not in ("approve", "reject"):
        return _card_page(
            request, principal, request_id, status=400, error="decision: choose approve or reject"
        )
    if len(comment) > COMMENT_LIMIT:
        return _card_page(
            request, principal, request_id, status=400, error=f"comment: at most {COMMENT_LIMIT} characters"
        )
    if not plan_hash.strip():
        return _card_page(
            request,
            principal,
            request_id,
            status=400,
            error="plan_hash: missing (the form carries the hash of the plan you reviewed): "
            "reload the page and decide again",
        )
    approve = decision == "approve"
    ctx = api_state(request).remediation
    try:
        outcome = decide(
            ctx,
            request_id=request_id,
            person=Person(principal.user, principal.roles),
            approve=approve,
            comment=comment.strip(),
            plan_hash=plan_hash.strip(),
        )
    except DecisionRefused as exc:
        return _card_page(request, principal, request_id, status=409, error=exc.reason)
    except WardError as exc:
        return _card_page(request, principal, request_id, status=409, error=str(exc))
    if outcome.became_approved:
        try:
            enqueue(ctx, request_id)
        except WardError as exc:
            return _card_page(
                request,
                principal,
                request_id,
                status=503,
                error=f"the request is approved but could not be handed to a worker ({exc}); "
                f"`ward remediation execute {request_id}` sends it again",
            )
    return RedirectResponse(
        f"/ui/approvals/{request_id}?done={_done_code(approve, outcome.became_approved)}", status_code=303
    )


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request) -> Response:
    """Devices up/down per site, firing alerts (live), last backup per device."""
    principal = _signed_in(request, VIEW_STATUS)
    if isinstance(principal, Response):
        return principal
    state = api_state(request)
    now = utcnow()
    with state.sessions() as session:
        sites = reachability(session)
        alerts = firing_alerts(session) if principal.can(ALERTS_VIEW) else None
        backups = (
            backup_rows(session, default_interval_s=state.settings.backup_interval_s, now=now)
            if principal.can(CONFIGS_VIEW)
            else None
        )
    return _render(
        request,
        "status.html",
        {"sites": sites, "alerts": alerts, "backups": backups, "now": now},
        principal=principal,
    )


def card_title(card: RequestCard) -> str:
    """How a request is named in headings: ``#3 ios.interface_bounce on br001-sw1``."""
    return f"#{card.id} {card.action} on {card.device}"


templates.env.globals["card_title"] = card_title
