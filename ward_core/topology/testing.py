"""Helpers for testing discovery against the simulated lab: its ground truth, scores, events.

A topology plugin author checks a collector like this::

    with running_lab(tmp_path, devices=20) as lab:
        names = import_lab(engine, lab, tmp_path)
        outcome = discover_batch(engine=engine, plugins=plugins, settings=settings,
                                 device_names=names, transport="snmp")
        assert precision_recall(found_links, wired_links(lab)) == (1.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ward_core.db.session import session_scope
from ward_core.hookspecs import hookimpl
from ward_core.inventory.importer import import_inventory
from ward_core.lab.export import lab_inventory_yaml
from ward_core.lab.process import LabProcess
from ward_core.testing.lab import RunningLab
from ward_core.types import Link, TopologyChange


@dataclass(eq=False)
class EventRecorder:
    """A plugin that keeps every ``ward_topology_changed`` event it hears."""

    changes: list[TopologyChange] = field(default_factory=list)

    @hookimpl
    def ward_topology_changed(self, change: TopologyChange) -> None:
        """Keep ``change``."""
        self.changes.append(change)


def wired_links(lab: RunningLab) -> set[Link]:
    """Ground truth: every cable of ``lab`` whose ends are both up, as the lab itself reports it."""
    process = LabProcess(lab.lab_dir)
    links = set()
    for device in lab.devices:
        view = process.device(str(device["name"]))
        for iface in view["interfaces"]:
            if iface["peer"] and iface["oper_up"]:
                links.add(Link.between(view["name"], iface["name"], iface["peer"][0], iface["peer"][1]))
    return links


def precision_recall(found: set[Link], truth: set[Link]) -> tuple[float, float]:
    """Share of ``found`` links that are in ``truth``, share of ``truth`` that was found.

    >>> a, b = Link.between("r1", "Gi0/1", "s1", "Gi1/1"), Link.between("r1", "Gi0/2", "s2", "Gi1/1")
    >>> precision_recall({a}, {a, b}), precision_recall(set(), set())
    ((1.0, 0.5), (0.0, 1.0))
    """
    hits = len(found & truth)
    return (hits / len(found) if found else 0.0), (hits / len(truth) if truth else 1.0)


def import_lab(engine: Engine, lab: RunningLab, folder: Path, snmp_version: str = "2c") -> list[str]:
    """Import ``lab``'s inventory (asking for SNMP ``snmp_version``) into ``engine``; the device names."""
    path = folder / f"lab-{snmp_version}.yml"
    path.write_text(
        lab_inventory_yaml(lab.state, str(lab.lab_dir / "secrets.yml"), snmp_version), encoding="utf-8"
    )
    with session_scope(engine) as session:
        import_inventory(path, session)
    return [str(d["name"]) for d in lab.devices]
