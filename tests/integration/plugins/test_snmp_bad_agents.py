"""Devices that answer badly, on real UDP sockets: garbage, SNMP errors, wrong types, silence.

Each bad device must fail alone, with a reason that says what it did, while a good device in the
same batch (a real net-snmp agent) is measured.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import ward_snmp.plugin
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902
from ward_snmp.interface_table import PRIMARY_COLUMNS
from ward_snmp.kinds import INTERFACES, SYSTEM
from ward_snmp.testing import NetSnmpAgent, random_loopback

from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins
from ward_core.types import DeviceTarget, ProbeOptions, SnmpTarget

COMMUNITY = "ward-ro"
Reply = Callable[[bytes], bytes | None]
COLUMNS = {column.oid for column in PRIMARY_COLUMNS}


class Responder:
    """A UDP endpoint on loopback that answers each datagram with ``reply(datagram)`` (None: silence)."""

    def __init__(self, reply: Reply) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((random_loopback(), 0))
        self._sock.settimeout(0.05)
        self.host, self.port = self._sock.getsockname()
        self.requests = 0
        self._reply = reply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.requests += 1
            answer = self._reply(data)
            if answer is not None:
                self._sock.sendto(answer, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


def response_to(datagram: bytes, *, error_status: int = 0, uptime: object = None) -> bytes:
    """A v2c Response to ``datagram``: an error status, or every varbind answered with ``uptime``."""
    message, _ = decoder.decode(datagram, asn1Spec=api.v2c.Message())
    response = api.v2c.apiMessage.get_response(message)
    pdu = api.v2c.apiMessage.get_pdu(response)
    request = api.v2c.apiMessage.get_pdu(message)
    oids = [oid for oid, _ in api.v2c.apiPDU.get_varbinds(request)]
    api.v2c.apiPDU.set_varbinds(
        pdu, [(oid, uptime if uptime is not None else rfc1902.Null()) for oid in oids]
    )
    if error_status:
        api.v2c.apiPDU.set_error_status(pdu, error_status)
        api.v2c.apiPDU.set_error_index(pdu, 1)
    return bytes(encoder.encode(response))


def looping(datagram: bytes) -> bytes:
    """Answers GETs with an uptime, and every GETBULK after a column's first with the same row."""
    message, _ = decoder.decode(datagram, asn1Spec=api.v2c.Message())
    request = api.v2c.apiMessage.get_pdu(message)
    if not request.isSameTypeWith(api.v2c.GetBulkRequestPDU()):
        return response_to(datagram, uptime=rfc1902.TimeTicks(100))
    ((oid, _),) = api.v2c.apiPDU.get_varbinds(request)[:1]
    text = str(oid)
    row = f"{text}.1" if text in COLUMNS else text
    response = api.v2c.apiMessage.get_response(message)
    api.v2c.apiPDU.set_varbinds(api.v2c.apiMessage.get_pdu(response), [(row, rfc1902.Integer(1))])
    return bytes(encoder.encode(response))


BEHAVIOURS: dict[str, Reply] = {
    "garbage": lambda data: b"\x30\x82\xff\xffnot snmp at all",
    "gen-err": lambda data: response_to(data, error_status=5),
    "wrong-type": lambda data: response_to(data, uptime=rfc1902.OctetString(b"yesterday")),
    "silent": lambda data: None,
}
INTERFACE_ONLY: dict[str, Reply] = {"looping": looping}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetSnmpAgent]:
    with NetSnmpAgent(
        tmp_path_factory.mktemp("snmpd"), address=random_loopback(), community=COMMUNITY
    ) as running:
        yield running


@pytest.fixture(scope="module")
def responders() -> Iterator[dict[str, Responder]]:
    started = {name: Responder(reply) for name, reply in {**BEHAVIOURS, **INTERFACE_ONLY}.items()}
    yield started
    for responder in started.values():
        responder.close()


@pytest.fixture
def snmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[WardPlugins]:
    monkeypatch.setenv("WARD_CRED_BAD_COMMUNITY", COMMUNITY)
    with isolated_plugins(ward_snmp.plugin, name="snmp") as plugins:
        yield plugins


def target(name: str, host: str, port: int) -> DeviceTarget:
    return DeviceTarget(
        name=name, host=host, platform="linux", snmp=SnmpTarget(version="2c", credentials="bad", port=port)
    )


@pytest.mark.parametrize("kind", [SYSTEM, INTERFACES])
def test_each_bad_device_fails_alone_with_its_reason(
    snmp: WardPlugins, agent: NetSnmpAgent, responders: dict[str, Responder], kind: str
) -> None:
    devices = [target("good", agent.address, agent.port)]
    devices += [target(name, responders[name].host, responders[name].port) for name in BEHAVIOURS]
    started = time.monotonic()
    batch = snmp.run_probe(kind, devices, ProbeOptions(timeout=0.5, retries=1, params={"backoff": 0.05}))
    elapsed = time.monotonic() - started
    results = batch.by_device()
    assert results["good"].ok, results["good"].exception
    reasons = {name: results[name].exception or "" for name in BEHAVIOURS}
    assert all(results[name].failed for name in BEHAVIOURS), reasons
    assert "the agent answered undecodable SNMP" in reasons["garbage"], reasons
    # gufo-snmp does not look at a response's error-status: a genErr answer carries no values
    assert "no sysUpTime.0 (1.3.6.1.2.1.1.3.0) in the answer" in reasons["gen-err"], reasons
    assert "sysUpTime.0 is bytes" in reasons["wrong-type"], reasons
    assert "timeout (no answer or wrong community) after 2 attempts of 0.5 s" in reasons["silent"]
    assert elapsed < 2.5, f"the batch took {elapsed:.2f} s"


def test_an_agent_that_never_ends_a_walk_is_stopped(
    snmp: WardPlugins, responders: dict[str, Responder]
) -> None:
    looper = responders["looping"]
    before = looper.requests
    options = ProbeOptions(timeout=2.0)
    (result,) = snmp.run_probe(INTERFACES, [target("looping", looper.host, looper.port)], options).results
    assert result.failed
    assert "ifName (1.3.6.1.2.1.31.1.1.1.1): the agent returned 1.3.6.1.2.1.31.1.1.1.1.1 out of order" in (
        result.exception or ""
    )
    assert looper.requests - before == 3, "GET, then the column's first GETBULK, then the repeated row"


def test_only_timeouts_are_retried(snmp: WardPlugins, responders: dict[str, Responder]) -> None:
    counts = {name: r.requests for name, r in responders.items()}
    devices = [target(name, responders[name].host, responders[name].port) for name in BEHAVIOURS]
    snmp.run_probe(SYSTEM, devices, ProbeOptions(timeout=0.3, retries=2, params={"backoff": 0.02}))
    sent = {name: r.requests - counts[name] for name, r in responders.items()}
    assert sent["silent"] == 3, sent
    assert sent["gen-err"] == 1, sent
    assert sent["wrong-type"] == 1, sent


def test_a_closed_port_says_so(snmp: WardPlugins, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        address = random_loopback()
        sock.bind((address, 0))
        port = sock.getsockname()[1]
    (result,) = snmp.run_probe(SYSTEM, [target("closed", address, port)], ProbeOptions(timeout=1.0)).results
    assert result.failed
    assert f"no SNMP agent on UDP port {port} (port unreachable)" in (result.exception or "")
