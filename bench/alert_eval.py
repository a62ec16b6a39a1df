"""Alert rule evaluation on PostgreSQL: 10,000 devices x 20 rules, and sample-to-webhook latency.

    .venv/bin/python bench/alert_eval.py [--devices 10000] [--interfaces 4] [--rounds 5] [--flips 100]

Creates a throw-away database on the server named by ``WARD_BENCH_PG_ADMIN_URL`` (default: the
local test server), stores ``--devices`` devices over sites of 20 (one group, roles and regions
mixed) and six minutes of synthetic samples, one per minute: six device metrics and three metrics
per interface (``--interfaces`` per device), about one device in a hundred misbehaving. Then:

1. a full evaluation of the 20 rules below over every device, once cold (compiling rules, reading
   the inventory) and ``--rounds`` times warm, and the same fleet as the poll path sees it: one
   evaluation per batch of 200 devices (what ``ward_samples_written`` triggers);
2. ``--flips`` probe batches of 200 devices through ``run_probe_batch`` (scripted probe, real write
   path, real ``ward_samples_written`` hook, real dispatcher and ``webhook`` notifier), each flipping
   one device across a ``for 0s`` threshold, timing from the sample's commit to the signed POST
   arriving at a local HTTP receiver.

Goals (issue 7): full evaluation under 1 s; latency p99 under 1 s. Prints times and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

import ward_core
import ward_core.alerts.plugin
from ward_core.alerts.compiler import Vocabulary
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.service import AlertService
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.db.models import Device, Group, Region, Site
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import run_probe_batch
from ward_core.probes.labels import labels_key
from ward_core.probes.store import LatestRow, SampleRow, upsert_latest, write_samples
from ward_core.testing.workers import scratch_database
from ward_core.types import DeviceTarget, Metric, ProbeBatchResult, ProbeKind, ProbeOptions, ProbeResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import ward_notify.plugin

ADMIN_URL = os.environ.get("WARD_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GOAL_EVAL_S = 1.0
GOAL_P99_S = 1.0
BATCH = 200
KIND = "bench.gauges"
DEVICE_METRICS = (
    "ping.loss_pct",
    "ping.rtt_avg_ms",
    "ping.jitter_ms",
    "sys.uptime_s",
    "cpu.util_pct",
    "mem.used_pct",
)
INTERFACE_METRICS = ("if.oper_up", "if.in_bps", "if.in_errors_per_s")
LATENCY_METRIC = "bench.flip"

RULES = """
rules:
  - {name: device-down, expr: "last(ping.loss_pct) == 100 for 1m", severity: critical, device_down: true}
  - {name: device-silent, expr: "nodata(ping.loss_pct, 5m)"}
  - name: packet-loss
    expr: >
      avg(ping.loss_pct, 5m) > 10 and avg(ping.loss_pct, 5m) < 100 for 5m
      clear when avg(ping.loss_pct, 5m) < 2
  - name: high-rtt-west
    expr: >
      avg(ping.loss_pct, 5m) > 10 and avg(ping.rtt_avg_ms, 5m) > 100 for 5m
      where role == "branch-router" and site.region == "west"
  - {name: rtt-spike, expr: "max(ping.rtt_avg_ms, 5m) > 250"}
  - {name: jitter, expr: "avg(ping.jitter_ms, 5m) > 30 keep_firing_for 5m"}
  - {name: rtt-rising, expr: "rate(ping.rtt_avg_ms, 5m) > 1"}
  - {name: cpu-high, expr: "avg(cpu.util_pct, 5m) > 90 for 5m"}
  - {name: cpu-stuck, expr: "min(cpu.util_pct, 5m) > 99"}
  - {name: memory-high, expr: "last(mem.used_pct) > 95"}
  - {name: memory-growing, expr: "delta(mem.used_pct, 5m) > 10"}
  - {name: uptime-short, expr: "last(sys.uptime_s) < 300"}
  - {name: reboot, expr: "count(sys.rebooted, 30m) > 0"}
  - {name: interface-down, expr: "last(if.oper_up) == 0 by (ifname) for 2m"}
  - name: interface-errors
    expr: avg(if.in_errors_per_s, 5m) > 1 by (ifname) clear when avg(if.in_errors_per_s, 5m) < 0.1
  - {name: interface-hot, expr: "max(if.in_bps, 5m) > 9e8 by (ifname)"}
  - {name: interface-idle, expr: 'sum(if.in_bps{ifname="Gi0/0"}, 5m) == 0'}
  - {name: core-loss, expr: 'last(ping.loss_pct) > 0 where group "core"'}
  - {name: errors-and-loss, expr: "max(if.in_errors_per_s, 5m) > 5 and last(ping.loss_pct) > 5"}
  - {name: loss-per-rtt, expr: "last(ping.loss_pct) / last(ping.rtt_avg_ms) > 1"}
