"""The audit log: ``ward audit list|verify`` over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ward_core.api.auth import Principal, require
from ward_core.api.listing import Encoded, json_answer
from ward_core.api.routes.common import PREFIX, Db, ok
from ward_core.audit.log import entries, verify
from ward_core.permissions import AUDIT_VIEW

router = APIRouter(prefix=PREFIX, tags=["audit"])
CanView = Annotated[Principal, Depends(require(AUDIT_VIEW))]

ENTRY_EXAMPLE: dict[str, Any] = {
    "seq": 12,
    "recorded_at": "2026-12-01T08:31:00.000000+00:00",
    "actor": "bob",
    "kind": "decision.recorded",
    "request_id": 7,
    "payload": '{"comment":"ok","decision":"approve","plan_hash":"9c1e...","roles":["neteng"]}',
    "hash": "5d41402abc4b2a76b9719d911017c592a1b2c3d4e5f60718293a4b5c6d7e8f90",
}


@router.get(
    "/audit",
    summary="Audit records",
    responses=ok([ENTRY_EXAMPLE], "The last records, oldest first.", etag=True),
)
def audit_list(
    request: Request,
    principal: CanView,
    session: Db,
    request_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this remediation request's records.")
    ] = None,
    kind: Annotated[
        str | None, Query(max_length=64, description="Only this kind.", examples=["api.call"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="The last N records.")] = 100,
) -> Response:
    """The audit log's last records, oldest first, as ``ward audit list --json`` prints them."""
    rows = entries(session, request_id=request_id, kind=kind, limit=limit)
    return json_answer(request, Encoded.of([r.to_dict() for r in rows]))


@router.get(
    "/audit/verify",
    summary="Verify the hash chain",
    responses=ok(
        {
            "ok": True,
            "records": 120,
            "head_seq": 120,
            "head_hash": ENTRY_EXAMPLE["hash"],
            "first_bad_seq": None,
            "problem": None,
        },
        "The verdict; `ok` false names the first record that does not fit.",
    ),
)
def audit_verify(principal: CanView, session: Db) -> dict[str, Any]:
    """Recompute the whole chain; compare ``head_seq``/``head_hash`` with a copy kept elsewhere to
    detect a truncated tail."""
    return verify(session).to_dict()
