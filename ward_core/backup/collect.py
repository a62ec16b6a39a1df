"""Collecting configurations over SSH: Nornir's inventory is ward's (``WardInventory``), sessions are
nornir-netmiko's, the runner is :class:`~ward_core.backup.runner.SiteCappedRunner`.

Each device gets a time budget (``BackupOptions.timeout_s``): netmiko's connect, banner, login and
read timeouts are set to it, and a watchdog cuts the session when the whole attempt outlives it, so
a device that answers slowly fails with reason ``timeout`` instead of holding its thread. Netmiko
sessions are created unconnected (``auto_connect=False``) and opened under the watchdog, so the
prompt detection and paging set-up of a slow device are cut as well. Failures
are data (:class:`Collected` with a :class:`~ward_core.backup.failures.BackupFailure`), never
exceptions, and one device's failure never touches another's session.

The collected text is raw, secrets included: it lives in memory only until the service has
redacted it. Nothing here logs it, and netmiko's DEBUG channel trace, which echoes everything the
device sends, is filtered out of the ``netmiko`` logger while ward collects (see
:class:`ChannelTraceFilter`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import ConnectionOptions, Host
from nornir.core.task import Result, Task
from nornir_netmiko.connections import CONNECTION_NAME

from ward_core.backup.failures import RETRYABLE, BackupFailure, failure_of
from ward_core.backup.options import BackupOptions
from ward_core.backup.runner import SiteCappedRunner
from ward_core.backup.text import rejection
from ward_core.config import Settings
from ward_core.db.types import utcnow
from ward_core.errors import AuthenticationFailed, CommandRejected, DeviceTimeout

log = logging.getLogger(__name__)

TASK_NAME = "ward-config-backup"
NOT_IN_INVENTORY = "not in the inventory any more"


@dataclass(frozen=True, slots=True)
class CommandPlan:
    """What to run on one device: the commands, and the output lines that mean "refused"."""

    commands: tuple[str, ...]
    rejected: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Collected:
    """What collecting one device gave: the raw text (``repr`` hides it) or the failure."""

    device: str
    text: str | None = field(repr=False)
    failure: BackupFailure | None
    started_at: datetime
    duration_s: float
    attempts: int

    @property
    def ok(self) -> bool:
        """True when the text was collected."""
        return self.failure is None


class ChannelTraceFilter(logging.Filter):
    """Drops netmiko's DEBUG records: they echo the device's output, configuration and all."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_TRACE_FILTER = ChannelTraceFilter()


def quiet_channel_trace() -> None:
    """Install :class:`ChannelTraceFilter` on the ``netmiko`` logger (once)."""
    logger = logging.getLogger("netmiko")
    if _TRACE_FILTER not in logger.filters:
        logger.addFilter(_TRACE_FILTER)