"""
LATENCY_RULE = f"  - {{name: bench-flip, expr: 'last({LATENCY_METRIC}) > 50', notify: [webhook]}}\n"


# --------------------------------------------------------------------------- fleet and samples


def add_fleet(engine: Engine, count: int) -> dict[str, int]:
    """Devices over sites of 20 in two regions; the first 100 in static group ``core``."""
    with session_scope(engine) as session:
        regions = [Region(name="west"), Region(name="east")]
        session.add_all(regions)
        sites = [
            Site(name=f"site-{n:04d}", region=regions[n % 2], vars={}) for n in range((count + 19) // 20)
        ]
        session.add_all(sites)
        devices = [
            Device(
                name=f"dev{n:05d}",
                host=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                port=22,
                platform="cisco_ios",
                role="branch-router" if n % 20 == 0 else "access-switch",
                site=sites[n // 20],
                tags=[],
                vars={},
                content_hash="0" * 64,
            )
            for n in range(count)
        ]
        session.add_all(devices)
        core = Group(name="core", kind="static")
        session.add(core)
        session.flush()
        from ward_core.db.models import GroupMember

        session.add_all(GroupMember(group_id=core.id, device_id=d.id) for d in devices[:100])
        return {d.name: d.id for d in devices}


def device_values(n: int, minute: int, rng: random.Random) -> dict[str, float]:
    """One device's metrics at one minute; about 1 % of devices misbehave."""
    bad = n % 97 == 0
    return {
        "ping.loss_pct": 100.0 if n % 211 == 0 else (25.0 if bad else 0.0),
        "ping.rtt_avg_ms": (150.0 if bad else 5.0) + rng.random() * 3 + minute * (2 if bad else 0),
        "ping.jitter_ms": 40.0 if bad else rng.random(),
        "sys.uptime_s": 86_400.0 + minute * 60,
        "cpu.util_pct": 95.0 if bad else 20.0 + rng.random() * 10,
        "mem.used_pct": 60.0 + (minute * 3 if bad else 0),
    }


def write_fleet_samples(engine: Engine, ids: dict[str, int], interfaces: int, now: datetime) -> int:
    rng = random.Random(7)
    total = 0
    names = sorted(ids)
    for start in range(0, len(names), 1000):
        chunk = names[start : start + 1000]
        samples: list[SampleRow] = []
        latest: dict[tuple[int, str, str], LatestRow] = {}
        for minute in range(6):
            when = now - timedelta(seconds=330 - minute * 60)
            for name in chunk:
                n = int(name[3:])
                device_id = ids[name]
                for metric, value in device_values(n, minute, rng).items():
                    samples.append(SampleRow(device_id, metric, "", {}, when, value))
                    latest[(device_id, metric, "")] = LatestRow(device_id, metric, "", {}, when, value)
                for port in range(interfaces):
                    labels = {"ifname": f"Gi0/{port}"}
                    key = labels_key(labels)
                    bad = n % 97 == 0 and port == 1
                    for metric, value in (
                        ("if.oper_up", 0.0 if bad else 1.0),
                        ("if.in_bps", 1e6 + rng.random() * 1e5),
                        ("if.in_errors_per_s", 3.0 if bad else 0.0),
                    ):
                        samples.append(SampleRow(device_id, metric, key, labels, when, value))
                        latest[(device_id, metric, key)] = LatestRow(
                            device_id, metric, key, labels, when, value
                        )
        with session_scope(engine) as session:
            total += write_samples(session, samples)
            upsert_latest(session, list(latest.values()))
    return total


