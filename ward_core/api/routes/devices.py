"""Devices and sites: ``ward inventory list|show`` over HTTP, with selectors and pages.

A device is shown as ``ward inventory show --json`` shows it: credential *names* only, never
secrets. The list is served from the Redis cache of :mod:`ward_core.api.cache` when it holds the
page, else computed (and stored there).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ward_core.api.auth import Principal, require
from ward_core.api.cache import DeviceListCache
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer, page, page_example
from ward_core.api.routes.common import PREFIX, Db, Limit, Offset, not_found, ok
from ward_core.api.state import api_state
from ward_core.db.models import Device, Region, Site
from ward_core.inventory.membership import devices_in_group, groups_by_device
from ward_core.inventory.queries import load_device, load_devices, load_groups
from ward_core.inventory.types import DeviceRecord
from ward_core.permissions import DEVICES_VIEW
from ward_core.probes.selection import select_devices

router = APIRouter(prefix=PREFIX, tags=["devices"])
CanView = Annotated[Principal, Depends(require(DEVICES_VIEW))]

DEVICE_EXAMPLE: dict[str, Any] = {
    "name": "br001-rtr1",
    "host": "10.1.0.1",
    "port": 22,
    "platform": "cisco_ios",
    "site": "br001",
    "region": "west",
    "role": "branch-router",
    "tags": ["branch"],
    "vars": {"asn": 65001},
    "snmp": {
        "version": "2c",
        "credentials": "snmp-ro",
        "port": 161,
        "user": None,
        "auth_protocol": None,
        "priv_protocol": None,
    },
    "credentials": "branch-ssh",
    "groups": ["branches", "west-routers"],
}
SITE_EXAMPLE = {"name": "br001", "region": "west", "description": "Branch 1", "devices": 3}

Selector = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="A device name, site:X, region:X, role:X, group:X, or a filter expression "
        "(as `ward poll --limit` takes it).",
        examples=['role == "branch-router" and "pilot" in tags'],
    ),
]


def _view(devices: list[DeviceRecord], session: Session) -> list[dict[str, Any]]:
    memberships = groups_by_device(devices, load_groups(session))
    return [{**d.to_dict(), "groups": memberships[d.name]} for d in devices]


def _selected(
    session: Session, selector: str | None, site: str | None, role: str | None, group: str | None
) -> list[DeviceRecord]:
    devices = load_devices(session, site=site, role=role)
    if group is not None:
        devices = devices_in_group(devices, load_groups(session), group)
    if selector is not None and selector.strip():
        wanted = set(select_devices(session, selector))
        devices = [d for d in devices if d.name in wanted]
    return devices


@router.get(
    "/devices",
    summary="List devices",
    responses=ok(page_example(DEVICE_EXAMPLE), "A page of devices, ordered by name.", etag=True),
)
async def list_devices(
    request: Request,
    principal: CanView,
    selector: Selector = None,
    site: Annotated[str | None, Query(max_length=255, description="Only this site.")] = None,
    role: Annotated[str | None, Query(max_length=255, description="Only this role.")] = None,
    group: Annotated[str | None, Query(max_length=255, description="Only this group.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Devices, filtered by a selector, site, role or group; paged by ``limit`` and ``offset``.

    A selector naming nothing that exists (an unknown site, a filter matching no device) is 404;
    a filter expression that does not parse is 400 and says where.
    """
    state = api_state(request)
    cache = DeviceListCache(state.redis, state.settings.api_device_cache_ttl_s)
    signature = repr((selector, site, role, group, limit, offset))
    wants_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    # A cache hit is one Redis round trip, answered on the event loop; a miss reads the database
    # in a worker thread.
    cached = cache.get(signature, gzipped=wants_gzip)
    if cached is None:
        cached = await run_in_threadpool(_compute_page, request, selector, site, role, group, limit, offset)
        cache.put(signature, cached)
    return json_answer(request, cached)


def _compute_page(
    request: Request,
    selector: str | None,
    site: str | None,
    role: str | None,
    group: str | None,
    limit: int,
    offset: int,
) -> Encoded:
    with api_state(request).sessions() as session:
        devices = _selected(session, selector, site, role, group)
        shown = devices[offset : offset + limit]
        body = page(request, _view(shown, session), total=len(devices), limit=limit, offset=offset)
    return Encoded.of(body, compress=True)


@router.get(
    "/devices/{name}",
    summary="Show one device",
    responses={**ok(DEVICE_EXAMPLE, "The device and every group it belongs to."), **not_found("device")},
)
def show_device(name: str, principal: CanView, session: Db) -> dict[str, Any]:
    """One device (credential names only, never secrets) and its static and dynamic groups."""
    device = load_device(session, name)
    if device is None:
        raise ApiError(404, f"no device named {name!r}")
    return _view([device], session)[0]


@router.get(
    "/sites",
    summary="List sites",
    responses=ok(page_example(SITE_EXAMPLE), "A page of sites with their device counts.", etag=True),
)
def list_sites(
    request: Request,
    principal: CanView,
    session: Db,
    region: Annotated[str | None, Query(max_length=255, description="Only this region.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Sites, ordered by name, with their region and how many devices each holds."""
    counts = select(Device.site_id, func.count().label("devices")).group_by(Device.site_id).subquery()
    query = (
        select(Site.name, Region.name.label("region"), Site.description, counts.c.devices)
        .outerjoin(Region, Site.region_id == Region.id)
        .outerjoin(counts, counts.c.site_id == Site.id)
        .order_by(Site.name)
    )
    if region is not None:
        query = query.where(Region.name == region)
    rows = session.execute(query).all()
    items = [
        {"name": r.name, "region": r.region, "description": r.description, "devices": int(r.devices or 0)}
        for r in rows[offset : offset + limit]
    ]
    return json_answer(request, Encoded.of(page(request, items, total=len(rows), limit=limit, offset=offset)))
