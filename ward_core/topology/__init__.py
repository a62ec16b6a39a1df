"""Topology discovery: neighbours collected over SSH or SNMP, matched into links, kept with history.

- :func:`~ward_core.topology.service.discover_batch`: one batch of devices, end to end (what
  ``ward topology discover`` and the workers call);
- :mod:`~ward_core.topology.matching`: from records to links, with a verdict for every record;
- :mod:`~ward_core.topology.graph`: the networkx graph, paths, and :func:`site_uplinks` (each
  site's uplink device, for folding downstream outages);
- :mod:`~ward_core.topology.diff`: what changed between two discoveries;
- :mod:`~ward_core.topology.store`: observations, snapshots and overrides in the database;
- :mod:`~ward_core.topology.retention`: :func:`prune_topology`, old history deleted without
  touching what ``diff``, ``explain`` or the next discovery need;
- :mod:`~ward_core.topology.dot`, :mod:`~ward_core.topology.svg`: pictures.
"""

from __future__ import annotations

from ward_core.topology.diff import SnapshotDiff, diff_snapshots
from ward_core.topology.graph import build_graph, paths, site_subgraph, site_uplinks
from ward_core.topology.matching import Matching, match
from ward_core.topology.model import (
    CollectionState,
    DeviceInfo,
    Explanation,
    LinkInfo,
    Reason,
    Snapshot,
    link_key,
)
from ward_core.topology.outcome import CollectionFailure, DiscoveryOutcome
from ward_core.topology.overrides import Override, check_override
from ward_core.topology.records import Observation
from ward_core.topology.service import build_snapshot, discover_batch

__all__ = [
    "CollectionFailure",
    "CollectionState",
    "DeviceInfo",
    "DiscoveryOutcome",
    "Explanation",
    "LinkInfo",
    "Matching",
    "Observation",
    "Override",
    "Reason",
    "Snapshot",
    "SnapshotDiff",
    "build_graph",
    "build_snapshot",
    "check_override",
    "diff_snapshots",
    "discover_batch",
    "link_key",
    "match",
    "paths",
    "site_subgraph",
    "site_uplinks",
]
