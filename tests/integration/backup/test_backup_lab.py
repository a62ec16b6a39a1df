"""Configuration backup of the simulated lab over real SSH (netmiko through Nornir), on PostgreSQL.

The module's tests share one 50-device lab and one database; ``baseline`` backs the lab up twice
first, while every log record of the process is captured, so that later tests start from there.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from sqlalchemy import Engine, func, inspect, select, text, update

from ward_core import hookimpl
from ward_core.backup.compliance import compliance_report
from ward_core.backup.expected import expect_change
from ward_core.backup.git_export import export_to_git
from ward_core.backup.options import BackupOptions
from ward_core.backup.outcome import BackupOutcome
from ward_core.backup.queries import diff_versions, freshness, history, stale_devices
from ward_core.backup.rules import templates_root
from ward_core.backup.service import backup_devices
from ward_core.backup.text import changed_lines
from ward_core.config import Settings, load_settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import BackupStatus, ConfigVersion, Device, Run, RunResult
from ward_core.db.types import utcnow
from ward_core.inventory.importer import import_inventory
from ward_core.lab.ios.running_config import TACACS_KEY
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.types import ConfigChange

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

LAB_DEVICES = 50


@dataclass
class LabDb:
    """The lab, the database holding its inventory, and what ward needs to back it up."""

    lab: RunningLab
    url: str
    engine: Engine
    settings: Settings
    plugins: WardPlugins
    tmp: Path

    def connect(self, device: str) -> Any:
        """A netmiko session to a lab device, in privileged mode (as a person would open one)."""
        creds = self.lab.credentials
        session = ConnectHandler(
            device_type="cisco_ios",
            host=self.lab.address(device),
            port=self.lab.ssh_port,
            username=creds.username,
            password=creds.password,
            secret=creds.enable_secret,
            fast_cli=True,
        )
        session.enable()
        return session

    def names(self) -> list[str]:
        """Every lab device name, sorted."""
        return sorted(d["name"] for d in self.lab.devices)


@pytest.fixture(scope="module")
def lab_db(tmp_path_factory: pytest.TempPathFactory, schema_url: str) -> Iterator[LabDb]:
    """A running 50-device lab whose inventory is imported into a migrated PostgreSQL schema."""
    tmp = tmp_path_factory.mktemp("backup")
    with running_lab(tmp / "lab", devices=LAB_DEVICES, ssh_port=14022, snmp_port=14161) as lab:
        inventory = tmp / "lab.yml"
        inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
        settings = load_settings(database_url=schema_url, secrets_file=lab.lab_dir / "secrets.yml")
        engine = get_engine(schema_url)
        upgrade(engine)
        with session_scope(engine) as session:
            import_inventory(inventory, session)
        try:
            with load_plugins(settings) as plugins:
                yield LabDb(lab, schema_url, engine, settings, plugins, tmp)
        finally:
            engine.dispose()


FAST = BackupOptions(timeout_s=10.0, workers=25, per_site=10, retries=0)


class _Records(logging.Handler):
    """Keeps every record, formatted with its traceback, of every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass(eq=False)
class _ChangeRecorder:
    """A plugin that keeps every ``ward_config_changed`` event."""

    changes: list[ConfigChange] = field(default_factory=list)

    @hookimpl
    def ward_config_changed(self, change: ConfigChange) -> None:
        self.changes.append(change)


@dataclass
class Baseline:
    first: BackupOutcome
    second: BackupOutcome
    secrets: set[str]
    logs: _Records
    recorder: _ChangeRecorder


_HASHED = re.compile(r"(?:secret \d|key 7|community) (\S+)")


def _secrets_of(lab_db: LabDb) -> set[str]:
    """Every secret the lab's configurations hold: the plain values and the hashed forms."""
    creds = lab_db.lab.credentials
    found = {
        creds.password,
        creds.enable_secret,
        creds.community,
        creds.v3_auth_password,
        creds.v3_priv_password,
        TACACS_KEY,
    }
    for name in lab_db.names()[:10]:
        session = lab_db.connect(name)
        try:
            raw = session.send_command("show running-config")
        finally:
            session.disconnect()
        hashed = set(_HASHED.findall(raw))
        assert len(hashed) >= 4, f"{name}: expected enable, user, community and TACACS secrets in {raw[:200]}"
        found |= hashed
    return found


