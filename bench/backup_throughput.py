"""Configuration backup throughput against the simulated lab, compared with Oxidized's practice.

    .venv/bin/python bench/backup_throughput.py [--devices 200] [--workers 50] [--per-site 10] [--runs 2]

Starts a lab of ``--devices`` SSH devices in a temporary folder, imports its inventory into a
temporary SQLite database (or ``--database-url``), and times :func:`ward_core.backup.service.backup_devices`
over every device: the first run stores every configuration, the next ones find them unchanged.
Each run is the whole service: Nornir over ward's inventory, netmiko sessions (connect, login,
enable, ``show running-config``), redaction and normalisation, and the database transaction.

Baseline: Oxidized's commonly published practice, about 750 devices per hour with 30 threads
(0.21 devices/s). The issue's goal is all 200 devices in under 30 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from ward_core.backup.options import BackupOptions
from ward_core.backup.service import backup_devices
from ward_core.config import load_settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.inventory.importer import import_inventory
from ward_core.plugin_manager import load_plugins
from ward_core.testing.lab import running_lab

OXIDIZED_DEVICES_PER_HOUR = 750
OXIDIZED_THREADS = 30
GOAL_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--per-site", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--database-url", default=None, help="Default: a SQLite file in the temporary folder."
    )
    args = parser.parse_args()
    baseline = OXIDIZED_DEVICES_PER_HOUR / 3600

    with tempfile.TemporaryDirectory(prefix="ward-bench-backup-") as folder:
        tmp = Path(folder)
        started = time.perf_counter()
        port = random.randrange(20000, 30000)
        with running_lab(tmp / "lab", devices=args.devices, ssh_port=port, snmp_port=port + 1) as lab:
            print(f"lab of {args.devices} devices ready in {time.perf_counter() - started:.1f} s")
            url = args.database_url or f"sqlite:///{tmp / 'ward.db'}"
            inventory = tmp / "lab.yml"
            inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
            settings = load_settings(database_url=url, secrets_file=lab.lab_dir / "secrets.yml")
            engine = get_engine(url)
            upgrade(engine)
            with session_scope(engine) as session:
                import_inventory(inventory, session)
            names = sorted(d["name"] for d in lab.devices)
            options = BackupOptions(timeout_s=30.0, workers=args.workers, per_site=args.per_site, retries=0)
            print(
                f"options: {options.workers} SSH sessions at once, at most {options.per_site} per site, "
                f"{len({d['site'] for d in lab.devices})} sites"
            )
            print(
                f"{'run':>4} {'devices':>8} {'changed':>8} {'failed':>7} {'collect s':>10} {'total s':>8} "
                f"{'devices/s':>10} {'x Oxidized':>11}"
            )
            failed = False
            with load_plugins(settings) as plugins:
                for run in range(1, args.runs + 1):
                    outcome = backup_devices(
                        engine=engine, plugins=plugins, settings=settings, device_names=names, options=options
                    )
                    rate = len(outcome.devices) / outcome.duration_s
                    failed = failed or not outcome.ok
                    counts = f"{len(outcome.devices):>8} {len(outcome.changed):>8} {len(outcome.failed):>7}"
                    print(
                        f"{run:>4} {counts} "
                        f"{outcome.collect_s:>10.2f} {outcome.duration_s:>8.2f} {rate:>10.1f} "
                        f"{rate / baseline:>10.0f}x"
                    )
                    for device in outcome.failed[:5]:
                        print(f"     failed {device.device}: {device.reason}: {device.error}")
                    if outcome.duration_s > GOAL_S:
                        failed = True
            engine.dispose()
    print(
        f"baseline: Oxidized {OXIDIZED_DEVICES_PER_HOUR} devices/hour with {OXIDIZED_THREADS} threads "
        f"= {baseline:.2f} devices/s; goal: {args.devices} devices in under {GOAL_S:.0f} s"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
