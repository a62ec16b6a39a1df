"""Ward's SNMP plugin: interface, system and resource probes on gufo-snmp; SET and traps on pysnmp.

Probe kinds (see :mod:`ward_snmp.kinds` for the metrics):

- ``snmp.system``: sysUpTime (ward detects reboots from it going backwards) and the response time;
- ``snmp.interfaces``: per interface the raw octet, error and discard counters (64-bit ifXTable
  counters, 32-bit ifTable ones only where a row has none), oper/admin status and speed;
- ``snmp.resources``: CPU and memory from per-platform OID tables that any plugin can extend
  through the ``ward_snmp_resource_oids`` hook (:mod:`ward_snmp.hookspecs`).

A batch runs in one asyncio loop (:mod:`ward_snmp.batch`): at most ``concurrency`` devices in flight,
one gufo-snmp session per device attempt (never shared), each attempt bounded by ``timeout``,
timeouts retried with exponential backoff and jitter (:mod:`ward_snmp.retry`). SNMP v2c and v3
(noAuthNoPriv, authNoPriv, authPriv) are read from the device's
:class:`~ward_core.types.SnmpTarget`; secrets come from ward's credential resolver
(:mod:`ward_core.snmp_sessions`, shared with the ``lldp`` neighbour collector).

What gufo-snmp cannot do runs on pysnmp, imported only when used: :mod:`ward_snmp.setter` (SNMP
SET) and :mod:`ward_snmp.traps` (a v1/v2c trap and inform receiver). OIDs are numeric throughout
(Debian ships no MIB files); :mod:`ward_snmp.oids` names the ones ward uses.
:mod:`ward_snmp.testing` starts real net-snmp ``snmpd`` agents for tests and benchmarks.
"""

PLUGIN = "snmp"
"""The plugin's name: its entry-point name, used in errors and to block it."""
