"""How long the lab takes to start and how much memory it holds, against a small lab as baseline.

    .venv/bin/python bench/lab_scale.py [--devices 1000] [--baseline 10]

Starts a baseline lab and the large lab one after the other (each in its own temporary folder,
on an unused address range and unprivileged ports), reads time-to-ready and the lab process's RSS
from ``ward lab status``, and prints both with their ratio. The issue's targets: 1,000 devices ready
in under 30 s and under 1 GiB RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WARD = [sys.executable, "-m", "ward_core.cli"]


def ward(lab_dir: Path, *args: str) -> str:
    env = {**os.environ, "WARD_LAB_DIR": str(lab_dir)}
    result = subprocess.run([*WARD, *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"ward {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def measure(devices: int, first_address: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="ward-bench-lab-") as folder:
        lab_dir = Path(folder)
        started = time.perf_counter()
        ward(
            lab_dir,
            "lab",
            "up",
            "--devices",
            str(devices),
            "--ssh-port",
            "12022",
            "--snmp-port",
            "12161",
            "--first-address",
            first_address,
        )
        ready = time.perf_counter() - started
        status = json.loads(ward(lab_dir, "lab", "status", "--json"))
        ward(lab_dir, "lab", "down")
        return ready, int(status["rss_bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    args = parser.parse_args()
    base_time, base_rss = measure(args.baseline, "127.31.0.1")
    time_taken, rss = measure(args.devices, "127.32.0.1")
    print(f"{'devices':>8} {'ready s':>9} {'RSS MiB':>9}")
    print(f"{args.baseline:>8} {base_time:>9.2f} {base_rss / 2**20:>9.1f}")
    print(f"{args.devices:>8} {time_taken:>9.2f} {rss / 2**20:>9.1f}")
    print(
        f"ratio {args.devices}/{args.baseline} devices: start time x{time_taken / base_time:.1f}, "
        f"memory x{rss / base_rss:.1f}; "
        f"per device {(rss - base_rss) / (args.devices - args.baseline) / 1024:.0f} KiB"
    )
    speed = "met" if time_taken < 30 else "MISSED"
    memory = "met" if rss < 2**30 else "MISSED"
    print(f"targets: ready < 30 s: {speed}; RSS < 1 GiB: {memory}")


if __name__ == "__main__":
    main()