def _backup(lab_db: LabDb, names: list[str] | None = None, options: BackupOptions = FAST) -> BackupOutcome:
    return backup_devices(
        engine=lab_db.engine,
        plugins=lab_db.plugins,
        settings=lab_db.settings,
        device_names=names or lab_db.names(),
        options=options,
    )


@pytest.fixture(scope="module")
def baseline(lab_db: LabDb) -> Iterator[Baseline]:
    """Two backups of the whole lab, every log record captured at DEBUG level."""
    recorder = _ChangeRecorder()
    lab_db.plugins.register(recorder, name="change-recorder")
    secrets = _secrets_of(lab_db)
    records = _Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        first = _backup(lab_db)
        second = _backup(lab_db)
        yield Baseline(first, second, secrets, records, recorder)
    finally:
        root.removeHandler(records)
        root.setLevel(old_level)


def _versions(lab_db: LabDb, device: str | None = None) -> int:
    with session_scope(lab_db.engine) as session:
        query = select(func.count()).select_from(ConfigVersion)
        if device is not None:
            query = query.where(ConfigVersion.device == device)
        return int(session.scalar(query) or 0)


def test_two_backups_of_50_devices_make_50_versions(lab_db: LabDb, baseline: Baseline) -> None:
    assert baseline.first.ok, [d.error for d in baseline.first.failed]
    assert len(baseline.first.changed) == LAB_DEVICES
    assert baseline.second.ok, [d.error for d in baseline.second.failed]
    assert len(baseline.second.unchanged) == LAB_DEVICES
    assert baseline.second.changed == ()
    assert _versions(lab_db) == LAB_DEVICES
    with session_scope(lab_db.engine) as session:
        assert {v.change_source for v in session.scalars(select(ConfigVersion))} == {"initial"}
        runs = session.scalars(select(Run).where(Run.kind == "backup").order_by(Run.id)).all()
        assert [r.status for r in runs[:2]] == ["succeeded", "succeeded"]
        assert runs[1].summary["unchanged"] == LAB_DEVICES
        statuses = session.scalars(
            select(RunResult.status).where(RunResult.run_id == baseline.second.run_id)
        ).all()
        assert sorted(set(statuses)) == ["ok"] and len(statuses) == LAB_DEVICES
    # the first backup of every device is an event, the second run none
    assert len(baseline.recorder.changes) == LAB_DEVICES
    assert all(c.previous_revision is None for c in baseline.recorder.changes)


def test_a_change_over_ssh_makes_one_version_whose_diff_is_that_change(
    lab_db: LabDb, baseline: Baseline
) -> None:
    device = lab_db.names()[0]
    before = _versions(lab_db)
    events = len(baseline.recorder.changes)
    session = lab_db.connect(device)
    try:
        interface = re.findall(r"^interface (\S+)", session.send_command("show running-config"), re.M)[1]
        session.send_config_set([f"interface {interface}", "description changed by test"])
    finally:
        session.disconnect()

    outcome = _backup(lab_db)
    assert outcome.ok, [d.error for d in outcome.failed]
    assert [d.device for d in outcome.changed] == [device]
    assert _versions(lab_db) == before + 1

    with session_scope(lab_db.engine) as db:
        newest, previous = history(db, device)[:2]
        diff = diff_versions(db, previous, newest)
    added, removed = changed_lines(diff)
    assert added == [" description changed by test"]
    assert removed == [] or (len(removed) == 1 and removed[0].startswith(" description "))
    assert newest.change_source == "other"
    assert newest.changed_by == lab_db.lab.credentials.username
    assert newest.device_changed_at
    assert (newest.lines_added, newest.lines_removed) == (1, len(removed))

    [change] = baseline.recorder.changes[events:]
    assert (change.device, change.revision, change.previous_revision) == (
        device,
        newest.digest,
        previous.digest,
    )
    assert change.remediation is None
    assert changed_lines(change.diff) == (added, removed)


