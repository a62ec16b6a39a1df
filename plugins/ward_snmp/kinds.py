"""The three probe kinds this plugin declares, and the metrics each may report.

Interface counters are reported raw, labelled ``counter_bits`` ``"64"`` (ifXTable) or ``"32"``
(ifTable); ward turns them into the per-second rates their :class:`~ward_core.types.CounterSpec`
names, undoing wraps at that width and skipping the rate across a reboot, which it sees from
``sys.uptime_s`` going backwards.
"""

from __future__ import annotations

from ward_core.types import UPTIME_METRIC, CounterSpec, ProbeKind

SYSTEM = "snmp.system"
INTERFACES = "snmp.interfaces"
RESOURCES = "snmp.resources"
KINDS = (SYSTEM, INTERFACES, RESOURCES)

RESPONSE_MS = "snmp.response_ms"
"""Milliseconds one GET of sysUpTime took to be answered."""

IF_COUNTERS = (
    CounterSpec(metric="if.in_octets", rate_metric="if.in_bps", factor=8.0),
    CounterSpec(metric="if.out_octets", rate_metric="if.out_bps", factor=8.0),
    CounterSpec(metric="if.in_errors", rate_metric="if.in_errors_per_s"),
    CounterSpec(metric="if.out_errors", rate_metric="if.out_errors_per_s"),
    CounterSpec(metric="if.in_discards", rate_metric="if.in_discards_per_s"),
    CounterSpec(metric="if.out_discards", rate_metric="if.out_discards_per_s"),
)
IF_OPER_UP = "if.oper_up"
IF_ADMIN_UP = "if.admin_up"
IF_SPEED_BPS = "if.speed_bps"
IF_GAUGES = (IF_OPER_UP, IF_ADMIN_UP, IF_SPEED_BPS)

CPU_UTIL_PCT = "cpu.util_pct"
MEM_USED_PCT = "mem.used_pct"
MEM_USED_BYTES = "mem.used_bytes"

PROBE_KINDS = (
    ProbeKind(
        name=SYSTEM,
        description=(
            "SNMP sysUpTime (reboots show as the uptime going backwards) and the GET response time; "
            "options timeout (per device attempt), retries, concurrency, params backoff, max_repetitions"
        ),
        metrics=(UPTIME_METRIC, RESPONSE_MS),
    ),
    ProbeKind(
        name=INTERFACES,
        description=(
            "SNMP interface counters (ifXTable 64-bit, ifTable 32-bit where a row has no 64-bit counter), "
            "oper/admin status and speed per interface, labelled ifname and ifindex; plus sysUpTime"
        ),
        metrics=(*(c.metric for c in IF_COUNTERS), *IF_GAUGES, UPTIME_METRIC),
        counters=IF_COUNTERS,
    ),
    ProbeKind(
        name=RESOURCES,
        description=(
            "SNMP CPU and memory use from per-platform OID tables (CISCO-PROCESS/MEMORY-POOL-MIB for "
            "cisco_ios and cisco_xe, HOST-RESOURCES-MIB for any device), extensible by plugins"
        ),
        metrics=(CPU_UTIL_PCT, MEM_USED_PCT, MEM_USED_BYTES),
    ),
)
