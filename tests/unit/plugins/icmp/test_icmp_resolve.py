"""From hosts to addresses: literals as they are, invalid names refused, names resolved once, in time."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from ward_icmp.resolve import Address, Unresolved, is_host_name, literal, resolve_hosts


def test_literals_are_canonical() -> None:
    assert literal("127.0.0.1") == Address("127.0.0.1", socket.AF_INET)
    assert literal("0000:0000::0001") == Address("::1", socket.AF_INET6)
    assert literal("FE80::A") == Address("fe80::a", socket.AF_INET6)


@pytest.mark.parametrize(
    "host", ["core sw", "-sw1", "sw1-", "a..b", "x" * 64, "010.0.0.1", "127.1", "sw1/24"]
)
def test_invalid_hosts_are_not_looked_up(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{host!r} was sent to the resolver")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    (found,) = resolve_hosts([host], timeout=1.0).values()
    assert isinstance(found, Unresolved)
    assert found.invalid
    assert repr(host) in found.reason


def test_host_names() -> None:
    assert is_host_name("sw1")
    assert is_host_name("br001-rtr1.lab.example.net.")
    assert is_host_name("_gateway")
    assert not is_host_name("a" * 254)


def test_localhost_resolves_from_the_hosts_file_and_prefers_ipv4() -> None:
    found = resolve_hosts(["localhost", "localhost", "127.0.0.2"], timeout=2.0)
    assert found == {
        "localhost": Address("127.0.0.1", socket.AF_INET),
        "127.0.0.2": Address("127.0.0.2", socket.AF_INET),
    }


def test_each_name_is_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    lock = threading.Lock()

    def answer(host: str, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        with lock:
            asked.append(host)
        return [(socket.AF_INET6, socket.SOCK_DGRAM, 17, "", ("2001:db8::1", 0, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    found = resolve_hosts(["sw1", "sw2", "sw1", "sw2", "sw1"], timeout=2.0)
    assert sorted(asked) == ["sw1", "sw2"]
    assert found["sw1"] == Address("2001:db8::1", socket.AF_INET6)


def test_a_hanging_resolver_costs_the_time_limit_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A resolver that never answers cannot be had here without sending queries out: stand in for it.
    def hang(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        time.sleep(3)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    started = time.monotonic()
    found = resolve_hosts([f"sw{i}" for i in range(40)] + ["127.0.0.1"], timeout=0.3)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert found["127.0.0.1"] == Address("127.0.0.1", socket.AF_INET)
    late = found["sw39"]
    assert isinstance(late, Unresolved)
    assert not late.invalid
    assert "no answer from the resolver within 0.3 s" in late.reason


def test_a_name_that_does_not_resolve_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def nxdomain(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    found = resolve_hosts(["gone.example.net"], timeout=1.0)["gone.example.net"]
    assert isinstance(found, Unresolved)
    assert found.reason == "'gone.example.net' does not resolve: [Errno -2] Name or service not known"
