"""Topology: ``ward topology show --json``, ``path``, ``uplinks`` and ``history`` over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer
from ward_core.api.routes.common import PREFIX, Db, not_found, ok
from ward_core.errors import ConfigError
from ward_core.permissions import TOPOLOGY_VIEW
from ward_core.topology.graph import DEFAULT_ALTERNATIVES, build_graph, paths, site_subgraph, site_uplinks
from ward_core.topology.model import Snapshot
from ward_core.topology.store import history, load_snapshot

router = APIRouter(prefix=PREFIX, tags=["topology"])
CanView = Annotated[Principal, Depends(require(TOPOLOGY_VIEW))]
SnapshotId = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="Discovery id (default: the newest).", alias="snapshot")
]

LINK_EXAMPLE = {
    "a_device": "core1",
    "a_interface": "Gi1/0/1",
    "b_device": "br001-rtr1",
    "b_interface": "Gi0/0",
    "kind": "two_sided",
    "protocols": ["lldp"],
}
HOP_EXAMPLE = {"device": "br001-rtr1", "interfaces": [["Gi0/0", "Gi1/0/1"]], "next": "core1"}


def _snapshot(session: Session, snapshot_id: int | None) -> Snapshot:
    snapshot = load_snapshot(session, snapshot_id)
    if snapshot is None:
        if snapshot_id is None:
            raise ApiError(404, "no discovery yet: run `ward topology discover`")
        raise ApiError(404, f"no discovery with id {snapshot_id}")
    return snapshot


@router.get(
    "/topology",
    summary="The discovered graph",
    responses={
        **ok(
            {
                "id": 12,
                "devices": [{"name": "core1", "site": "hq"}],
                "links": [LINK_EXAMPLE],
                "explanations": [],
                "uplinks": {"br001": "br001-rtr1"},
            },
            "The graph as `ward topology show --json` prints it.",
            etag=True,
        ),
        **not_found("discovery"),
    },
)
def show_topology(
    request: Request,
    principal: CanView,
    session: Db,
    site: Annotated[
        str | None, Query(max_length=255, description="Only this site's devices and links.")
    ] = None,
    snapshot_id: SnapshotId = None,
) -> Response:
    """Devices, links (with the protocols that saw them), unmatched records and site uplinks."""
    snapshot = _snapshot(session, snapshot_id)
    graph = build_graph(snapshot)
    uplinks = site_uplinks(graph)
    if site is not None:
        try:
            graph = site_subgraph(graph, site)
        except ConfigError as exc:
            raise ApiError(404, str(exc)) from None
    keys = {str(k) for _, _, k in graph.edges(keys=True)}
    nodes = set(graph.nodes)
    data = snapshot.to_dict()
    data["devices"] = [d for d in data["devices"] if d["name"] in nodes]
    data["links"] = [info.to_dict() for info in snapshot.links if info.key in keys]
    data["explanations"] = [e.to_dict() for e in snapshot.explanations if e.device in nodes]
    data["uplinks"] = {s: d for s, d in uplinks.items() if site is None or s == site}
    return json_answer(request, Encoded.of(data))


@router.get(
    "/topology/path",
    summary="Paths between two devices",
    responses={
        **ok(
            {"source": "br001-rtr1", "target": "core1", "paths": [{"hops": 1, "path": [HOP_EXAMPLE]}]},
            "The shortest path, then alternatives; empty when not connected.",
        ),
        **not_found("device"),
    },
)
def topology_path(
    principal: CanView,
    session: Db,
    source: Annotated[str, Query(min_length=1, max_length=255, description="Device to start from.")],
    target: Annotated[str, Query(min_length=1, max_length=255, description="Device to reach.")],
    alternatives: Annotated[
        int, Query(ge=0, le=20, description="Next-shortest paths to show as well.")
    ] = DEFAULT_ALTERNATIVES,
    snapshot_id: SnapshotId = None,
) -> dict[str, Any]:
    """The shortest path between two devices with the interfaces of each hop, and alternatives."""
    snapshot = _snapshot(session, snapshot_id)
    try:
        found = paths(build_graph(snapshot), source, target, alternatives=alternatives)
    except ConfigError as exc:
        raise ApiError(404, str(exc)) from None
    return {
        "source": source,
        "target": target,
        "snapshot": snapshot.id,
        "paths": [{"hops": len(p), "path": [h.to_dict() for h in p]} for p in found],
    }


@router.get(
    "/topology/uplinks",
    summary="Each site's uplink device",
    responses={**ok({"br001": "br001-rtr1"}, "Site name to uplink device."), **not_found("discovery")},
)
def topology_uplinks(principal: CanView, session: Db, snapshot_id: SnapshotId = None) -> dict[str, str]:
    """The device alerting folds each site's outages under."""
    return site_uplinks(build_graph(_snapshot(session, snapshot_id)))


@router.get(
    "/topology/history",
    summary="Past discoveries",
    responses=ok(
        [
            {
                "id": 12,
                "discovered_at": "2026-12-01T08:30:00+00:00",
                "transport": "ssh",
                "run_id": 30,
                "links": 900,
                "one_sided": 2,
                "unmatched": 1,
            }
        ]
    ),
)
def topology_history(
    principal: CanView,
    session: Db,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 20,
) -> list[dict[str, Any]]:
    """The newest discoveries with their counts."""
    return [h.to_dict() for h in history(session, limit=limit)]
