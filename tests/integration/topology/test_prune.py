"""Retention on PostgreSQL and SQLite: pruning deletes old discoveries and observations, keeps the
newest snapshots (diff and explain between them still work), every device's newest observation and
those the latest snapshot rests on, so the next discovery of a single device still sees the whole
graph; ``--dry-run`` deletes nothing; the command line reports in JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.db.models import Device, TopologyObservation, TopologySnapshot
from ward_core.db.types import utcnow
from ward_core.plugin_manager import WardPlugins
from ward_core.topology import Observation, Reason, diff_snapshots, discover_batch
from ward_core.topology.retention import prune_topology
from ward_core.topology.store import load_snapshot, previous_snapshot_id, write_observations
from ward_core.types import DeviceTarget, Link, NeighbourRecord, Transport

GI = "GigabitEthernet"


class Cables:
    """A neighbour plugin reporting both ends of whatever cables the test lays."""

    def __init__(self) -> None:
        self.cables: set[tuple[str, str, str, str]] = set()

    @hookimpl
    def ward_topology_neighbours(
        self, device: DeviceTarget, transport: Transport
    ) -> Sequence[NeighbourRecord] | None:
        records = []
        for a, a_if, b, b_if in sorted(self.cables):
            for here, here_if, there, there_if in ((a, a_if, b, b_if), (b, b_if, a, a_if)):
                if here == device.name:
                    records.append(
                        NeighbourRecord(
                            device=here,
                            local_interface=here_if,
                            neighbour=there,
                            protocol="cdp",
                            neighbour_interface=there_if,
                        )
                    )
        return records


@pytest.fixture
def history(engine: Engine, db_url: str) -> list[int]:
    """Four discoveries of r1-r4 (cables r1-r2, r2-r3, r3-r4; the last one pulled before the second
    discovery), the third and fourth of one device each; their snapshot ids."""
    with session_scope(engine) as session:
        for name in ("r1", "r2", "r3", "r4"):
            session.add(
                Device(name=name, host="127.0.0.1", platform="any", tags=[], vars={}, content_hash="0" * 64)
            )
    settings = Settings(database_url=db_url, blocked_plugins=[], topology_timeout_s=2.0)
    cables = Cables()
    cables.cables = {("r1", f"{GI}0/1", "r2", f"{GI}0/1"), ("r2", f"{GI}0/2", "r3", f"{GI}0/1")}
    cables.cables.add(("r3", f"{GI}0/2", "r4", f"{GI}0/1"))
    manager = WardPlugins(settings)
    manager.register(cables, name="cables")
    manager.start()
    ids = []
    with manager as plugins:
        for batch in (["r1", "r2", "r3", "r4"], ["r1", "r2", "r3", "r4"], ["r1"], ["r2"]):
            outcome = discover_batch(
                engine=engine, plugins=plugins, settings=settings, device_names=batch, transport="snmp"
            )
            ids.append(outcome.snapshot_id)
            cables.cables.discard(("r3", f"{GI}0/2", "r4", f"{GI}0/1"))
    return ids


def counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        snapshots = session.scalar(select(func.count()).select_from(TopologySnapshot))
        observations = session.scalar(select(func.count()).select_from(TopologyObservation))
    return int(snapshots or 0), int(observations or 0)


def test_prune_keeps_what_diff_explain_and_the_next_discovery_need(
    engine: Engine, db_url: str, history: list[int]
) -> None:
    s1, s2, s3, s4 = history
    assert counts(engine) == (4, 10)
    future = utcnow() + timedelta(days=1)
    with session_scope(engine) as session:
        dry = prune_topology(session, keep_snapshots=2, observations_before=future, dry_run=True)
    assert (dry.snapshots_deleted, dry.observations_deleted, dry.oldest_kept_snapshot) == (2, 6, s3)
    assert counts(engine) == (4, 10)
    with session_scope(engine) as session:
        done = prune_topology(session, keep_snapshots=2, observations_before=future)
    assert done.to_dict() == {**dry.to_dict(), "dry_run": False}
    assert (done.snapshots_kept, done.observations_kept) == (2, 4)
    assert counts(engine) == (2, 4)
    with session_scope(engine) as session:
        assert load_snapshot(session, s1) is None and load_snapshot(session, s2) is None
        assert previous_snapshot_id(session, s4) == s3
        before, latest = load_snapshot(session, s3), load_snapshot(session, s4)
        newest = dict(
            session.execute(
                select(TopologyObservation.device, func.max(TopologyObservation.run_id)).group_by(
                    TopologyObservation.device
                )
            ).all()
        )
    assert before is not None and latest is not None
    assert diff_snapshots(before, latest).empty
    assert latest.link_set() == {
        Link.between("r1", f"{GI}0/1", "r2", f"{GI}0/1"),
        Link.between("r2", f"{GI}0/2", "r3", f"{GI}0/1"),
    }
    assert {e.reason for e in latest.explanations_of("r3")} == {Reason.TWO_SIDED}
    assert newest["r1"] != newest["r2"] != newest["r3"] == newest["r4"]

    settings = Settings(database_url=db_url, blocked_plugins=[], topology_timeout_s=2.0)
    cables = Cables()
    cables.cables = {("r1", f"{GI}0/1", "r2", f"{GI}0/1"), ("r2", f"{GI}0/2", "r3", f"{GI}0/1")}
    manager = WardPlugins(settings)
    manager.register(cables, name="cables")
    manager.start()
    with manager as plugins:
        outcome = discover_batch(
            engine=engine, plugins=plugins, settings=settings, device_names=["r4"], transport="snmp"
        )
    assert (outcome.links, outcome.two_sided, outcome.added, outcome.removed) == (2, 2, (), ())


def test_the_observations_the_latest_snapshot_rests_on_are_kept_even_when_not_the_newest(
    engine: Engine, history: list[int]
) -> None:
    with session_scope(engine) as session:
        write_observations(
            session,
            [Observation(device="r1", transport="snmp", collected_at=utcnow(), ok=False, error="timed out")],
            None,
        )
    with session_scope(engine) as session:
        report = prune_topology(session, keep_snapshots=1, observations_before=utcnow() + timedelta(days=1))
        kept = session.execute(select(TopologyObservation.device, TopologyObservation.ok)).all()
    assert (report.snapshots_deleted, report.snapshots_kept, report.oldest_kept_snapshot) == (
        3,
        1,
        history[-1],
    )
    assert sorted(kept) == [("r1", False), ("r1", True), ("r2", True), ("r3", True), ("r4", True)]
    assert report.observations_deleted == 6


def test_recent_observations_stay_and_keep_must_be_positive(engine: Engine, history: list[int]) -> None:
    with session_scope(engine) as session:
        report = prune_topology(session, keep_snapshots=10, observations_before=utcnow() - timedelta(days=30))
    assert (report.snapshots_deleted, report.observations_deleted) == (0, 0)
    assert report.oldest_kept_snapshot == history[0]
    with session_scope(engine) as session, pytest.raises(ValueError, match="at least 1"):
        prune_topology(session, keep_snapshots=0, observations_before=utcnow())


def ward(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARD_DATABASE_URL": db_url, "WARD_CONFIG": "/nonexistent/ward.toml"}
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", "topology", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_command_prunes_by_the_settings_and_diff_and_explain_still_answer(
    engine: Engine, db_url: str, history: list[int]
) -> None:
    dry = ward(db_url, "prune", "--dry-run", "--json", "--keep", "2")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["snapshots_deleted"] == 2
    assert counts(engine) == (4, 10)
    done = ward(db_url, "prune", "--keep", "2")
    assert done.returncode == 0, done.stderr
    assert "deleted 2 discoveries" in done.stdout and "0 observations" in done.stdout
    assert counts(engine) == (2, 10)
    diff = ward(db_url, "diff", "--json")
    assert diff.returncode == 0, diff.stderr
    assert (json.loads(diff.stdout)["old"], json.loads(diff.stdout)["new"]) == (history[2], history[3])
    explain = ward(db_url, "explain", "r3", "--json")
    assert explain.returncode == 0, explain.stderr
    assert len(json.loads(explain.stdout)["links"]) == 1
    gone = ward(db_url, "diff", str(history[0]), str(history[3]))
    assert gone.returncode == 2 and "no discovery with id" in gone.stderr
