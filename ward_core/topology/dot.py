"""The graph in Graphviz DOT, for ``ward topology show --dot`` (``dot -Tsvg`` renders it).

Devices are grouped in one cluster per site; each edge is labelled with the interface at each end;
one-sided links are dashed and links declared by an override dotted.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from netutils.interface import abbreviated_interface_name

STYLES = {"two_sided": "solid", "one_sided": "dashed", "override": "dotted"}


def quote(text: str) -> str:
    """A DOT string literal (a newline becomes DOT's ``\\n``).

    >>> print(quote('sw "1"'), quote("a\\nb"))
    "sw \\"1\\"" "a\\nb"
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def short(interface: str) -> str:
    """The abbreviated interface name edge labels use (``GigabitEthernet0/1`` -> ``Gi0/1``)."""
    return str(abbreviated_interface_name(interface))


def to_dot(graph: nx.MultiGraph, name: str = "ward") -> str:
    """``graph`` as a DOT ``graph`` document."""
    lines = [f"graph {quote(name)} {{", "  node [shape=box, style=rounded];"]
    by_site: dict[str, list[str]] = defaultdict(list)
    for node, site in sorted(graph.nodes(data="site")):
        by_site[str(site or "")].append(str(node))
    for index, (site, members) in enumerate(sorted(by_site.items())):
        indent = "  "
        if site:
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f"    label={quote(site)};")
            indent = "    "
        for node in members:
            role = graph.nodes[node].get("role")
            label = f"{node}\n{role}" if role else node
            lines.append(f"{indent}{quote(node)} [label={quote(label)}];")
        if site:
            lines.append("  }")
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        ports = data.get("ports", {})
        style = STYLES.get(str(data.get("kind")), "solid")
        lines.append(
            f"  {quote(str(a))} -- {quote(str(b))} [taillabel={quote(short(ports.get(a, '')))}, "
            f"headlabel={quote(short(ports.get(b, '')))}, style={style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