def test_a_change_a_remediation_announced_is_attributed_to_it(lab_db: LabDb, baseline: Baseline) -> None:
    device = lab_db.names()[1]
    with session_scope(lab_db.engine) as db:
        expect_change(db, device=device, remediation="remediation-run-17")
    session = lab_db.connect(device)
    try:
        session.send_config_set(["logging host 192.0.2.50"])
    finally:
        session.disconnect()
    outcome = _backup(lab_db, [device, lab_db.names()[2]])
    [changed] = outcome.changed
    assert (changed.device, changed.remediation) == (device, "remediation-run-17")
    assert baseline.recorder.changes[-1].remediation == "remediation-run-17"
    with session_scope(lab_db.engine) as db:
        newest = history(db, device)[0]
    assert (newest.change_source, newest.remediation) == ("remediation", "remediation-run-17")

    # the announcement is used up: the next change is someone else's
    session = lab_db.connect(device)
    try:
        session.send_config_set(["no logging host 192.0.2.50"])
    finally:
        session.disconnect()
    [again] = _backup(lab_db, [device]).changed
    assert again.remediation is None
    with session_scope(lab_db.engine) as db:
        assert history(db, device)[0].change_source == "other"


def test_no_secret_reaches_the_database_the_logs_or_the_git_export(lab_db: LabDb, baseline: Baseline) -> None:
    secrets = baseline.secrets
    assert len(secrets) > 20

    leaks: list[str] = []
    with lab_db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert {"config_blobs", "config_versions", "backup_status", "runs", "run_results"} <= set(tables)
        for table in tables:
            for (row,) in conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')):
                leaks += [f"{table}: {s}" for s in secrets if s in row]
        stored = conn.execute(text("SELECT text FROM config_blobs LIMIT 1")).scalar_one()
    assert "<redacted:enable-secret>" in stored and "<redacted:snmp-community>" in stored
    assert leaks == []

    log_text = "\n".join(baseline.logs.lines)
    assert "backup run" in log_text
    assert [s for s in secrets if s in log_text] == []

    repo = lab_db.tmp / "git-export"
    with session_scope(lab_db.engine) as db:
        exported = export_to_git(db, repo)
        assert exported.commits == _versions(lab_db)
    git = shutil.which("git")
    assert git is not None
    everything = subprocess.run(
        [git, "-C", str(repo), "log", "-p", "--all"], capture_output=True, text=True, check=True
    ).stdout
    files = "".join(p.read_text() for p in repo.rglob("*.cfg"))
    assert len(list(repo.rglob("*.cfg"))) == LAB_DEVICES
    assert "<redacted:user-secret>" in files
    assert [s for s in secrets if s in everything or s in files] == []


def test_a_drifted_device_is_noncompliant_with_the_fix_and_compliant_once_applied(
    lab_db: LabDb, baseline: Baseline
) -> None:
    device = lab_db.names()[5]
    with session_scope(lab_db.engine) as db:
        before = compliance_report(db, lab_db.plugins, lab_db.settings)
    assert before.totals() == {"compliant": LAB_DEVICES}, [
        (d.device, d.status, d.remediation, [f.error for f in d.features if f.error])
        for d in before.devices
        if d.status != "compliant"
    ]

    lab_db.lab.ward("lab", "fault", device, "config-drift")
    assert [d.device for d in _backup(lab_db, [device]).changed] == [device]
    with session_scope(lab_db.engine) as db:
        drifted = compliance_report(db, lab_db.plugins, lab_db.settings, [device]).by_device()[device]
    assert drifted.status == "non-compliant"
    assert [(f.feature, f.remediation) for f in drifted.features if f.status != "compliant"] == [
        ("services", ("no ip http server",))
    ]

    session = lab_db.connect(device)
    try:
        session.send_config_set(list(drifted.remediation))
    finally:
        session.disconnect()
    assert [d.device for d in _backup(lab_db, [device]).changed] == [device]
    with session_scope(lab_db.engine) as db:
        fixed = compliance_report(db, lab_db.plugins, lab_db.settings, [device]).by_device()[device]
        assert fixed.status == "compliant"
        assert fixed.remediation == ()
        # the fix brought the text back to the version before the drift
        newest, drifted_version, original = history(db, device)[:3]
        assert newest.digest == original.digest != drifted_version.digest


