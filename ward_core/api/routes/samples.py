"""Latest samples: ``ward samples latest`` over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer, page, page_example
from ward_core.api.routes.common import PREFIX, Db, Limit, Offset, ok
from ward_core.inventory.queries import load_device
from ward_core.permissions import SAMPLES_VIEW
from ward_core.probes.queries import latest

router = APIRouter(prefix=PREFIX, tags=["samples"])

LATEST_EXAMPLE: dict[str, Any] = {
    "device": "br001-rtr1",
    "metric": "ping.rtt_ms",
    "labels": {},
    "time": "2026-12-01T08:30:00+00:00",
    "value": 1.27,
    "previous_time": None,
    "previous_value": None,
}


@router.get(
    "/samples/latest",
    summary="Latest sample of every series",
    responses=ok(page_example(LATEST_EXAMPLE), "A page of the newest values.", etag=True),
)
def latest_samples(
    request: Request,
    principal: Annotated[Principal, Depends(require(SAMPLES_VIEW))],
    session: Db,
    device: Annotated[str | None, Query(max_length=255, description="Only this device.")] = None,
    metric: Annotated[
        str | None, Query(max_length=255, description="Only this metric.", examples=["ping.loss_pct"])
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The newest value of every series (raw counters included), by device and metric."""
    if device is not None and load_device(session, device) is None:
        raise ApiError(404, f"no device named {device!r}")
    values = latest(session, device=device, metric=metric)
    items = [v.to_dict() for v in values[offset : offset + limit]]
    return json_answer(
        request, Encoded.of(page(request, items, total=len(values), limit=limit, offset=offset))
    )
