"""Configuration backups and compliance: ``ward configs list|history|show|diff|stale`` and
``ward compliance report``.

Only stored texts are served, and those are redacted (secrets replaced by placeholders) and
normalised when they are collected: an unredacted configuration never reaches the database, so it
cannot leave through the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer, page, page_example
from ward_core.api.routes.common import PREFIX, Db, Limit, Offset, not_found, ok
from ward_core.api.routes.devices import Selector
from ward_core.api.state import api_state
from ward_core.backup.compliance import compliance_report
from ward_core.backup.queries import (
    diff_versions,
    freshness,
    history,
    latest,
    resolve_version,
    version_counts,
    version_text,
)
from ward_core.errors import InventoryError
from ward_core.permissions import COMPLIANCE_VIEW, CONFIGS_VIEW
from ward_core.probes.selection import select_devices

router = APIRouter(prefix=PREFIX, tags=["configs"])
CanView = Annotated[Principal, Depends(require(CONFIGS_VIEW))]
DeviceName = Annotated[
    str, Path(min_length=1, max_length=255, description="Device name.", examples=["br001-rtr1"])
]
VersionRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Version id or digest prefix (6+ hex digits).",
        examples=["42"],
    ),
]

VERSION_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "device": "br001-rtr1",
    "platform": "cisco_ios",
    "site": "br001",
    "digest": "3fa9c1d2e4b5a6978877665544332211ffeeddccbbaa99887766554433221100",
    "previous_id": 40,
    "run_id": 17,
    "collected_at": "2026-12-01T08:30:00+00:00",
    "changed_by": "alice",
    "device_changed_at": "08:29:51 UTC Tue Dec 1 2026",
    "change_source": "device",
    "remediation": None,
    "lines_added": 1,
    "lines_removed": 1,
}
DIFF_EXAMPLE = (
    "--- br001-rtr1@40 (aa11bb22cc33)\n+++ br001-rtr1@42 (3fa9c1d2e4b5)\n@@ -3 +3 @@\n"
    "-snmp-server location old\n+snmp-server location new\n"
)


def _not_found(exc: InventoryError) -> ApiError:
    return ApiError(404, str(exc))


@router.get(
    "/configs",
    summary="Every device's current configuration version",
    responses=ok(page_example({**VERSION_EXAMPLE, "versions": 5}), "A page of current versions.", etag=True),
)
def list_configs(
    request: Request, principal: CanView, session: Db, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """When each device's configuration was collected, who changed it, how many versions it has."""
    current = latest(session)
    counts = version_counts(session)
    items = [{**v.to_dict(), "versions": counts.get(v.device, 0)} for v in current[offset : offset + limit]]
    return json_answer(
        request, Encoded.of(page(request, items, total=len(current), limit=limit, offset=offset))
    )


@router.get(
    "/configs/stale",
    summary="Devices whose last backup is too old",
    responses=ok(
        page_example({"device": "br001-rtr1", "stale": True, "age_s": 90000.0, "interval_s": 86400.0}),
        "A page of devices and the freshness of their backups.",
        etag=True,
    ),
)
def stale_configs(
    request: Request,
    principal: CanView,
    session: Db,
    include_fresh: Annotated[bool, Query(description="List every device, stale or not.")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Devices whose last successful backup is older than their interval (all with ``include_fresh``)."""
    found = freshness(session, default_interval_s=api_state(request).settings.backup_interval_s)
    shown = found if include_fresh else [f for f in found if f.stale]
    items = [f.to_dict() for f in shown[offset : offset + limit]]
    return json_answer(
        request, Encoded.of(page(request, items, total=len(shown), limit=limit, offset=offset))
    )


@router.get(
    "/configs/{device}/versions",
    summary="A device's configuration history",
    responses={
        **ok(page_example(VERSION_EXAMPLE), "A page of versions, newest first.", etag=True),
        **not_found("device"),
    },
)
def config_history(
    request: Request,
    device: DeviceName,
    principal: CanView,
    session: Db,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every version of one device, newest first."""
    try:
        versions = history(session, device)
    except InventoryError as exc:
        raise _not_found(exc) from None
    items = [v.to_dict() for v in versions[offset : offset + limit]]
    return json_answer(
        request, Encoded.of(page(request, items, total=len(versions), limit=limit, offset=offset))
    )


@router.get(
    "/configs/{device}/versions/{version}",
    summary="One stored configuration (redacted)",
    responses={
        **ok({**VERSION_EXAMPLE, "text": "hostname br001-rtr1\nsnmp-server community <removed> RO\n"}),
        **not_found("version"),
    },
)
def show_config(device: DeviceName, version: VersionRef, principal: CanView, session: Db) -> dict[str, Any]:
    """A stored version and its text, redacted and normalised (``latest`` names the newest)."""
    try:
        found = resolve_version(session, device, None if version == "latest" else version)
        text = version_text(session, found)
    except InventoryError as exc:
        raise _not_found(exc) from None
    return {**found.to_dict(), "text": text}


@router.get(
    "/configs/{device}/diff",
    summary="Diff two configuration versions",
    responses={
        **ok({"device": "br001-rtr1", "old": VERSION_EXAMPLE, "new": VERSION_EXAMPLE, "diff": DIFF_EXAMPLE}),
        **not_found("version"),
    },
)
def diff_configs(
    device: DeviceName,
    principal: CanView,
    session: Db,
    old: Annotated[
        str | None, Query(max_length=64, description="Older version (default: the one before new).")
    ] = None,
    new: Annotated[
        str | None, Query(max_length=64, description="Newer version (default: the newest).")
    ] = None,
    context: Annotated[int, Query(ge=0, le=1000, description="Lines of context.")] = 3,
) -> dict[str, Any]:
    """Unified diff between two versions of one device (by default: its last change)."""
    try:
        newer = resolve_version(session, device, new)
        if old is not None:
            older = resolve_version(session, device, old)
        elif newer.previous_id is not None:
            older = resolve_version(session, device, str(newer.previous_id))
        else:
            raise InventoryError(
                f"device {device!r}: version {newer.id} is its first, nothing to diff against"
            )
        text = diff_versions(session, older, newer, context=context)
    except InventoryError as exc:
        raise _not_found(exc) from None
    return {"device": device, "old": older.to_dict(), "new": newer.to_dict(), "diff": text}


@router.get(
    "/compliance",
    tags=["compliance"],
    summary="Compliance report",
    responses=ok(
        {
            "devices": [
                {
                    "device": "br001-rtr1",
                    "status": "non-compliant",
                    "features": [
                        {
                            "feature": "ntp",
                            "status": "non-compliant",
                            "remediation": ["ntp server 10.0.0.1"],
                            "error": None,
                        }
                    ],
                }
            ],
            "totals": {"non-compliant": 1},
        },
        "Per device and per feature: compliant or not, and the commands that would fix it.",
    ),
)
def compliance(
    request: Request,
    principal: Annotated[Principal, Depends(require(COMPLIANCE_VIEW))],
    session: Db,
    selector: Selector = None,
) -> dict[str, Any]:
    """The devices' latest stored backups judged against their intended configuration."""
    state = api_state(request)
    names = select_devices(session, selector) if selector else None
    report = compliance_report(session, state.plugins, state.settings, names)
    return report.to_dict()
