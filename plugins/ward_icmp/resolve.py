"""From the batch's hosts to the addresses a sweep pings: each distinct name resolved once per batch.

Address literals are taken as they are (no lookup). Names are checked first (a host like
``"core sw"`` is an inventory mistake, not a lookup to send to DNS) and then resolved in parallel
on daemon threads, all within one time limit: a resolver that hangs costs the batch that limit,
never more, and a name it has not answered by then is a failure for the devices that use it.
A name with both IPv4 and IPv6 addresses is pinged over IPv4.
"""

from __future__ import annotations

import ipaddress
import queue
import re
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

MAX_RESOLVER_THREADS = 16

_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


@dataclass(frozen=True, slots=True)
class Address:
    """A canonical address (as the kernel reports a reply's source) and its family."""

    text: str
    family: socket.AddressFamily


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Why a host has no address: invalid (an inventory mistake) or not resolved."""

    reason: str
    invalid: bool = False


def literal(host: str) -> Address | None:
    """The address ``host`` spells, canonical; None when it is not an address literal.

    >>> literal("127.0.0.1")
    Address(text='127.0.0.1', family=<AddressFamily.AF_INET: 2>)
    >>> literal("0:0::1").text
    '::1'
    >>> literal("sw1.example.net") is None
    True
    >>> literal("fe80::1%eth0").text
    'fe80::1%eth0'
    >>> literal("127.1") is None  # inet_aton's shorthand is not an address here
    True
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return Address(socket.inet_ntop(family, socket.inet_pton(family, host)), family)
        except (OSError, ValueError):
            continue
    try:  # an IPv6 address with a scope, "fe80::1%eth0"
        parsed = ipaddress.IPv6Address(host)
    except ValueError:
        return None
    return Address(str(parsed), socket.AF_INET6)


def is_host_name(name: str) -> bool:
    """Whether ``name`` is a syntactically valid DNS host name (RFC 1123 labels, underscores allowed).

    A name whose last label is all digits is refused: ``010.0.0.1`` or ``127.1`` are addresses
    spelled in a way resolvers read differently (octal, shorthand), not names.

    >>> [is_host_name(n) for n in ("sw1", "core-1.example.net.", "core sw", "-bad", "a..b", "", "010.0.0.1")]
    [True, True, False, False, False, False, False]
    """
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    return (
        0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()
    )


def resolve_hosts(hosts: Iterable[str], timeout: float) -> dict[str, Address | Unresolved]:
    """Every distinct host of ``hosts``, mapped to its address or to why it has none."""
    found: dict[str, Address | Unresolved] = {}
    names: list[str] = []
    for host in dict.fromkeys(hosts):
        address = literal(host)
        if address is not None:
            found[host] = address
        elif not is_host_name(host):
            found[host] = Unresolved(f"{host!r} is neither an IP address nor a valid host name", invalid=True)
        else:
            names.append(host)
    if names:
        found.update(_lookup(names, timeout))
    return found


def _lookup(names: list[str], timeout: float) -> dict[str, Address | Unresolved]:
    """Resolve ``names`` on daemon threads; names still pending after ``timeout`` are unresolved."""
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in names:
        todo.put(name)
    results: dict[str, Address | Unresolved] = {}
    lock = threading.Lock()
    finished = threading.Event()

    def work() -> None:
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            outcome = _getaddrinfo(name)
            with lock:
                results[name] = outcome
                if len(results) == len(names):
                    finished.set()

    for _ in range(min(MAX_RESOLVER_THREADS, len(names))):
        threading.Thread(target=work, name="ward-icmp-resolve", daemon=True).start()
    deadline = time.monotonic() + timeout
    finished.wait(max(0.0, deadline - time.monotonic()))
    with lock:
        done = dict(results)
    late = Unresolved(f"no answer from the resolver within {timeout:g} s")
    return {name: done.get(name, late) for name in names}


def _getaddrinfo(name: str) -> Address | Unresolved:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as exc:
        return Unresolved(f"{name!r} does not resolve: {exc}")
    addresses = [literal(str(info[4][0])) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    usable = [a for a in addresses if a is not None]
    if not usable:
        return Unresolved(f"{name!r} resolves to no IPv4 or IPv6 address")
    return next((a for a in usable if a.family == socket.AF_INET), usable[0])
