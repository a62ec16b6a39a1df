"""Reading one device's LLDP-MIB over SNMP: a GET and four table walks in one session.

Reads lldpLocalSystemData's chassis ID and name, lldpLocPortTable, IF-MIB ifName,
lldpRemTable and lldpRemManAddrTable, each walked by GETBULK over its whole subtree, and turns
them into records (:mod:`ward_lldp.tables`). The whole device is bounded by ``timeout_s``; a
request lost on the way (gufo-snmp does not retry) is retried while time is left.

Errors are translated once, here, into ward's: no answer is
:class:`~ward_core.errors.DeviceUnreachable` (a wrong community looks the same: SNMP agents do
not answer those), a v3 authentication refusal :class:`~ward_core.errors.AuthenticationFailed`,
an agent without LLDP-MIB or with a looping table :class:`~ward_core.errors.CommandRejected`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from gufo.snmp import SnmpAuthError, SnmpError, ValueType
from gufo.snmp.aio import SnmpSession

from ward_core.errors import AuthenticationFailed, CommandRejected, DeviceUnreachable
from ward_core.types import DeviceTarget, NeighbourRecord
from ward_lldp import oids
from ward_lldp.sessions import Sessions, resolve_address
from ward_lldp.tables import Walked, neighbour_records

MAX_ROWS = 100_000
"""A walk returning more rows than this is an agent looping, not a table."""

PLUGIN = "lldp"

MAX_ATTEMPTS = 3
"""Attempts at one device (gufo-snmp does not retry a lost request itself)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectSettings:
    """``timeout_s`` bounds one device; each request waits ``request_timeout_s`` for its answer."""

    timeout_s: float = 30.0
    request_timeout_s: float = 2.0
    max_repetitions: int = 50


class LoopingAgent(Exception):
    """The agent returned OIDs out of order or without end."""


async def walk(session: SnmpSession, subtree: str) -> dict[str, ValueType]:
    """Every value under ``subtree`` by OID suffix; LoopingAgent when the agent goes backwards."""
    prefix = subtree + "."
    found: dict[str, ValueType] = {}
    last: tuple[int, ...] = ()
    async for oid, value in session.getbulk(subtree):
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


async def _read(session: SnmpSession) -> Walked:
    walked = Walked()
    walked.scalars = await session.get_many(list(oids.LOC_SCALARS))
    walked.loc_ports = await walk(session, oids.LOC_PORT_ENTRY)
    walked.if_names = await walk(session, oids.IF_NAME)
    walked.remotes = await walk(session, oids.REM_ENTRY)
    walked.man_addrs = await walk(session, oids.REM_MAN_ADDR_ENTRY)
    return walked


async def _attempt(
    device: DeviceTarget, sessions: Sessions, settings: CollectSettings, timeout: float
) -> Walked:
    snmp = device.snmp
    address = await resolve_address(device.host, snmp.port if snmp else 161)
    session = sessions.open(device, address, timeout=timeout, max_repetitions=settings.max_repetitions)
    async with session:
        return await _read(session)


async def collect_device(
    device: DeviceTarget, sessions: Sessions, settings: CollectSettings
) -> list[NeighbourRecord]:
    """The LLDP neighbours ``device``'s agent reports, as records."""
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
    if not walked.scalars and not walked.loc_ports and not walked.remotes:
        raise CommandRejected(
            "the agent serves no LLDP-MIB (lldpLocalSystemData and lldpRemTable are empty)",
            device=device.name,
            plugin=PLUGIN,
        )
    return neighbour_records(device.name, walked)