class _Watchdog:
    """Cuts a device's session when its attempt outlives the budget."""

    def __init__(self, host: Host, budget_s: float) -> None:
        self.expired = threading.Event()
        self._host = host
        self._timer = threading.Timer(budget_s, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.expired.set()
        connection = self._host.connections.get(CONNECTION_NAME)
        if connection is None:
            return
        session: Any = connection.connection
        try:
            session.remote_conn_pre.close()
        except Exception:
            log.debug("closing the SSH client of %s after its deadline failed", self._host.name)
        # netmiko's read loops poll this attribute: without it the next read raises at once.
        session.remote_conn = None


def _prepare(host: Host, options: BackupOptions) -> None:
    """Netmiko's timeouts from the budget; the enable secret WardInventory set is kept."""
    budget = options.timeout_s
    current = host.connection_options.get(CONNECTION_NAME)
    extras = dict(current.extras or {}) if current is not None else {}
    extras.update(
        {
            "fast_cli": True,
            "auto_connect": False,
            "conn_timeout": min(budget, 10.0),
            "banner_timeout": budget,
            "auth_timeout": budget,
            "read_timeout_override": budget,
            "session_timeout": budget,
        }
    )
    host.connection_options[CONNECTION_NAME] = ConnectionOptions(extras=extras)


def _close(host: Host) -> None:
    if CONNECTION_NAME not in host.connections:
        return
    try:
        host.close_connection(CONNECTION_NAME)
    except Exception:
        host.connections.pop(CONNECTION_NAME, None)


def _attempt(task: Task, plan: CommandPlan, budget_s: float) -> str:
    host = task.host
    started = time.monotonic()
    outputs: list[str] = []
    with _Watchdog(host, budget_s) as watchdog:
        try:
            session: Any = host.get_connection(CONNECTION_NAME, task.nornir.config)
            # Created unconnected (auto_connect=False), so the watchdog can cut the login too.
            session._open()
            if watchdog.expired.is_set():
                raise DeviceTimeout(f"login took longer than {budget_s:g} s", device=host.name)
            if not session.check_enable_mode():
                try:
                    session.enable()
                except ValueError as exc:
                    raise AuthenticationFailed(
                        "the device refused the enable secret", device=host.name
                    ) from exc
            for command in plan.commands:
                left = budget_s - (time.monotonic() - started)
                if left <= 0 or watchdog.expired.is_set():
                    break
                output = str(session.send_command(command, read_timeout=left))
                refused = rejection(plan.rejected, output)
                if refused is not None:
                    raise CommandRejected(f"{command!r} refused: {refused}", device=host.name)
                outputs.append(output)
        except Exception:
            if watchdog.expired.is_set():
                raise DeviceTimeout(f"backup took longer than {budget_s:g} s", device=host.name) from None
            raise
        if watchdog.expired.is_set() or len(outputs) < len(plan.commands):
            raise DeviceTimeout(f"backup took longer than {budget_s:g} s", device=host.name)
    return "\n".join(outputs)


def _backup_task(task: Task, plans: Mapping[str, CommandPlan], options: BackupOptions) -> Result:
    """One device, start to end; always a Result whose ``result`` is a :class:`Collected`."""
    host = task.host
    started_at = utcnow()
    clock = time.perf_counter()
    attempts = 0
    failure: BackupFailure | None = None
    text: str | None = None
    problem = host.data.get("credential_error")
    if problem:
        failure = BackupFailure("credentials", str(problem))
    while failure is None or (failure.reason in RETRYABLE and attempts <= options.retries):
        if attempts:
            time.sleep(options.retry_delay_s)
        attempts += 1
        try:
            text = _attempt(task, plans[host.name], options.timeout_s)
            failure = None
            break
        except Exception as exc:
            failure = failure_of(exc, device=host.name)
            log.info("backup attempt %d of %s failed: %s", attempts, host.name, failure.message)
        finally:
            _close(host)
    collected = Collected(
        device=host.name,
        text=text,
        failure=failure,
        started_at=started_at,
        duration_s=time.perf_counter() - clock,
        attempts=attempts,
    )
    return Result(host=host, result=collected)


def _nornir(settings: Settings, database_url: str) -> Nornir:
    return InitNornir(
        inventory={
            "plugin": "WardInventory",
            "options": {"database_url": database_url, "settings": settings, "require_credentials": False},
        },
        logging={"enabled": False},
    )


def collect_configs(
    *,
    settings: Settings,
    database_url: str,
    plans: Mapping[str, CommandPlan],
    options: BackupOptions,
) -> dict[str, Collected]:
    """Collect the devices named in ``plans`` (device name to commands); one entry per device.

    ``database_url`` is the inventory's database (with its password: Nornir opens its own engine).
    """
    if not plans:
        return {}
    quiet_channel_trace()
    nr = _nornir(settings, database_url)
    wanted = set(plans)
    nr = nr.filter(filter_func=lambda host: host.name in wanted)
    for host in nr.inventory.hosts.values():
        _prepare(host, options)
    runner = SiteCappedRunner(num_workers=options.workers, per_site=options.per_site)
    results = nr.with_runner(runner).run(task=_backup_task, name=TASK_NAME, plans=plans, options=options)
    collected: dict[str, Collected] = {}
    for name in plans:
        multi = results.get(name)
        value = multi[0].result if multi else None
        if isinstance(value, Collected):
            collected[name] = value
        else:
            reason = NOT_IN_INVENTORY if multi is None else f"the backup task failed: {multi[0].exception!r}"
            collected[name] = Collected(
                device=name,
                text=None,
                failure=BackupFailure("error", f"{name}: {reason}"),
                started_at=utcnow(),
                duration_s=0.0,
                attempts=0,
            )
    return collected


def collect_one(
    *, settings: Settings, database_url: str, device: str, plan: CommandPlan, options: BackupOptions
) -> Collected:
    """Collect a single device (what ``collect_configs`` does for one)."""
    return collect_configs(
        settings=settings, database_url=database_url, plans={device: plan}, options=options
    )[device]


def plans_for(devices: Sequence[str], plan: CommandPlan) -> dict[str, CommandPlan]:
    """The same plan for every device of ``devices``."""
    return dict.fromkeys(devices, plan)
