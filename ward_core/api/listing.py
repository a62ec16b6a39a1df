"""JSON answers: compact encoding, pages, ``ETag`` with ``If-None-Match`` (304), precompressed bodies.

Every list endpoint answers through :func:`json_answer`: the body's SHA-256 is its (weak) ETag, a
request whose ``If-None-Match`` names it gets ``304 Not Modified`` with no body, and
``Cache-Control: no-cache`` makes clients revalidate every time. A weak ETag because the same
entity is served identity- or gzip-encoded. A body already gzip-compressed (the device-list cache
keeps both forms) is sent as it is to clients that accept gzip; others get the plain one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ward_core.api.encoding import Encoded, encode, etag_of

JSON_TYPE = "application/json"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def json_answer(request: Request, encoded: Encoded, headers: dict[str, str] | None = None) -> Response:
    """``encoded`` as the answer to ``request``: 304 when the client has it, gzip when accepted."""
    common = {"ETag": encoded.etag, "Cache-Control": "private, no-cache", **(headers or {})}
    if _matches(request.headers.get("if-none-match"), encoded.etag):
        return Response(status_code=304, headers=common)
    accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    if encoded.gzipped is not None and accepts_gzip:
        return Response(
            encoded.gzipped,
            media_type=JSON_TYPE,
            headers={**common, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(encoded.plain, media_type=JSON_TYPE, headers=common)


def page(request: Request, items: Sequence[Any], *, total: int, limit: int, offset: int) -> dict[str, Any]:
    """A page of a list: ``items``, ``total``, ``limit``, ``offset`` and ``next`` (the URL of the
    next page, None on the last)."""
    following = None
    if offset + len(items) < total:
        query = dict(request.query_params)
        query["offset"] = str(offset + limit)
        following = f"{request.url.path}?{urlencode(query)}"
    return {"items": list(items), "total": total, "limit": limit, "offset": offset, "next": following}


def page_example(item: dict[str, Any], total: int = 1) -> dict[str, Any]:
    """The documented example of a page holding ``item``."""
    return {"items": [item], "total": total, "limit": 100, "offset": 0, "next": None}


__all__ = ["Encoded", "encode", "etag_of", "json_answer", "page", "page_example"]
