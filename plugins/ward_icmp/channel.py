"""One ICMP socket per address family for a whole sweep: raw when allowed, else datagram.

icmplib's :class:`~icmplib.ICMPv4Socket` / :class:`~icmplib.ICMPv6Socket` open the socket and tell a
permission problem from other failures; ward then tunes it for a sweep of thousands of hosts:

- receive and send buffers of :data:`BUFFER_BYTES` (``SO_RCVBUFFORCE`` when allowed, else capped by
  ``net.core.rmem_max``), so a burst of replies arriving while the sweep sends is not dropped;
- receive timestamps (``SO_TIMESTAMPNS``), so an RTT ends when the reply arrived, not when ward
  got round to reading it;
- on a raw socket, a kernel filter (``ICMP_FILTER`` / ``ICMP6_FILTER``) that passes echo replies only,
  since a raw socket otherwise receives every ICMP message of the host, our own requests included;
- non-blocking, for the event loop.

A raw socket (root or CAP_NET_RAW) sends the sweep's identifier as is. A datagram ("ping") socket,
which Linux allows to the groups in ``net.ipv4.ping_group_range``, has the kernel replace the
identifier with the socket's own and deliver only the replies carrying it: replies are then matched
on address and sequence number (and payload) alone.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from icmplib import ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, SocketPermissionError

from ward_core.errors import PluginError
from ward_icmp import PLUGIN
from ward_icmp.packets import ECHO_REPLY_V4, ECHO_REPLY_V6, ECHO_REQUEST_V4, ECHO_REQUEST_V6

log = logging.getLogger("ward.icmp")

BUFFER_BYTES = 8 << 20
PING_GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")
WIDEN_COMMAND = 'sysctl -w net.ipv4.ping_group_range="0 2147483647"'

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
"""Have the kernel stamp each received packet with its arrival time (a ``timespec``)."""

# Linux constants the socket module does not export.
_SO_RCVBUFFORCE = 33
_SO_SNDBUFFORCE = 32
_SOL_RAW = 255
_ICMP_FILTER = 1
_ICMP6_FILTER = 1


class IcmpUnavailable(PluginError):
    """No ICMP socket can be opened here; the message says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message, plugin=PLUGIN)


@dataclass(eq=False)
class Channel:
    """An open ICMP socket of one family and how to speak through it."""

    family: socket.AddressFamily
    privileged: bool
    identifier: int
    """The identifier requests carry (a datagram socket's kernel replaces it)."""
    icmp: Any = field(repr=False)
    """The icmplib socket; it owns :attr:`sock` and closes it when collected, so it is kept here."""

    @property
    def sock(self) -> socket.socket:
        """The underlying socket."""
        sock: socket.socket = self.icmp.sock
        return sock

    @property
    def request_type(self) -> int:
        return ECHO_REQUEST_V4 if self.family == socket.AF_INET else ECHO_REQUEST_V6

    @property
    def reply_type(self) -> int:
        return ECHO_REPLY_V4 if self.family == socket.AF_INET else ECHO_REPLY_V6

    @property
    def ip_header(self) -> bool:
        """True when received packets start with their IPv4 header (raw ICMPv4 only)."""
        return self.privileged and self.family == socket.AF_INET

    @property
    def mode(self) -> str:
        return "raw" if self.privileged else "datagram"

    def close(self) -> None:
        self.icmp.close()


def open_channel(family: socket.AddressFamily, identifier: int, privileged: bool | None) -> Channel:
    """Open the family's socket: raw if allowed (or required), else datagram (if allowed).

    ``privileged`` True or False allows one mode only. Raises :class:`IcmpUnavailable` saying how
    to allow ICMP when no permitted mode can be opened.
    """
    modes = (True, False) if privileged is None else (privileged,)
    refused: list[bool] = []
    for mode in modes:
        try:
            icmp = (ICMPv4Socket if family == socket.AF_INET else ICMPv6Socket)(privileged=mode)
        except SocketPermissionError:
            refused.append(mode)
            continue
        except ICMPLibError as exc:
            version = "IPv4" if family == socket.AF_INET else "IPv6"
            raise IcmpUnavailable(f"cannot open an {version} ICMP socket: {exc}") from exc
        channel = Channel(family=family, privileged=mode, identifier=identifier, icmp=icmp)
        _tune(channel)
        return channel
    message = permission_message(refused)
    _warn_once(message)
    raise IcmpUnavailable(message)


def permission_message(refused: list[bool]) -> str:
    """What to do when the ``refused`` modes (True: raw, False: datagram) were not allowed."""
    parts = []
    if True in refused:
        parts.append("a raw ICMP socket needs root or CAP_NET_RAW (run ward as root)")
    if False in refused:
        groups = sorted({os.getgid(), *os.getgroups()})
        parts.append(
            f"a datagram ICMP socket needs one of this process's groups ({', '.join(map(str, groups))})"
            f" inside net.ipv4.ping_group_range, which is {_ping_group_range()}: widen it with"
            f" `{WIDEN_COMMAND}`"
        )
    return "cannot send ICMP echo requests: " + "; ".join(parts)


def _ping_group_range() -> str:
    try:
        low, high = PING_GROUP_RANGE.read_text(encoding="ascii").split()
    except (OSError, ValueError):
        return "unreadable"
    return f'"{low} {high}"'


@functools.cache
def _warn_once(message: str) -> None:
    """Log ``message`` the first time it happens in this process; failed results carry it each time."""
    log.warning("%s", message)


def _tune(channel: Channel) -> None:
    sock = channel.sock
    for forced, plain in ((_SO_RCVBUFFORCE, socket.SO_RCVBUF), (_SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced, BUFFER_BYTES)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER_BYTES)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if channel.privileged:
        _filter_echo_replies(channel)
    sock.setblocking(False)


def _filter_echo_replies(channel: Channel) -> None:
    """Have the kernel pass echo replies only to this raw socket (a set bit blocks a type)."""
    try:
        if channel.family == socket.AF_INET:
            blocked = 0xFFFFFFFF & ~(1 << ECHO_REPLY_V4)
            channel.sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("=I", blocked))
        else:
            words = [0xFFFFFFFF] * 8
            words[ECHO_REPLY_V6 >> 5] &= ~(1 << (ECHO_REPLY_V6 & 31)) & 0xFFFFFFFF
            channel.sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("=8I", *words))
    except OSError as exc:
        if exc.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
            raise
        log.debug("no kernel ICMP filter on this system (%s); replies are filtered in ward", exc)