# --------------------------------------------------------------------------- plugins


class BenchProbe:
    """Reports the fleet's metrics (steady) plus ``bench.flip`` (what the latency run flips)."""

    kind = ProbeKind(
        name=KIND, description="bench gauges", metrics=(*DEVICE_METRICS, *INTERFACE_METRICS, LATENCY_METRIC)
    )

    def __init__(self) -> None:
        self.flip: dict[str, float] = {}

    @ward_core.hookimpl
    def ward_probe_kinds(self) -> list[ProbeKind]:
        return [self.kind]

    @ward_core.hookimpl
    def ward_probe_run(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
    ) -> ProbeBatchResult | None:
        if kind != KIND:
            return None
        return ProbeBatchResult(
            kind=kind,
            results=tuple(
                ProbeResult.success(
                    d.name,
                    kind,
                    [
                        Metric("ping.loss_pct", 0.0),
                        Metric("ping.rtt_avg_ms", 5.0),
                        Metric(LATENCY_METRIC, self.flip.get(d.name, 0.0)),
                    ],
                )
                for d in devices
            ),
        )


class CommitClock:
    """Records when each batch's samples were committed (``ward_samples_written``)."""

    def __init__(self) -> None:
        self.committed: dict[str, float] = {}

    @ward_core.hookimpl
    def ward_samples_written(self, batch: Any) -> None:
        self.committed[batch.batch_id] = batch.time.timestamp()