def test_dead_slow_and_refusing_devices_fail_with_their_reason_without_holding_the_others(
    lab_db: LabDb, baseline: Baseline
) -> None:
    names = lab_db.names()[10:30]
    down, refusing, slow = names[0], names[1], names[2]
    lab_db.lab.ward("lab", "fault", down, "down")
    lab_db.lab.ward("lab", "fault", refusing, "auth-fail")
    lab_db.lab.ward("lab", "fault", slow, "slow", "6000")
    try:
        outcome = _backup(lab_db, names, BackupOptions(timeout_s=2.0, workers=25, per_site=10, retries=0))
    finally:
        for name in (down, refusing, slow):
            lab_db.lab.ward("lab", "fault", name, "clear")
    by = outcome.by_device()
    assert {n: (by[n].status, by[n].reason) for n in (down, refusing, slow)} == {
        down: ("failed", "unreachable"),
        refusing: ("failed", "auth"),
        slow: ("failed", "timeout"),
    }
    assert by[slow].error and "2 s" in by[slow].error
    healthy = [by[n] for n in names[3:]]
    assert all(d.status == "unchanged" for d in healthy), [(d.device, d.error) for d in healthy]
    assert max(d.duration_s for d in healthy) < 2.0
    assert outcome.collect_s < 2.0 + 3.0
    with session_scope(lab_db.engine) as db:
        status = db.get(BackupStatus, slow)
        assert status is not None
        assert (status.last_failure_reason, status.consecutive_failures) == ("timeout", 1)
        assert status.last_success_at is not None and status.last_success_at < status.last_failure_at  # type: ignore[operator]
        failed_rows = db.scalars(
            select(RunResult).where(RunResult.run_id == outcome.run_id, RunResult.status == "failed")
        ).all()
        assert sorted(r.device for r in failed_rows) == sorted([down, refusing, slow])
        assert all(r.error for r in failed_rows)

    again = _backup(lab_db, [down, refusing, slow])
    assert again.ok, [d.error for d in again.failed]


def test_a_refused_backup_command_is_recorded_as_rejected(lab_db: LabDb, baseline: Baseline) -> None:
    templates = lab_db.tmp / "templates-rejected"
    shutil.copytree(templates_root(lab_db.settings), templates)
    rules = templates / "cisco_ios" / "backup.yaml"
    rules.write_text(
        rules.read_text().replace("  - show running-config\n", "  - show running-config\n  - show bogus\n")
    )
    settings = load_settings(
        database_url=lab_db.url, secrets_file=lab_db.settings.secrets_file, templates_dir=templates
    )
    device = lab_db.names()[40]
    with load_plugins(settings) as plugins:
        outcome = backup_devices(
            engine=lab_db.engine, plugins=plugins, settings=settings, device_names=[device], options=FAST
        )
    [result] = outcome.devices
    assert (result.status, result.reason) == ("failed", "rejected")
    assert result.error is not None and "'show bogus' refused: % Invalid input detected" in result.error


def test_freshness_follows_each_devices_interval(lab_db: LabDb, baseline: Baseline) -> None:
    device = lab_db.names()[45]
    with session_scope(lab_db.engine) as db:
        assert stale_devices(db, default_interval_s=3600) == []
        later = utcnow() + timedelta(hours=2)
        assert len(stale_devices(db, default_interval_s=3600, now=later)) == LAB_DEVICES
        row = db.scalars(select(Device).where(Device.name == device)).one()
        db.execute(
            update(Device).where(Device.id == row.id).values(vars={**row.vars, "backup_interval_s": 60})
        )
    with session_scope(lab_db.engine) as db:
        soon = utcnow() + timedelta(minutes=5)
        assert [f.device for f in stale_devices(db, default_interval_s=3600, now=soon)] == [device]
        every = {f.device: f for f in freshness(db, default_interval_s=3600, now=soon)}
        assert every[device].interval_s == 60 and every[device].stale
        assert every[lab_db.names()[0]].interval_s == 3600 and not every[lab_db.names()[0]].stale


