"""The topology as a networkx graph: nodes are inventory devices, edges are links.

The graph is a ``MultiGraph`` (two devices may be joined by several cables). Node attributes:
``site``, ``role``, ``host``. Edge attributes: ``kind`` (two_sided, one_sided, override), and
``ports``, the interface at each end by device name (``ports[a]`` is a's interface).

:func:`site_uplinks` is what alerting calls to fold a site's outages under the device that
connects it to the rest of the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, pairwise

import networkx as nx

from ward_core.errors import ConfigError
from ward_core.topology.model import Snapshot

DEFAULT_ALTERNATIVES = 2


def build_graph(snapshot: Snapshot) -> nx.MultiGraph:
    """The snapshot's devices and links as a graph."""
    graph = nx.MultiGraph()
    for device in snapshot.devices:
        graph.add_node(device.name, site=device.site, role=device.role, host=device.host)
    for info in snapshot.links:
        link = info.link
        for name in (link.a_device, link.b_device):
            if name not in graph:
                graph.add_node(name, site=None, role=None, host="")
        graph.add_edge(
            link.a_device,
            link.b_device,
            key=info.key,
            kind=info.kind,
            ports={link.a_device: link.a_interface, link.b_device: link.b_interface},
        )
    return graph


def site_subgraph(graph: nx.MultiGraph, site: str) -> nx.MultiGraph:
    """The devices of ``site`` and every link touching them (their neighbours elsewhere included).

    Raises ConfigError when no device is in ``site``.
    """
    members = [n for n, data in graph.nodes(data=True) if data.get("site") == site]
    if not members:
        known = sorted({str(s) for _, s in graph.nodes(data="site") if s})
        raise ConfigError(f"no device in site {site!r} (sites: {', '.join(known) or 'none'})")
    keep = set(members)
    for name in members:
        keep.update(graph.neighbors(name))
    sub: nx.MultiGraph = graph.subgraph(keep).copy()
    outside = [(u, v, k) for u, v, k in sub.edges(keys=True) if u not in members and v not in members]
    sub.remove_edges_from(outside)
    return sub


def site_uplinks(graph: nx.MultiGraph) -> dict[str, str]:
    """Each site's uplink device: the site device with the most links to devices of other sites.

    Ties go to the device whose links reach the most other sites, then to the first name. Sites
    none of whose devices has a link leaving the site are left out (nothing to fold under).
    """
    uplinks: dict[str, str] = {}
    sites: dict[str, list[str]] = {}
    for name, site in graph.nodes(data="site"):
        if site:
            sites.setdefault(str(site), []).append(str(name))
    for site, members in sorted(sites.items()):
        ranked = []
        for name in sorted(members):
            outside = Counter(
                graph.nodes[other].get("site")
                for _, other in graph.edges(name)
                if graph.nodes[other].get("site") != site
            )
            if outside:
                ranked.append((-sum(outside.values()), -len(outside), name))
        if ranked:
            uplinks[site] = min(ranked)[2]
    return uplinks


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path: from ``device`` out of ``interfaces`` (parallel links: several) to ``next``."""

    device: str
    next: str
    interfaces: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "from": self.device,
            "to": self.next,
            "links": [{"from_interface": a, "to_interface": b} for a, b in self.interfaces],
        }


def _hops(graph: nx.MultiGraph, nodes: list[str]) -> tuple[Hop, ...]:
    hops = []
    for here, there in pairwise(nodes):
        edges = graph.get_edge_data(here, there) or {}
        pairs = sorted((data["ports"][here], data["ports"][there]) for data in edges.values())
        hops.append(Hop(here, there, tuple(pairs)))
    return tuple(hops)


def paths(
    graph: nx.MultiGraph, source: str, target: str, *, alternatives: int = DEFAULT_ALTERNATIVES
) -> list[tuple[Hop, ...]]:
    """The shortest path from ``source`` to ``target``, then up to ``alternatives`` next-shortest
    loop-free paths, each as hops with the interfaces used. Empty when they are not connected.

    Raises ConfigError naming a device that is not in the graph.
    """
    for name in (source, target):
        if name not in graph:
            raise ConfigError(f"device {name!r} is not in the topology")
    if source == target:
        return [()]
    simple = nx.Graph(graph)
    try:
        found: Iterable[list[str]] = nx.shortest_simple_paths(simple, source, target)
        chosen = list(islice(found, alternatives + 1))
    except nx.NetworkXNoPath:
        return []
    return [_hops(graph, nodes) for nodes in chosen]
