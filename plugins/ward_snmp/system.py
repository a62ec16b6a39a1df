"""The ``snmp.system`` poll: one GET of sysUpTime, timed."""

from __future__ import annotations

import time
from collections.abc import Mapping

from gufo.snmp import ValueType
from gufo.snmp.aio import SnmpSession

from ward_core.types import UPTIME_METRIC, Metric
from ward_snmp.kinds import RESPONSE_MS
from ward_snmp.oids import SYS_UPTIME
from ward_snmp.walk import BadAnswer, as_int

TICKS_PER_SECOND = 100


def uptime_metric(values: Mapping[str, ValueType]) -> Metric:
    """``sys.uptime_s`` from a GET answer holding sysUpTime.0 (time ticks, hundredths of a second).

    >>> uptime_metric({SYS_UPTIME: 123456})
    Metric(name='sys.uptime_s', value=1234.56, labels={})
    >>> uptime_metric({})
    Traceback (most recent call last):
    ...
    ward_snmp.walk.BadAnswer: no sysUpTime.0 (1.3.6.1.2.1.1.3.0) in the answer
    """
    value = values.get(SYS_UPTIME)
    ticks = as_int(value)
    if ticks is None:
        what = "no sysUpTime.0" if value is None else f"sysUpTime.0 is {type(value).__name__} {value!r:.40}"
        raise BadAnswer(f"{what} ({SYS_UPTIME}) in the answer")
    return Metric(UPTIME_METRIC, ticks / TICKS_PER_SECOND)


async def poll_system(session: SnmpSession) -> list[Metric]:
    """``sys.uptime_s`` and ``snmp.response_ms`` (the time the GET took to be answered)."""
    started = time.perf_counter()
    values = await session.get_many([SYS_UPTIME])
    elapsed_ms = (time.perf_counter() - started) * 1000
    return [uptime_metric(values), Metric(RESPONSE_MS, round(elapsed_ms, 3))]
