"""Alerting: rules over the samples probes write, alerts with a lifecycle, and notifications.

Rule language (:mod:`.grammar`, :mod:`.compiler`)::

    <condition> [by (label, ...)] [for <duration>] [keep_firing_for <duration>]
                [clear when <condition>] [where <inventory filter> | where group "<name>"]

    last(ping.loss_pct) == 100 for 1m keep_firing_for 2m
    avg(ping.loss_pct, 5m) > 10 and avg(ping.rtt_avg_ms, 5m) > 100 for 5m
        where role == "branch-router" and site.region == "west"
    last(if.oper_up{ifname=~"Gi.*"}) == 0 by (ifname) for 2m
    avg(ping.loss_pct, 5m) > 20 clear when avg(ping.loss_pct, 5m) < 5
    nodata(ping.loss_pct, 5m) or spread(ping.rtt_avg_ms[5m]) > 20

Functions (:mod:`.functions`): ``last``, ``avg``, ``min``, ``max``, ``sum``, ``count``, ``rate``,
``delta``, ``nodata`` and what plugins add through ``ward_alert_functions``.

Modules, in the order data flows:

- :mod:`.rulefile` reads YAML rule files and reports every problem as ``file:line:column``;
  :mod:`.rules_store` keeps the loaded set in the database (``ward rules load``);
- :mod:`.plugin` is the ``alerts`` plugin: ``ward_samples_written`` (fired by
  :func:`~ward_core.probes.service.run_probe_batch` after each committed batch) evaluates the rules
  for that batch's devices;
- :mod:`.service` runs an evaluation: :mod:`.window_store` refreshes the series in memory,
  :mod:`.evaluate` computes each rule for all its instances at once (:mod:`.columns`),
  :mod:`.round` applies the lifecycle (:mod:`.lifecycle`), silences (:mod:`.silences`), acks
  (:mod:`.acks`) and topology folding (:mod:`.suppression`), writes history and the outbox;
- :mod:`.dispatch` and :mod:`.outbox` deliver one notice per site per evaluation through the
  notifiers plugins declare (``ward_notify``: webhook, email, logging), with retries;
  :mod:`.publish` puts every transition on Redis (``ward:alerts``).
"""

from __future__ import annotations

from ward_core.alerts.compiler import RuleInvalid, Vocabulary, compile_rule
from ward_core.alerts.rulefile import Checks, RuleDefinition, check_rule_files, read_rule_files
from ward_core.alerts.service import AlertService, EvaluationReport

__all__ = [
    "AlertService",
    "Checks",
    "EvaluationReport",
    "RuleDefinition",
    "RuleInvalid",
    "Vocabulary",
    "check_rule_files",
    "compile_rule",
    "read_rule_files",
]
