"""Run records: ``ward runs list|show`` over HTTP.

Results of playbook steps may hold device output (``show`` commands): every text in a result goes
through the plugins' redaction chain for the device's platform before it is served, as stored
configurations do, so a ``show running-config`` kept in a run never hands out its secrets; the
``--var`` values a queued run was given are hidden (:mod:`ward_core.api.redaction`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer
from ward_core.api.redaction import UNKNOWN_PLATFORM, hidden_vars, redact_tree
from ward_core.api.routes.common import PREFIX, Db, not_found, ok
from ward_core.api.state import api_state
from ward_core.inventory.queries import load_devices
from ward_core.permissions import RUNS_VIEW
from ward_core.playbooks.records import list_runs, show_run

router = APIRouter(prefix=PREFIX, tags=["runs"])
CanView = Annotated[Principal, Depends(require(RUNS_VIEW))]

RUN_EXAMPLE: dict[str, Any] = {
    "id": 17,
    "kind": "playbook",
    "name": "nightly-backup",
    "status": "succeeded",
    "requested_by": "alice",
    "started_at": "2026-12-01T02:00:00+00:00",
    "finished_at": "2026-12-01T02:03:10+00:00",
    "summary": {"totals": {"ok": 875}},
    "results": 875,
}


@router.get(
    "/runs",
    summary="List runs",
    responses=ok([RUN_EXAMPLE], "The newest runs with their status and totals.", etag=True),
)
def list_runs_endpoint(
    request: Request,
    principal: CanView,
    session: Db,
    kind: Annotated[
        str | None, Query(max_length=64, description="Only runs of this kind.", examples=["playbook"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 20,
) -> Response:
    """The newest runs (playbooks, polls, backups, discoveries) with their status and totals."""
    return json_answer(request, Encoded.of(list_runs(session, kind=kind, limit=limit)))


@router.get(
    "/runs/{run_id}",
    summary="Show one run",
    responses={
        **ok(
            {
                **RUN_EXAMPLE,
                "params": {"playbook": "nightly-backup"},
                "results": [
                    {
                        "device": "br001-rtr1",
                        "task": "backup",
                        "status": "ok",
                        "changed": False,
                        "error": None,
                        "result": {},
                        "started_at": "2026-12-01T02:00:01+00:00",
                        "finished_at": "2026-12-01T02:00:02+00:00",
                    }
                ],
            },
            "The run, what it was asked, and every result (device output redacted).",
        ),
        **not_found("run"),
    },
)
def show_run_endpoint(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="Run id.")],
    principal: CanView,
    session: Db,
) -> dict[str, Any]:
    """One run: what it was asked (``--var`` values hidden), and every result per device and step."""
    found = show_run(session, run_id)
    if found is None:
        raise ApiError(404, f"no run {run_id}")
    plugins = api_state(request).plugins
    found["params"] = hidden_vars(found["params"])
    names = {r["device"] for r in found["results"]}
    platforms = {d.name: d.platform for d in load_devices(session, names=names)}
    for result in found["results"]:
        platform = platforms.get(result["device"], UNKNOWN_PLATFORM)
        result["result"] = redact_tree(plugins, platform, result["result"])
        result["error"] = redact_tree(plugins, platform, result["error"])
    return found
