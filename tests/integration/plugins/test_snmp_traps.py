"""The trap and inform receiver (``ward_snmp.traps``) fed by net-snmp's ``snmptrap``/``snmpinform``.

Each test runs its own receiver on a random loopback address and sends real notifications from
a random client address, so the sender address in the events can be checked.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable

import pytest
from ward_snmp.oids import IF_ADMIN_STATUS, IF_NAME, IF_OPER_STATUS
from ward_snmp.testing import QUIET_MIBS, random_loopback
from ward_snmp.trap_decode import TrapEvent
from ward_snmp.traps import TrapReceiver, communities_from

from ward_core.errors import ConfigError, CredentialError
from ward_core.inventory.credentials import CredentialResolver

COMMUNITY = "ward-traps"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"


async def run_tool(*args: str) -> int:
    """Run a net-snmp tool quietly; its exit status."""
    process = await asyncio.create_subprocess_exec(
        *args,
        env={**os.environ, **QUIET_MIBS},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await process.wait()


class Harness:
    """A started receiver, the events it delivered, and a way to send from a chosen address."""

    def __init__(self, receiver: TrapReceiver, events: asyncio.Queue[TrapEvent], client: str) -> None:
        self.receiver = receiver
        self.events = events
        self.client = client

    @property
    def target(self) -> str:
        host, port = self.receiver.address
        return f"{host}:{port}"

    async def send(self, tool: str, *args: str, community: str = COMMUNITY, version: str = "2c") -> int:
        return await run_tool(
            tool, f"-v{version}", "-c", community, f"--clientaddr={self.client}", "-t", "0.5", "-r", "0",
            self.target, *args,
        )  # fmt: skip

    async def next_event(self, timeout: float = 5.0) -> TrapEvent:
        return await asyncio.wait_for(self.events.get(), timeout)


def with_receiver(test: Callable[[Harness], Awaitable[None]]) -> None:
    async def main() -> None:
        events: asyncio.Queue[TrapEvent] = asyncio.Queue()
        async with TrapReceiver(
            events.put, communities=[COMMUNITY], host=random_loopback(), port=0
        ) as receiver:
            await test(Harness(receiver, events, random_loopback()))

    asyncio.run(main())


def test_link_down_and_up_carry_the_interface_and_the_sender() -> None:
    async def check(h: Harness) -> None:
        link = [f"{IF_INDEX}.7", "i", "7", IF_ADMIN_STATUS.instance(7), "i", "1"]
        down = [*link, IF_OPER_STATUS.instance(7), "i", "2", IF_NAME.instance(7), "s", "Gi0/7"]
        assert await h.send("snmptrap", "12345", "1.3.6.1.6.3.1.1.5.3", *down) == 0
        event = await h.next_event()
        assert (event.kind, event.trap_oid) == ("linkDown", "1.3.6.1.6.3.1.1.5.3")
        assert (event.sender, event.version, event.inform) == (h.client, "2c", False)
        assert (event.if_index, event.if_name, event.admin_up, event.oper_up) == (7, "Gi0/7", True, False)
        assert event.uptime_s == 123.45
        assert (
            await h.send("snmptrap", "", "1.3.6.1.6.3.1.1.5.4", *link, IF_OPER_STATUS.instance(7), "i", "1")
            == 0
        )
        event = await h.next_event()
        assert (event.kind, event.if_index, event.if_name, event.oper_up) == ("linkUp", 7, None, True)

    with_receiver(check)


def test_cold_and_warm_start() -> None:
    async def check(h: Harness) -> None:
        for trap, kind in (("1.3.6.1.6.3.1.1.5.1", "coldStart"), ("1.3.6.1.6.3.1.1.5.2", "warmStart")):
            assert await h.send("snmptrap", "100", trap) == 0
            event = await h.next_event()
            assert (event.kind, event.uptime_s, event.if_index) == (kind, 1.0, None)
        assert await h.send("snmptrap", "100", "1.3.6.1.4.1.8072.4.0.2", "1.3.6.1.2.1.1.5.0", "s", "x") == 0
        event = await h.next_event()
        assert (event.kind, event.trap_oid) == ("other", "1.3.6.1.4.1.8072.4.0.2")
        assert ("1.3.6.1.2.1.1.5.0", b"x") in event.varbinds

    with_receiver(check)


def test_informs_are_acknowledged() -> None:
    async def check(h: Harness) -> None:
        assert await h.send("snmpinform", "", "1.3.6.1.6.3.1.1.5.1") == 0, "snmpinform saw no acknowledgement"
        event = await h.next_event()
        assert (event.kind, event.inform) == ("coldStart", True)
        assert h.receiver.stats.informs_acknowledged == 1

    with_receiver(check)


def test_a_wrong_community_is_dropped_and_not_acknowledged() -> None:
    async def check(h: Harness) -> None:
        assert await h.send("snmptrap", "", "1.3.6.1.6.3.1.1.5.1", community="guess") == 0
        assert await h.send("snmpinform", "", "1.3.6.1.6.3.1.1.5.1", community="guess") != 0
        assert await h.send("snmptrap", "", "1.3.6.1.6.3.1.1.5.2") == 0
        assert (await h.next_event()).kind == "warmStart", "the dropped ones never reached the callback"
        assert h.receiver.stats.wrong_community >= 2
        assert h.events.empty()

    with_receiver(check)


def test_snmpv1_traps_are_converted() -> None:
    async def check(h: Harness) -> None:
        agent = random_loopback()
        status = await h.send(
            "snmptrap", "1.3.6.1.4.1.9", agent, "2", "0", "", f"{IF_INDEX}.3", "i", "3", version="1"
        )
        assert status == 0
        event = await h.next_event()
        assert (event.kind, event.version, event.agent_address, event.if_index) == ("linkDown", "1", agent, 3)

    with_receiver(check)


def test_garbage_and_a_failing_callback_do_not_stop_the_receiver() -> None:
    async def main() -> None:
        seen: list[TrapEvent] = []

        def callback(event: TrapEvent) -> None:
            seen.append(event)
            if len(seen) == 1:
                raise RuntimeError("the first one breaks")

        async with TrapReceiver(
            callback, communities=[COMMUNITY], host=random_loopback(), port=0
        ) as receiver:
            host, port = receiver.address
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"\x30\x03\x02\x01", (host, port))
            harness = Harness(receiver, asyncio.Queue(), random_loopback())
            for trap in ("1.3.6.1.6.3.1.1.5.1", "1.3.6.1.6.3.1.1.5.2"):
                assert await harness.send("snmptrap", "", trap) == 0
            for _ in range(50):
                if len(seen) == 2:
                    break
                await asyncio.sleep(0.05)
            assert [e.kind for e in seen] == ["coldStart", "warmStart"]
            assert (receiver.stats.malformed, receiver.stats.callback_errors) == (1, 1)

    asyncio.run(main())


def test_communities_come_from_credentials() -> None:
    resolver = CredentialResolver(environ={"WARD_CRED_TRAPS_COMMUNITY": COMMUNITY})
    assert communities_from(resolver, ["traps"]) == [COMMUNITY]
    with pytest.raises(CredentialError, match="'missing'"):
        communities_from(resolver, ["missing"])


def test_a_port_in_use_is_a_clear_error() -> None:
    async def main() -> None:
        host = random_loopback()
        async with TrapReceiver(lambda e: None, communities=[COMMUNITY], host=host, port=0) as first:
            port = first.address[1]
            with pytest.raises(ConfigError, match=f"cannot listen for traps on {host}:{port}"):
                await TrapReceiver(lambda e: None, communities=[COMMUNITY], host=host, port=port).start()

    asyncio.run(main())
