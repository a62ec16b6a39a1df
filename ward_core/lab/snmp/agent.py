"""SNMP agents for every device of a lab, in one asyncio loop: one UDP socket per device address.

A device costs one socket, one small protocol object and, once it has seen a v3 request, one cached
pair of localised keys. The MIB structure is shared (``device_mib.DEVICE_VIEW``) and every value
is computed from the model when asked for. Faults come from the model too: an unreachable device
is silent, ``auth_fail`` drops v2c requests and fails v3 digests, ``reply_delay_ms`` delays the
answer with ``call_later`` (the loop keeps serving the other devices meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from ward_core.errors import LabError
from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp.ber import BerError
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.credentials import SnmpCredentials
from ward_core.lab.snmp.device_mib import DEVICE_VIEW
from ward_core.lab.snmp.identity import engine_id
from ward_core.lab.snmp.message import (
    VERSION_2C,
    VERSION_3,
    Pdu,
    community_overhead,
    decode_community_message,
    encode_community_message,
    message_version,
)
from ward_core.lab.snmp.responder import respond
from ward_core.lab.snmp.v3 import V3Processor

log = logging.getLogger("ward.lab.snmp")

DEFAULT_MAX_MESSAGE_SIZE = 1472
"""What fits one Ethernet frame over UDP/IPv4; real agents answer GETBULK within a similar cap."""

FILE_DESCRIPTOR_MARGIN = 256


class SnmpSecrets(Protocol):
    """The SNMP part of any lab credentials object (``LabCredentials`` has these fields)."""

    @property
    def community(self) -> str: ...

    @property
    def v3_user(self) -> str: ...

    @property
    def v3_auth_password(self) -> str: ...

    @property
    def v3_priv_password(self) -> str: ...


def as_snmp_credentials(secrets: SnmpCredentials | SnmpSecrets) -> SnmpCredentials:
    """``SnmpCredentials`` as given, or built from lab credentials (SHA authentication)."""
    if isinstance(secrets, SnmpCredentials):
        return secrets
    return SnmpCredentials(
        community=secrets.community,
        v3_user=secrets.v3_user,
        auth_password=secrets.v3_auth_password,
        priv_password=secrets.v3_priv_password,
    )


@dataclass
class AgentStats:
    """What the lab's agents received, for ``ward lab status`` and benchmarks."""

    received: int = 0
    answered: int = 0
    ignored_unreachable: int = 0
    bad_community: int = 0
    bad_version: int = 0
    malformed: int = 0


class _Shared:
    """State shared by all agents of a pool."""

    def __init__(self, network: LabNetwork, credentials: SnmpCredentials, max_message_size: int) -> None:
        self.network = network
        self.community = credentials.community.encode()
        self.max_message_size = max_message_size
        self.v3 = V3Processor(credentials.usm_user(), max_message_size)
        self.stats = AgentStats()


