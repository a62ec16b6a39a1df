"""Topology discovery of a large simulated lab, over SNMP and over SSH.

Over SNMP the ``lldp`` plugin reads LLDP-MIB and CISCO-CDP-MIB; over SSH the ``ios-neighbours``
plugin reads the LLDP and CDP CLI tables.

    .venv/bin/python bench/topology_discovery.py [--devices 500] [--workers 50] [--rounds 1]

Starts a lab of ``--devices`` devices (``ward lab up``, real SSH and SNMP servers on loopback),
imports its inventory into a fresh SQLite database, then runs ``discover_batch`` on every device
``--rounds`` times per transport, as ``ward topology discover`` does: collection through the
plugins (``--workers`` devices at once), observations stored, a snapshot built from every
device's newest observation and stored. Printed per transport: wall time, devices per second,
links found and how many of the lab's wired links they are (precision, recall), and the ratio of
SSH time to SNMP time. The lab runs on the same cores as the discovery, so times include its CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import ward_ios_neighbours.plugin
import ward_lldp.plugin

from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.plugin_manager import WardPlugins
from ward_core.testing.lab import running_lab
from ward_core.topology import discover_batch
from ward_core.topology.store import load_snapshot
from ward_core.topology.testing import import_lab, precision_recall, wired_links


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ward-bench-topology-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        with running_lab(root / "lab", devices=args.devices, ssh_port=15022, snmp_port=15161) as lab:
            lab_s = time.perf_counter() - started
            url = f"sqlite:///{root / 'ward.db'}"
            engine = get_engine(url)
            upgrade(engine)
            names = import_lab(engine, lab, root)
            truth = wired_links(lab)
            settings = Settings(
                database_url=url,
                secrets_file=lab.lab_dir / "secrets.yml",
                blocked_plugins=[],
                topology_workers=args.workers,
                topology_timeout_s=60.0,
            )
            figures: dict[str, dict[str, float]] = {}
            plugins = WardPlugins(settings)
            plugins.register(ward_ios_neighbours.plugin, name="ios-neighbours")
            plugins.register(ward_lldp.plugin, name="lldp")
            plugins.start()
            with plugins:
                for transport in ("snmp", "ssh"):
                    times = []
                    for _ in range(args.rounds):
                        clock = time.perf_counter()
                        outcome = discover_batch(
                            engine=engine,
                            plugins=plugins,
                            settings=settings,
                            device_names=names,
                            transport=transport,
                        )
                        times.append(time.perf_counter() - clock)
                    with session_scope(engine) as session:
                        snapshot = load_snapshot(session, outcome.snapshot_id)
                    assert snapshot is not None
                    precision, recall = precision_recall(set(snapshot.link_set()), truth)
                    best = min(times)
                    figures[transport] = {
                        "seconds": round(best, 3),
                        "devices_per_s": round(len(names) / best, 1),
                        "failed": len(outcome.failures),
                        "links": outcome.links,
                        "precision": precision,
                        "recall": recall,
                    }
            engine.dispose()
    ratio = figures["ssh"]["seconds"] / figures["snmp"]["seconds"]
    if args.json:
        print(
            json.dumps(
                {
                    "devices": args.devices,
                    "workers": args.workers,
                    "lab_start_s": round(lab_s, 1),
                    "ssh_over_snmp": round(ratio, 2),
                    **figures,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"lab of {args.devices} devices up in {lab_s:.1f} s; {len(truth)} wired links; {args.workers} workers"
    )
    for transport, f in figures.items():
        print(
            f"{transport:>4}: {f['seconds']:7.2f} s  {f['devices_per_s']:7.1f} devices/s  {f['links']} links "
            f"(precision {f['precision']:.3f}, recall {f['recall']:.3f}), {f['failed']} failed"
        )
    print(f"SSH takes {ratio:.1f}x the time of SNMP")
    return 0


if __name__ == "__main__":
    sys.exit(main())
