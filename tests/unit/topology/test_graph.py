"""The graph: uplinks per site, paths with interfaces, site views, diffs, and the two pictures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from ward_core.errors import ConfigError
from ward_core.topology import (
    CollectionFailure,
    DiscoveryOutcome,
    build_graph,
    build_snapshot,
    diff_snapshots,
    paths,
    site_subgraph,
    site_uplinks,
)
from ward_core.topology.dot import to_dot
from ward_core.topology.model import Snapshot
from ward_core.topology.svg import to_svg
from ward_core.types import Link

if TYPE_CHECKING:
    from conftest import Kit

SVG = "{http://www.w3.org/2000/svg}"


def wired(kit: Kit) -> Snapshot:
    """core1 reaches branch-1 through rtr1 (two cables) and branch-2 through rtr2; sw1 backs up via rtr2."""
    cables = [
        ("core1", "Gi0/1", "rtr1", "Gi0/0"),
        ("core1", "Gi0/2", "rtr1", "Gi0/1"),
        ("core1", "Gi0/3", "rtr2", "Gi0/0"),
        ("rtr1", "Gi0/2", "sw1", "Gi1/1"),
        ("rtr1", "Gi0/3", "sw2", "Gi1/1"),
        ("sw1", "Gi1/2", "rtr2", "Gi0/1"),
    ]
    records: dict[str, list[object]] = {d.name: [] for d in kit.devices}
    for a, a_if, b, b_if in cables:
        records[a].append(kit.rec(a, a_if, b, b_if))
        records[b].append(kit.rec(b, b_if, a, a_if))
    seen = kit.seen(*(kit.obs(name, *recs) for name, recs in records.items()))  # type: ignore[arg-type]
    return build_snapshot(list(kit.devices), seen, discovered_at=kit.obs("x").collected_at)


def test_each_site_uplink_is_its_device_with_the_most_links_leaving_the_site(kit: Kit) -> None:
    graph = build_graph(wired(kit))
    assert site_uplinks(graph) == {"hub": "core1", "branch-1": "rtr1", "branch-2": "rtr2"}


def test_paths_give_interfaces_per_hop_parallel_links_included_and_alternatives(kit: Kit) -> None:
    graph = build_graph(wired(kit))
    found = paths(graph, "sw2", "rtr2", alternatives=2)
    assert [[h.device for h in p] + [p[-1].next] for p in found] == [
        ["sw2", "rtr1", "core1", "rtr2"],
        ["sw2", "rtr1", "sw1", "rtr2"],
    ]
    core_hop = found[0][1]
    assert core_hop.interfaces == (
        ("GigabitEthernet0/0", "GigabitEthernet0/1"),
        ("GigabitEthernet0/1", "GigabitEthernet0/2"),
    )
    assert paths(graph, "sw1", "sw1") == [()]
    with pytest.raises(ConfigError, match="'nope' is not in the topology"):
        paths(graph, "sw1", "nope")


def test_unconnected_devices_have_no_path(kit: Kit) -> None:
    snapshot = wired(kit)
    lonely = replace(
        snapshot, links=tuple(i for i in snapshot.links if "rtr2" not in (i.link.a_device, i.link.b_device))
    )
    assert paths(build_graph(lonely), "sw1", "rtr2") == []


def test_a_site_view_keeps_its_devices_and_their_links_out(kit: Kit) -> None:
    sub = site_subgraph(build_graph(wired(kit)), "branch-2")
    assert set(sub.nodes) == {"rtr2", "core1", "sw1"}
    assert sub.number_of_edges() == 2
    with pytest.raises(ConfigError, match="no device in site 'mars'"):
        site_subgraph(build_graph(wired(kit)), "mars")


def test_diff_reports_added_removed_and_changed_links(kit: Kit) -> None:
    old = wired(kit)
    cut = Link.between("rtr1", "GigabitEthernet0/3", "sw2", "GigabitEthernet1/1")
    kept = tuple(i for i in old.links if i.link != cut)
    half = replace(kept[0], kind="one_sided")
    new_link = replace(kept[1], link=Link.between("sw2", "Gi1/9", "rtr2", "Gi0/9"))
    new = replace(old, id=2, links=(half, *kept[1:], new_link))
    result = diff_snapshots(replace(old, id=1), new)
    assert result.removed == (cut,)
    assert result.added == (new_link.link,)
    assert [(a.kind, b.kind) for a, b in result.changed] == [("two_sided", "one_sided")]
    event = result.change(new.discovered_at)
    assert (event.added, event.removed) == (result.added, result.removed)
    assert diff_snapshots(old, old).empty


def test_svg_is_valid_xml_naming_every_device_and_drawing_every_link(kit: Kit) -> None:
    graph = build_graph(wired(kit))
    root = ET.fromstring(to_svg(graph, "test <&> title"))
    assert root.tag == f"{SVG}svg"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {d.name for d in kit.devices} <= texts
    assert len(list(root.iter(f"{SVG}line"))) == graph.number_of_edges() == 6
    boxes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "device"]
    assert len(boxes) == 5


def test_dot_has_one_cluster_per_site_and_labelled_edges(kit: Kit) -> None:
    text = to_dot(build_graph(wired(kit)))
    assert text.count("subgraph cluster_") == 3
    assert '"core1" -- "rtr1" [taillabel="Gi0/1", headlabel="Gi0/0", style=solid];' in text
    assert text.count(" -- ") == 6


def test_an_outcome_survives_the_queue_as_json() -> None:
    outcome = DiscoveryOutcome(
        transport="snmp",
        run_id=3,
        snapshot_id=9,
        previous_snapshot_id=8,
        devices=3,
        collected=2,
        records=5,
        links=2,
        two_sided=1,
        one_sided=1,
        unmatched=1,
        failures=(CollectionFailure(device="r9", reason="x"),),
        added=("a Gi0/1 -- b Gi0/1",),
        removed=(),
        event_failures=("boom",),
        duration_s=1.5,
    )
    again = DiscoveryOutcome.from_dict(json.loads(json.dumps(outcome.to_dict())))
    assert again == outcome
    assert not again.ok
