"""The page's session: the ``ward_token`` cookie, and the CSRF token its forms carry.

- The cookie holds the token the approver pasted: ``HttpOnly`` (no script reads it), ``SameSite=
  Strict`` (no other site's page sends it), ``Secure`` when the page is served over HTTPS, path
  ``/`` (the live alert stream reads it too), no expiry (it ends with the browser; the token's own
  expiry still applies).
- Every form that changes something carries ``csrf_token`` = HMAC-SHA256 keyed with the session's
  token over a fixed label: another site can neither read it nor compute it, every server process
  computes the same one (no server-side store, no shared secret to configure), and it changes with
  the session. A POST also needs an ``Origin`` (or ``Referer``) of this host when the browser sends
  one. These are on top of SameSite=Strict, which already keeps the cookie off cross-site posts.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ward_core.api.auth import COOKIE

CSRF_FIELD = "csrf_token"
CSRF_LABEL = b"ward approver page csrf v1"
DEFAULT_PAGE = "/ui/approvals"


def csrf_token(session_token: str) -> str:
    """The CSRF token of the session whose cookie holds ``session_token``.

    >>> csrf_token("abc") == csrf_token("abc") != csrf_token("abd")
    True
    """
    return hmac.new(session_token.encode("utf-8"), CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_valid(session_token: str | None, presented: str | None) -> bool:
    """True when ``presented`` is the session's CSRF token (compared in constant time).

    >>> csrf_valid("abc", csrf_token("abc")), csrf_valid("abc", "x"), csrf_valid(None, "x")
    (True, False, False)
    """
    if not session_token or not presented:
        return False
    return hmac.compare_digest(csrf_token(session_token), presented)


def session_token(request: Request) -> str | None:
    """The token of the page's cookie (not the ``Authorization`` header: forms only use the cookie)."""
    value = request.cookies.get(COOKIE)
    return value.strip() if value and value.strip() else None


def same_origin(request: Request) -> bool:
    """False when the browser says the form was posted from another host's page."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a page of this app, never another site.

    >>> safe_next("/ui/approvals/3"), safe_next("//evil.example/ui"), safe_next("https://x/ui")
    ('/ui/approvals/3', '/ui/approvals', '/ui/approvals')
    """
    if not value or not value.startswith("/ui/") or "//" in value or "\\" in value:
        return DEFAULT_PAGE
    return value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    """Give the browser the session cookie (see the module docstring)."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/")


def clear_session(response: Response, request: Request) -> None:
    """Make the browser forget the session cookie."""
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=_secure(request), path="/")