def test_a_template_error_names_template_line_and_variable_and_the_report_goes_on(
    lab_db: LabDb, baseline: Baseline
) -> None:
    templates = lab_db.tmp / "templates-broken"
    shutil.copytree(templates_root(lab_db.settings), templates)
    snmp = templates / "cisco_ios" / "intended" / "snmp.j2"
    snmp.write_text(snmp.read_text().replace("{{ site.name }}", "{{ vars.rack }}"))
    target = lab_db.names()[20]
    with session_scope(lab_db.engine) as db:
        for row in db.scalars(select(Device).where(Device.name != target)):
            row.vars = {**row.vars, "rack": row.site.name if row.site else "none"}
    settings = load_settings(database_url=lab_db.url, templates_dir=templates)
    with session_scope(lab_db.engine) as db:
        report = compliance_report(db, lab_db.plugins, settings)
    broken = report.by_device()[target]
    assert broken.status == "error"
    snmp_result = broken.feature("snmp")
    assert snmp_result.status == "error"
    assert snmp_result.error is not None
    assert f"{snmp}:3: device {target!r}: undefined variable 'rack'" in snmp_result.error
    assert broken.feature("services").status == "compliant"
    others = [d for d in report.devices if d.device != target]
    assert len(others) == LAB_DEVICES - 1
    assert all(d.feature("snmp").status == "compliant" for d in others)


def _cli(lab_db: LabDb, *args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from ward_core.cli import app

    env = {
        "WARD_DATABASE_URL": lab_db.url,
        "WARD_SECRETS_FILE": str(lab_db.settings.secrets_file),
        "WARD_CONFIG": str(lab_db.tmp / "no-ward.toml"),
    }
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_the_configs_and_compliance_commands(lab_db: LabDb, baseline: Baseline) -> None:
    import json

    site = lab_db.lab.devices[-1]["site"]
    in_site = sorted(d["name"] for d in lab_db.lab.devices if d["site"] == site)
    code, out = _cli(lab_db, "configs", "backup", "--limit", f"site:{site}", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert sorted(r["device"] for r in report["results"]) == in_site
    assert report["failed"] == 0

    code, out = _cli(lab_db, "configs", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == LAB_DEVICES
    assert all(len(v["digest"]) == 64 and v["versions"] >= 1 for v in listed)

    device = lab_db.names()[0]
    code, out = _cli(lab_db, "configs", "history", device, "--json")
    versions = json.loads(out)
    assert code == 0 and len(versions) == 2 and versions[0]["changed_by"] == "ward"

    code, out = _cli(lab_db, "configs", "diff", device)
    assert code == 0 and "+ description changed by test" in out
    code, out = _cli(
        lab_db, "configs", "diff", device, str(versions[1]["id"]), versions[0]["digest"][:8], "--json"
    )
    assert code == 0 and changed_lines(json.loads(out)["diff"])[0] == [" description changed by test"]

    code, out = _cli(lab_db, "configs", "show", device, "--version", str(versions[1]["id"]))
    assert code == 0 and out.startswith("!") and "description changed by test" not in out
    assert f"hostname {device}" in out

    code, out = _cli(lab_db, "configs", "show", device, "--version", "999999")
    assert code == 2

    code, out = _cli(lab_db, "configs", "stale", "--json")
    assert code == 0 and json.loads(out) == []

    repo = lab_db.tmp / "cli-export"
    code, out = _cli(lab_db, "configs", "export-git", str(repo), "--json")
    assert code == 0 and json.loads(out)["commits"] == _versions(lab_db)
    code, out = _cli(lab_db, "configs", "export-git", str(repo), "--json")
    assert code == 0 and json.loads(out)["commits"] == 0

    code, out = _cli(lab_db, "compliance", "report", "--limit", f"site:{site}", "--json")
    assert code == 0, out
    judged = json.loads(out)
    assert judged["totals"] == {"compliant": len(in_site)}
    assert set(judged["features"]) >= {"services", "snmp", "aaa", "lines"}