class DeviceAgent(asyncio.DatagramProtocol):
    """The SNMP agent of one device, bound to the device's address."""

    __slots__ = ("_booted_at", "_boots", "_engine_id", "_shared", "device", "transport")

    def __init__(self, shared: _Shared, device: Device) -> None:
        self._shared = shared
        self.device = device
        self._engine_id = engine_id(device)
        self._boots = 1
        self._booted_at = device.booted_at
        self.transport: asyncio.DatagramTransport | None = None

    @property
    def engine_id(self) -> bytes:
        """snmpEngineID, derived from the chassis MAC."""
        return self._engine_id

    @property
    def max_message_size(self) -> int:
        """The largest datagram this agent sends."""
        return self._shared.max_message_size

    def engine_clock(self) -> tuple[int, int]:
        """snmpEngineBoots (one more after each reboot seen in the model) and snmpEngineTime."""
        booted = self.device.booted_at
        if booted != self._booted_at:
            self._booted_at = booted
            self._boots += 1
        return self._boots, max(0, int(self._shared.network.clock() - booted))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        shared = self._shared
        shared.stats.received += 1
        device = self.device
        if not device.reachable:
            shared.stats.ignored_unreachable += 1
            return
        try:
            reply = self.answer(data)
        except (BerError, ValueError, IndexError) as exc:
            shared.stats.malformed += 1
            log.debug("%s: malformed SNMP message from %s: %s", device.name, addr, exc)
            return
        except Exception:
            shared.stats.malformed += 1
            log.exception("%s: failed to answer an SNMP message from %s", device.name, addr)
            return
        if reply is None or self.transport is None:
            return
        shared.stats.answered += 1
        if device.reply_delay_ms > 0:
            asyncio.get_running_loop().call_later(device.reply_delay_ms / 1000, self._send, reply, addr)
        else:
            self.transport.sendto(reply, addr)

    def _send(self, reply: bytes, addr: tuple[str | int, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("%s: SNMP socket error: %s", self.device.name, exc)

    def answer(self, data: bytes) -> bytes | None:
        """The datagram to send back for ``data``, or None for silence."""
        shared = self._shared
        version = message_version(data)
        if version == VERSION_2C:
            message = decode_community_message(data)
            if message.community != shared.community or self.device.auth_fail:
                shared.stats.bad_community += 1
                return None
            budget = shared.max_message_size - community_overhead(message.community)
            pdu = respond(DEVICE_VIEW, DeviceContext(shared.network, self.device, self), message.pdu, budget)
            return None if pdu is None else encode_community_message(VERSION_2C, message.community, pdu)
        if version == VERSION_3:
            boots, time = self.engine_clock()
            return shared.v3.handle(
                data, self._engine_id, boots, time, self._respond, refuse_auth=self.device.auth_fail
            )
        shared.stats.bad_version += 1
        return None

    def _respond(self, pdu: Pdu, budget: int) -> bytes | None:
        return respond(DEVICE_VIEW, DeviceContext(self._shared.network, self.device, self), pdu, budget)


def _factory(agent: DeviceAgent) -> Callable[[], DeviceAgent]:
    return lambda: agent


def ensure_file_limit(needed: int) -> None:
    """Raise the soft open-files limit so ``needed`` more sockets fit; LabError if the hard one is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    descriptors = Path("/proc/self/fd")
    already_open = len(list(descriptors.iterdir())) if descriptors.is_dir() else 0
    wanted = already_open + needed + FILE_DESCRIPTOR_MARGIN
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise LabError(
                f"{needed} SNMP sockets need about {wanted} open files in all but the hard limit is {hard}"
                " (raise it with ulimit -Hn)"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class SnmpAgentPool:
    """The SNMP agents of a lab: ``await start(network, bind_port, credentials)``, then ``await close()``."""

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        if not 484 <= max_message_size <= 65507:
            raise LabError(f"SNMP max message size {max_message_size} is outside 484..65507")
        self.max_message_size = max_message_size
        self.agents: dict[str, DeviceAgent] = {}
        self.port = 0
        self._shared: _Shared | None = None

    @property
    def stats(self) -> AgentStats:
        """Counters since ``start``."""
        return self._shared.stats if self._shared else AgentStats()

    async def start(
        self,
        network: LabNetwork,
        bind_port: int = 161,
        credentials: SnmpCredentials | SnmpSecrets | None = None,
        devices: Iterable[Device] | None = None,
    ) -> None:
        """Bind an agent on ``bind_port`` of every device's address (all devices unless given).

        A failed bind closes what was bound and raises LabError naming the device and address.
        """
        if self.agents:
            raise LabError("the SNMP agents are already started")
        chosen = list(network if devices is None else devices)
        ensure_file_limit(len(chosen))
        secrets = as_snmp_credentials(credentials or SnmpCredentials())
        shared = self._shared = _Shared(network, secrets, self.max_message_size)
        loop = asyncio.get_running_loop()
        self.port = bind_port
        for device in chosen:
            agent = DeviceAgent(shared, device)
            try:
                await loop.create_datagram_endpoint(_factory(agent), local_addr=(device.address, bind_port))
            except OSError as exc:
                await self.close()
                raise LabError(
                    f"SNMP agent of {device.name}: cannot bind UDP {device.address}:{bind_port}:"
                    f" {exc.strerror or exc}"
                ) from exc
            self.agents[device.name] = agent
        log.info("SNMP agents listening on UDP port %d of %d addresses", bind_port, len(self.agents))

    async def close(self) -> None:
        """Close every socket (safe to call twice)."""
        for agent in self.agents.values():
            if agent.transport is not None:
                with contextlib.suppress(RuntimeError):
                    agent.transport.close()
        self.agents.clear()
        await asyncio.sleep(0)
