"""The module ward loads for the ``alerts`` entry point: alerting wired into the poll path.

``ward_samples_written`` runs after every committed probe batch (``ward poll``, queue workers) and
evaluates the stored rules for that batch's devices; the dispatcher thread then delivers the
notices. The service is built on the first batch, from the settings and plugins ``ward_configure``
handed over, and closed (due notices delivered first) by ``ward_unconfigure``.

``ward_config_changed`` and ``ward_topology_changed`` become ``config.changed`` and
``lldp.link_lost`` markers in the sample store (:mod:`.event_metrics`), then the devices concerned
are evaluated, so rules alert on configuration changes and lost neighbours too.

``ward_alert_fired`` and ``ward_alert_resolved`` propose a firing rule's ``remediation`` through
the approval gate and supersede its pending requests once the alert resolves
(:mod:`.remediate`): the evaluator only announces transitions, and remediation reacts to them
through the same hooks any plugin has. Proposing opens a session to the device (the plan is
made there), so these reactions run in order on one thread of the plugin's own
(:meth:`AlertingState.react`): the probe batch that made an alert fire never waits for a device's
pre-check, and an alert storm cannot stretch a batch past its time limit. ``ward_unconfigure``
lets the queued reactions finish before the process closes its database.

Nothing is evaluated while no rule is loaded; a database without the alert tables (not migrated)
is logged once per batch by the event helper and never stops polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from ward_core.alerts.event_metrics import config_rows, link_rows, write_markers
from ward_core.alerts.publish import publisher_for
from ward_core.alerts.remediate import AlertRemediation
from ward_core.alerts.service import AlertService
from ward_core.alerts.suppression import topology_uplinks
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.config import Settings
from ward_core.db.session import get_engine
from ward_core.hookspecs import hookimpl
from ward_core.plugin_manager import WardPlugins
from ward_core.types import Alert, ConfigChange, SamplesWritten, TopologyChange

log = logging.getLogger(__name__)


class AlertingState:
    """What the plugin keeps between ``ward_configure`` and ``ward_unconfigure``."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.plugins: WardPlugins | None = None
        self.service: AlertService | None = None
        self.remediation: AlertRemediation | None = None
        self._lock = threading.Lock()
        self._remediation_lock = threading.Lock()
        self._reactions: ThreadPoolExecutor | None = None

    def configure(self, settings: Settings, plugins: WardPlugins) -> None:
        """Keep what the service will need; close a service of a previous configuration."""
        self.close()
        self.settings = settings
        self.plugins = plugins

    def get_service(self) -> AlertService:
        """The service, built on first use."""
        with self._lock:
            if self.service is None:
                if self.settings is None or self.plugins is None:
                    raise RuntimeError("the alerts plugin was not configured")
                plugins = self.plugins
                engine = get_engine(self.settings)
                self.service = AlertService(
                    engine,
                    vocabulary=vocabulary_of(plugins),
                    notifiers=plugins.alert_notifiers(),
                    publisher=publisher_for(self.settings),
                    uplinks=topology_uplinks(engine),
                    on_fired=plugins.alert_fired,
                    on_resolved=plugins.alert_resolved,
                )
            return self.service

    def get_remediation(self) -> AlertRemediation:
        """What proposes the rules' remediation, on the service's database; built on first use."""
        service = self.get_service()
        with self._remediation_lock:
            if self.remediation is None or self.remediation.engine is not service.engine:
                assert self.settings is not None and self.plugins is not None
                self.remediation = AlertRemediation(service.engine, self.settings, self.plugins)
            return self.remediation

    def react(self, reaction: Callable[[], object], what: str) -> None:
        """Run ``reaction`` on the reactions thread, after those queued before it; an error is
        logged with ``what``, never raised into the evaluation that announced the alert."""

        def guarded() -> None:
            try:
                reaction()
            except Exception:
                log.exception("alert remediation: %s failed", what)

        with self._remediation_lock:
            if self._reactions is None:
                self._reactions = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="ward-alert-remediation"
                )
            self._reactions.submit(guarded)

    def settle(self, timeout_s: float | None = None) -> None:
        """Wait until every reaction queued so far has run (a process that reads their results
        right after evaluating, such as a test, calls this)."""
        with self._remediation_lock:
            reactions = self._reactions
        if reactions is not None:
            reactions.submit(lambda: None).result(timeout_s)

    def close(self) -> None:
        """Finish the queued reactions, deliver what is due, release the database and Redis."""
        with self._remediation_lock:
            reactions, self._reactions = self._reactions, None
        if reactions is not None:
            reactions.shutdown(wait=True)
        with self._remediation_lock:
            self.remediation = None
        with self._lock:
            service, self.service = self.service, None
        if service is not None:
            service.close()
            service.engine.dispose()


STATE = AlertingState()
"""The plugin's state (a plugin module is loaded once per process)."""


@hookimpl
def ward_configure(settings: Settings, plugins: WardPlugins) -> None:
    """Remember the settings and plugins; the service is built on the first batch."""
    STATE.configure(settings, plugins)


@hookimpl
def ward_samples_written(batch: SamplesWritten) -> None:
    """Evaluate the rules for the devices of ``batch``."""
    service = STATE.get_service()
    report = service.evaluate(batch.devices)
    if report.transitions:
        log.info("alerts after batch %s: %s", batch.batch_id, report.transitions)


@hookimpl
def ward_alert_fired(alert: Alert) -> None:
    """Propose the rule's remediation, when it declares one (recorded on the alert), on the
    reactions thread."""
    remediation, known = STATE.get_remediation(), STATE.get_service().rule(alert.rule)
    STATE.react(lambda: remediation.fired(alert, known=known), f"proposing for {alert.fingerprint}")


@hookimpl
def ward_alert_resolved(alert: Alert) -> None:
    """Expire the pending remediation requests the alert caused (superseded), on the reactions
    thread, after the proposal its firing queued."""
    remediation, known = STATE.get_remediation(), STATE.get_service().rule(alert.rule)
    STATE.react(lambda: remediation.resolved(alert, known=known), f"superseding for {alert.fingerprint}")


@hookimpl
def ward_config_changed(change: ConfigChange) -> None:
    """Record the change as a ``config.changed`` marker and evaluate the device's rules."""
    _record(config_rows(change), change.collected_at)


@hookimpl
def ward_topology_changed(change: TopologyChange) -> None:
    """Record removed links as ``lldp.link_lost`` markers and evaluate both ends' rules."""
    _record(link_rows(change.removed), change.discovered_at)


def _record(rows: list[tuple[str, str, dict[str, str]]], time: datetime) -> None:
    if not rows:
        return
    service = STATE.get_service()
    if write_markers(service.engine, rows, time):
        service.evaluate(sorted({device for device, _, _ in rows}))


@hookimpl
def ward_unconfigure() -> None:
    """Deliver due notices and close the service."""
    STATE.close()
