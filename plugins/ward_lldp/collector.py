"""Reading one device's LLDP-MIB and CISCO-CDP-MIB over SNMP, in one session.

One GET reads lldpLocalSystemData's chassis ID and name and cdpGlobalRun; then lldpLocPortTable,
IF-MIB ifName, lldpRemTable and lldpRemManAddrTable are each walked by GETBULK over their whole
subtree, and cdpCacheTable one needed column at a time (:data:`ward_lldp.oids.CDP_COLUMNS`:
device ID, address type and address, device port, platform, capabilities; the long version text
and the rest are never read). CDP is skipped when cdpGlobalRun says false(2); when the agent does
not serve cdpGlobalRun (an agent without CISCO-CDP-MIB, such as lldpd's), only cdpCacheDeviceId
is walked, and the other columns only if it has rows, so such an agent costs one extra request.
Once cdpCacheDeviceId gave the number of rows, each other column is asked for with
max-repetitions one past it, so it comes back in one response without the long cdpCacheVersion
texts of the next columns. IF-MIB ifDescr is walked only when a CDP row names an ifIndex ifName
lacks. Everything is turned into records (:mod:`ward_lldp.tables`, :mod:`ward_lldp.cdp_tables`).

LLDP and CDP share the session, the attempts and the deadline: the whole device is bounded by
``timeout_s``, and a request lost on the way (gufo-snmp does not retry) restarts the attempt
while time is left. A device is refused only when it serves no LLDP-MIB and does not run CDP
(both protocols off or absent: its neighbours are unknown, not none), as the SSH collector
refuses a device that rejects both ``show`` commands.

Errors are translated once, here, into ward's: no answer is
:class:`~ward_core.errors.DeviceUnreachable` (a wrong community looks the same: SNMP agents do
not answer those), a v3 authentication refusal :class:`~ward_core.errors.AuthenticationFailed`,
an agent without either MIB or with a looping table :class:`~ward_core.errors.CommandRejected`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from gufo.snmp import SnmpAuthError, SnmpError, ValueType
from gufo.snmp.aio import SnmpSession

from ward_core.errors import AuthenticationFailed, CommandRejected, DeviceUnreachable
from ward_core.snmp_sessions import SessionFactory, resolve_address
from ward_core.types import DeviceTarget, NeighbourRecord
from ward_lldp import oids
from ward_lldp.cdp_tables import cdp_records, missing_interfaces
from ward_lldp.tables import Walked, neighbour_records

MAX_ROWS = 100_000
"""A walk returning more rows than this is an agent looping, not a table."""

PLUGIN = "lldp"

MAX_ATTEMPTS = 3
"""Attempts at one device (gufo-snmp does not retry a lost request itself)."""

MAX_REPETITIONS = 50
"""GETBULK max-repetitions: the session's default, and the most any one column walk asks for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectSettings:
    """``timeout_s`` bounds one device; each request waits ``request_timeout_s`` for its answer."""

    timeout_s: float = 30.0
    request_timeout_s: float = 2.0
    max_repetitions: int = MAX_REPETITIONS


class LoopingAgent(Exception):
    """The agent returned OIDs out of order or without end."""


async def walk(
    session: SnmpSession, subtree: str, max_repetitions: int | None = None
) -> dict[str, ValueType]:
    """Every value under ``subtree`` by OID suffix; LoopingAgent when the agent goes backwards.

    ``max_repetitions`` overrides the session's, to fetch a column whose length is known in one
    response that ends just past it.
    """
    prefix = subtree + "."
    found: dict[str, ValueType] = {}
    last: tuple[int, ...] = ()
    async for oid, value in session.getbulk(subtree, max_repetitions=max_repetitions):
        if not oid.startswith(prefix):
            break
        suffix = oid[len(prefix) :]
        try:
            position = tuple(int(arc) for arc in suffix.split("."))
        except ValueError as exc:
            raise LoopingAgent(f"{oid} is not a numeric OID") from exc
        if position <= last or len(found) >= MAX_ROWS:
            raise LoopingAgent(f"{subtree}: the agent returned {oid} out of order or without end")
        found[suffix] = value
        last = position
    return found


async def _read_cdp(session: SnmpSession, walked: Walked) -> None:
    run = walked.cdp_run
    if run == oids.CDP_FALSE:
        return
    first, *others = oids.CDP_COLUMNS
    walked.cdp_cache[first] = await walk(session, oids.cdp_column(first))
    if run is None and not walked.cdp_cache[first]:
        return
    rows = len(walked.cdp_cache[first]) + 1
    for column in others:
        walked.cdp_cache[column] = await walk(session, oids.cdp_column(column), min(rows, MAX_REPETITIONS))
    if missing_interfaces(walked):
        walked.if_descrs = await walk(session, oids.IF_DESCR)


async def _read(session: SnmpSession) -> Walked:
    walked = Walked()
    walked.scalars = await session.get_many([*oids.LOC_SCALARS, oids.CDP_GLOBAL_RUN])
    walked.loc_ports = await walk(session, oids.LOC_PORT_ENTRY)
    walked.if_names = await walk(session, oids.IF_NAME)
    walked.remotes = await walk(session, oids.REM_ENTRY)
    walked.man_addrs = await walk(session, oids.REM_MAN_ADDR_ENTRY)
    await _read_cdp(session, walked)
    return walked


async def _attempt(
    device: DeviceTarget, sessions: SessionFactory, settings: CollectSettings, timeout: float
) -> Walked:
    target = sessions.target(device)
    address = await resolve_address(target.host, target.port)
    session = target.open(address, timeout=timeout, max_repetitions=settings.max_repetitions)
    async with session:
        return await _read(session)


async def collect_device(
    device: DeviceTarget, sessions: SessionFactory, settings: CollectSettings
) -> list[NeighbourRecord]:
    """The LLDP and CDP neighbours ``device``'s agent reports, as records (LLDP first)."""
    deadline = time.monotonic() + settings.timeout_s
    attempts = 0
    while True:
        attempts += 1
        left = max(deadline - time.monotonic(), 0.01)
        try:
            walked = await asyncio.wait_for(
                _attempt(device, sessions, settings, min(settings.request_timeout_s, left)), timeout=left
            )
            break
        except TimeoutError:
            if attempts < MAX_ATTEMPTS and deadline - time.monotonic() > settings.request_timeout_s:
                continue
            port = device.snmp.port if device.snmp else 161
            raise DeviceUnreachable(
                f"no complete SNMP answer from {device.host}:{port} within {settings.timeout_s:g} s "
                f"({attempts} attempt{'s' if attempts > 1 else ''}; a wrong community looks the same)",
                device=device.name,
                plugin=PLUGIN,
            ) from None
        except SnmpAuthError as exc:
            raise AuthenticationFailed(
                f"SNMPv3 authentication refused: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
        except (SnmpError, LoopingAgent) as exc:
            raise CommandRejected(
                f"the agent answered badly: {type(exc).__name__}: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
        except OSError as exc:
            raise DeviceUnreachable(
                f"{type(exc).__name__}: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
    if not walked.serves_lldp and not walked.runs_cdp:
        cdp = (
            "and CDP is disabled (cdpGlobalRun is false)"
            if walked.cdp_run == oids.CDP_FALSE
            else "nor CISCO-CDP-MIB (cdpGlobalRun and cdpCacheTable are empty)"
        )
        raise CommandRejected(
            f"the agent serves no LLDP-MIB (lldpLocalSystemData and lldpRemTable are empty) {cdp}",
            device=device.name,
            plugin=PLUGIN,
        )
    return neighbour_records(device.name, walked) + cdp_records(device.name, walked)