@contextmanager
def receiver() -> Iterator[tuple[str, list[tuple[float, dict[str, Any]]]]]:
    received: list[tuple[float, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((time.time(), json.loads(body)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- runs


def evaluation_run(engine: Engine, vocabulary: Vocabulary, names: list[str], rounds: int) -> dict[str, Any]:
    service = AlertService(engine, vocabulary=vocabulary)
    cold = service.evaluate()
    warm = [service.evaluate() for _ in range(rounds)]
    batches = []
    started = time.perf_counter()
    for start in range(0, len(names), BATCH):
        batches.append(service.evaluate(names[start : start + BATCH]))
    per_batch_total = time.perf_counter() - started
    service.close()
    return {"cold": cold, "warm": warm, "batches": batches, "batches_total_s": per_batch_total}


def latency_run(engine: Engine, url: str, names: list[str], flips: int) -> list[float]:
    probe = BenchProbe()
    clock = CommitClock()
    with receiver() as (hook_url, received), tempfile.TemporaryDirectory() as folder:
        notify = Path(folder) / "notify.yml"
        notify.write_text(
            json.dumps({"webhook": {"url": hook_url, "secret": "bench", "timeout_s": 5}}), encoding="utf-8"
        )
        settings = Settings(database_url=url, notify_file=notify, blocked_plugins=[])
        plugins = WardPlugins(settings)
        plugins.register(probe, name="bench")
        plugins.register(ward_core.alerts.plugin, name="alerts")
        plugins.register(ward_notify.plugin, name="notify")
        plugins.register(clock, name="clock")
        plugins.start()
        rules = Path(folder) / "rules.yml"
        rules.write_text(RULES + LATENCY_RULE, encoding="utf-8")
        checks = Checks(vocabulary=vocabulary_of(plugins), notifiers=frozenset(plugins.alert_notifiers()))
        with session_scope(engine) as session:
            store_rules(session, read_rule_files([rules], checks))
        rng = random.Random(11)
        expected: list[tuple[str, str, str]] = []
        for i in range(flips):
            start = rng.randrange(0, len(names) - BATCH)
            batch = names[start : start + BATCH]
            device = batch[rng.randrange(BATCH)]
            firing = probe.flip.get(device, 0.0) <= 50
            probe.flip[device] = 100.0 if firing else 0.0
            outcome = run_probe_batch(engine=engine, plugins=plugins, kinds=[KIND], device_names=batch)
            expected.append((outcome.batch_id, device, "firing" if firing else "resolved"))
            time.sleep(0.02)
            if i % 10 == 9:
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(len(p["alerts"]) for _, p in received) < len(expected):
            time.sleep(0.05)
        plugins.close()
    arrivals: dict[tuple[str, str], list[float]] = {}
    for at, payload in received:
        for alert in payload["alerts"]:
            arrivals.setdefault((alert["device"], alert["status"]), []).append(at)
    latencies = []
    for batch_id, device, status in expected:
        times = arrivals.get((device, status), [])
        committed = clock.committed[batch_id]
        later = [t for t in times if t >= committed - 0.001]
        if later:
            latencies.append(min(later) - committed)
            times.remove(min(later))
    return latencies


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--interfaces", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flips", type=int, default=100)
    args = parser.parse_args()

    with scratch_database(ADMIN_URL) as (engine, url):
        clock = time.perf_counter()
        ids = add_fleet(engine, args.devices)
        now = datetime.now(UTC)
        written = write_fleet_samples(engine, ids, args.interfaces, now)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"setup: {args.devices} devices, {written:,} samples in {time.perf_counter() - clock:.1f} s")

        plugins = WardPlugins(Settings(database_url=url, blocked_plugins=[]))
        plugins.register(BenchProbe(), name="bench")
        plugins.start()
        vocabulary = vocabulary_of(plugins)
        plugins.close()
        rules_path = Path(tempfile.mkdtemp()) / "rules.yml"
        rules_path.write_text(RULES, encoding="utf-8")
        rules = read_rule_files([rules_path], Checks(vocabulary=vocabulary))
        with session_scope(engine) as session:
            store_rules(session, rules)

        names = sorted(ids)
        run = evaluation_run(engine, vocabulary, names, args.rounds)
        cold, warm = run["cold"], run["warm"]
        best = min(warm, key=lambda r: r.total_s)
        median = statistics.median(r.total_s for r in warm)
        print(
            f"\n1. full evaluation: {len(rules)} rules x {cold.devices} devices "
            f"({cold.instances:,} instances)"
        )
        print(f"   transitions on the first evaluation: {cold.transitions}, rule faults: {cold.faults}")
        print(f"   cold (compile + inventory): {cold.total_s:.3f} s")
        print(
            f"   warm: median {median:.3f} s, best {best.total_s:.3f} s "
            f"(reading samples {best.fetch_s:.3f} s, evaluating {best.evaluate_s:.3f} s, "
            f"commit {best.commit_s:.3f} s)"
        )
        print(
            f"   goal < {GOAL_EVAL_S:.1f} s: median is {GOAL_EVAL_S / median:.1f}x under the goal"
            if median < GOAL_EVAL_S
            else f"   goal < {GOAL_EVAL_S:.1f} s: MISSED by x{median / GOAL_EVAL_S:.2f}"
        )
        batch_times = [b.total_s for b in run["batches"]]
        print(
            f"   as the poll path sees it: {len(batch_times)} batches of {BATCH} devices, "
            f"median {statistics.median(batch_times) * 1000:.1f} ms, "
            f"max {max(batch_times) * 1000:.1f} ms per batch, "
            f"{run['batches_total_s']:.2f} s for the fleet"
        )

        latencies = latency_run(engine, url, names, args.flips)
        print(
            f"\n2. sample committed -> signed webhook POST received "
            f"({len(latencies)} of {args.flips} flips matched)"
        )
        if latencies:
            p99 = percentile(latencies, 99)
            print(
                f"   p50 {percentile(latencies, 50) * 1000:.1f} ms, "
                f"p95 {percentile(latencies, 95) * 1000:.1f} ms, "
                f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
            )
            verdict = (
                f"{GOAL_P99_S / p99:.1f}x under the goal"
                if p99 < GOAL_P99_S
                else f"MISSED by x{p99 / GOAL_P99_S:.2f}"
            )
            print(f"   goal p99 < {GOAL_P99_S:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
