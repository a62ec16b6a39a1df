"""A trap and inform receiver: asyncio, SNMP v1/v2c on a configurable UDP port, events to a callback.

::

    async def on_trap(event: TrapEvent) -> None:
        ...  # event.kind == "linkDown", event.sender, event.if_name, event.oper_up

    async with TrapReceiver(on_trap, communities=["traps"], host="0.0.0.0", port=162) as receiver:
        ...  # receiver.address, receiver.stats

A datagram whose community is not accepted is dropped (counted in ``stats``), as is one that does
not decode; neither reaches the callback. Informs are acknowledged once their community is
accepted, before the callback runs. The callback may be a plain function or a coroutine function;
one that raises is logged and the receiver goes on. Events are handed over in arrival order;
coroutine callbacks run as tasks, so a slow one does not hold up the socket.

Communities are secrets: :func:`communities_from` reads them from credentials (field
``community``) by name, as the rest of ward does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from types import TracebackType

from ward_core.errors import ConfigError
from ward_core.inventory.credentials import CredentialResolver
from ward_snmp.trap_decode import MalformedTrap, TrapEvent, decode, event_of

TrapCallback = Callable[[TrapEvent], Awaitable[None] | None]
"""What the receiver hands each accepted event to."""

log = logging.getLogger("ward.snmp.traps")


def communities_from(resolver: CredentialResolver, names: Iterable[str]) -> list[str]:
    """The ``community`` of each credential in ``names`` (CredentialError naming one without)."""
    found = []
    for name in names:
        credential = resolver.resolve(name, require=("community",))
        assert credential.community is not None
        found.append(credential.community.reveal())
    return found


@dataclass(slots=True)
class TrapStats:
    """What the receiver has seen since it started."""

    received: int = 0
    accepted: int = 0
    wrong_community: int = 0
    malformed: int = 0
    informs_acknowledged: int = 0
    callback_errors: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: TrapReceiver) -> None:
        self._receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self._receiver._handle(data, str(addr[0]), int(str(addr[1])))


class TrapReceiver:
    """Listens on ``host``:``port`` (port 0: any free port, see :attr:`address`) while open."""

    def __init__(
        self,
        callback: TrapCallback,
        *,
        communities: Collection[str],
        host: str = "0.0.0.0",
        port: int = 162,
    ) -> None:
        if not communities:
            raise ConfigError("the trap receiver needs at least one accepted community")
        if not 0 <= port <= 65535:
            raise ConfigError(f"trap receiver port {port} is outside 0-65535")
        self._callback = callback
        self._communities = frozenset(c.encode() for c in communities)
        self._host = host
        self._port = port
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = TrapStats()

    @property
    def address(self) -> tuple[str, int]:
        """The bound address and port (after :meth:`start`)."""
        if self._transport is None:
            raise RuntimeError("the trap receiver is not started")
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Bind the UDP socket; ConfigError naming the address when that fails."""
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self), local_addr=(self._host, self._port)
            )
        except OSError as exc:
            raise ConfigError(
                f"cannot listen for traps on {self._host}:{self._port}: {exc.strerror or exc}"
            ) from exc
        self._transport = transport

    async def close(self) -> None:
        """Stop listening and wait for the callbacks still running."""
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> TrapReceiver:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _handle(self, data: bytes, sender: str, sender_port: int) -> None:
        self.stats.received += 1
        try:
            message = decode(data)
        except MalformedTrap as exc:
            self.stats.malformed += 1
            log.debug("trap from %s:%d dropped: %s", sender, sender_port, exc)
            return
        if message.community not in self._communities:
            self.stats.wrong_community += 1
            log.debug("trap from %s:%d dropped: community not accepted", sender, sender_port)
            return
        self.stats.accepted += 1
        if message.response is not None and self._transport is not None:
            self._transport.sendto(message.response, (sender, sender_port))
            self.stats.informs_acknowledged += 1
        event = event_of(message, sender, sender_port, time.time())
        try:
            outcome = self._callback(event)
        except Exception:
            self.stats.callback_errors += 1
            log.exception("trap callback failed for a %s from %s", event.kind, sender)
            return
        if inspect.isawaitable(outcome):
            task = asyncio.ensure_future(self._await(outcome, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _await(self, outcome: Awaitable[None], event: TrapEvent) -> None:
        try:
            await outcome
        except Exception:
            self.stats.callback_errors += 1
            log.exception("trap callback failed for a %s from %s", event.kind, event.sender)
