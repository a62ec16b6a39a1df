"""The graph as an SVG picture, laid out in pure Python (no Graphviz needed).

Layout: one box per site; sites whose devices have the most links to other sites (hubs) form
the top row, the others follow in rows. Inside a site, devices are placed in layers by their
distance from the site's uplink device (:func:`~ward_core.topology.graph.site_uplinks`), so a
branch reads top-down: router, then switches. Links are straight lines labelled with the
(abbreviated) interface at each end: solid when both ends report them, dashed when one end does,
dotted when an override declared them.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from ward_core.topology.dot import short
from ward_core.topology.graph import site_uplinks

NODE_W, NODE_H = 150, 44
GAP_X, GAP_Y = 24, 56
PAD, TITLE_H = 18, 26
SITES_PER_ROW = 5
DASHES = {"two_sided": "", "one_sided": "8 5", "override": "2 4"}
COLOURS = {"two_sided": "#2f4f6f", "one_sided": "#c0392b", "override": "#8e44ad"}


@dataclass(frozen=True, slots=True)
class Box:
    """A placed rectangle (a site or a device): top-left corner and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the box."""
        return self.x + self.w / 2, self.y + self.h / 2


def _layers(graph: nx.MultiGraph, members: list[str], uplink: str | None) -> list[list[str]]:
    """``members`` in layers by in-site distance from ``uplink`` (unreached ones last)."""
    inside = set(members)
    start = uplink if uplink in inside else min(members, key=lambda n: (-graph.degree(n), n))
    depth = {start: 0}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for other in sorted(graph.neighbors(here)):
            if other in inside and other not in depth:
                depth[other] = depth[here] + 1
                queue.append(other)
    last = max(depth.values()) + 1
    layers: dict[int, list[str]] = defaultdict(list)
    for name in sorted(members):
        layers[depth.get(name, last)].append(name)
    return [layers[k] for k in sorted(layers)]


def layout(graph: nx.MultiGraph) -> tuple[dict[str, Box], dict[str, Box], float, float]:
    """(site boxes, device boxes, width, height) of the picture."""
    sites: dict[str, list[str]] = defaultdict(list)
    for node, site in graph.nodes(data="site"):
        sites[str(site or "(no site)")].append(str(node))
    uplinks = site_uplinks(graph)

    def outward(site: str) -> int:
        return sum(
            1
            for n in sites[site]
            for _, other in graph.edges(n)
            if str(graph.nodes[other].get("site") or "(no site)") != site
        )

    ranked = sorted(sites, key=lambda s: (-outward(s), s))
    hubs = [s for s in ranked if outward(s) > 0 and outward(s) >= max(2, len(sites[s]) + 1)]
    rest = [s for s in sorted(sites) if s not in hubs]
    rows = [hubs[i : i + SITES_PER_ROW] for i in range(0, len(hubs), SITES_PER_ROW)]
    rows += [rest[i : i + SITES_PER_ROW] for i in range(0, len(rest), SITES_PER_ROW)]
    site_boxes: dict[str, Box] = {}
    node_boxes: dict[str, Box] = {}
    y: float = PAD
    width = 0.0
    for row in rows:
        x: float = PAD
        row_h = 0.0
        for site in row:
            layers = _layers(graph, sites[site], uplinks.get(site))
            cols = max(len(layer) for layer in layers)
            w = cols * NODE_W + (cols - 1) * GAP_X + 2 * PAD
            h = TITLE_H + len(layers) * NODE_H + (len(layers) - 1) * GAP_Y + 2 * PAD
            site_boxes[site] = Box(x, y, w, h)
            for depth, layer in enumerate(layers):
                offset = (cols - len(layer)) * (NODE_W + GAP_X) / 2
                for i, name in enumerate(layer):
                    node_boxes[name] = Box(
                        x + PAD + offset + i * (NODE_W + GAP_X),
                        y + TITLE_H + PAD + depth * (NODE_H + GAP_Y),
                        NODE_W,
                        NODE_H,
                    )
            x += w + GAP_X * 2
            row_h = max(row_h, h)
        width = max(width, x)
        y += row_h + GAP_Y
    return site_boxes, node_boxes, max(width, 2 * PAD), y


def _label_at(a: tuple[float, float], b: tuple[float, float], share: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share


def to_svg(graph: nx.MultiGraph, title: str = "ward topology") -> str:
    """``graph`` as a standalone SVG document."""
    site_boxes, boxes, width, height = layout(graph)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + 20:.0f}" '
        f'viewBox="0 0 {width:.0f} {height + 20:.0f}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for site, box in sorted(site_boxes.items()):
        out.append(
            f'<g class="site"><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            'rx="8" fill="#f4f6f8" stroke="#b0b8c0"/>'
            f'<text x="{box.x + 8:.1f}" y="{box.y + 17:.1f}" font-weight="bold">{escape(site)}</text></g>'
        )
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        pair = (min(str(a), str(b)), max(str(a), str(b)))
        bend = seen[pair] * 6.0
        seen[pair] += 1
        ca, cb = boxes[a].centre, boxes[b].centre
        length = math.hypot(cb[0] - ca[0], cb[1] - ca[1]) or 1.0
        nx_, ny_ = -(cb[1] - ca[1]) / length * bend, (cb[0] - ca[0]) / length * bend
        ca, cb = (ca[0] + nx_, ca[1] + ny_), (cb[0] + nx_, cb[1] + ny_)
        kind = str(data.get("kind"))
        dash = DASHES.get(kind, "")
        ports = data.get("ports", {})
        labels = "".join(
            f'<text x="{at[0]:.1f}" y="{at[1]:.1f}" font-size="10" fill="#555">'
            f"{escape(short(ports.get(end, '')))}</text>"
            for end, at in ((a, _label_at(ca, cb, 0.22)), (b, _label_at(ca, cb, 0.78)))
        )
        out.append(
            f'<g class="link {escape(kind)}"><line x1="{ca[0]:.1f}" y1="{ca[1]:.1f}" x2="{cb[0]:.1f}" '
            f'y2="{cb[1]:.1f}" stroke="{COLOURS.get(kind, "#333")}" stroke-width="1.6"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f"/>{labels}</g>"
        )
    for name, box in sorted(boxes.items()):
        role = graph.nodes[name].get("role") or ""
        out.append(
            f'<g class="device" id={quoteattr("device-" + name)}>'
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6" '
            'fill="#ffffff" stroke="#2f4f6f" stroke-width="1.4"/>'
            f'<text x="{box.centre[0]:.1f}" y="{box.y + 18:.1f}" text-anchor="middle" font-weight="bold">'
            f"{escape(name)}</text>"
            f'<text x="{box.centre[0]:.1f}" y="{box.y + 34:.1f}" text-anchor="middle" font-size="10" '
            f'fill="#666">{escape(str(role))}</text></g>'
        )
    legend_y = height + 8
    out.append(
        f'<text x="{PAD}" y="{legend_y:.0f}" font-size="10" fill="#555">solid: both ends report the link; '
        "dashed red: one end only; dotted: declared by an override</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
