"""The sweep: every host of a batch pinged through one socket per address family, all in flight at once.

How it runs:

1. Round ``r`` sends one echo request to every host, in bursts of ``burst`` requests; between
   bursts the event loop reads the replies already waiting, so the receive buffer never overflows.
   Round ``r + 1`` starts ``interval`` seconds after round ``r`` started (or as soon as round ``r``
   is out, when sending it took longer).
2. Every request of a sweep carries the same identifier (random per sweep), the round as its
   sequence number, and the same payload (a random nonce, repeated to ``size`` bytes), so a round
   is one packet built once and sent to every address.
3. One reader callback per socket drains it and matches each reply on (source address, identifier,
   sequence number) and checks its payload: a reply to another sweep, another program or an
   earlier run is ignored. A datagram socket's kernel replaces the identifier and hands the socket
   only the replies that carry its own, so there the match is on address and sequence number.
4. A reply counts when it arrives within ``timeout`` of its request; RTTs are taken from the
   kernel's receive timestamp (``SO_TIMESTAMPNS``), so replies read late because the sweep was busy
   sending are not charged the wait.
5. The sweep ends when every request is answered, or at the last send + ``timeout``: a dead host
   costs one timeout window, whatever the count.

A request the kernel refuses to send (no route, a blackhole or prohibit route, a firewall) is a
request lost, with the error kept: the host is down, never "0% loss because nothing was sent". A
full send buffer is waited out (up to ``timeout``), not counted as a loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import secrets
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ward_icmp.channel import SO_TIMESTAMPNS, Channel
from ward_icmp.packets import echo_request, parse_echo_reply, payload_of
from ward_icmp.settings import SweepSettings

log = logging.getLogger("ward.icmp")

_TIMESPEC = struct.Struct("=qq")
_ANCILLARY_BYTES = socket.CMSG_SPACE(_TIMESPEC.size)
_MAX_IP_HEADER = 60
_SEND_BUFFER_FULL = (errno.EAGAIN, errno.ENOBUFS)
_RETRY_PAUSE = 0.001


@dataclass(frozen=True, slots=True)
class EchoStats:
    """What one address answered: one RTT (ms) or None per request, and the last send error."""

    rtts_ms: tuple[float | None, ...]
    send_error: OSError | None = None

    @property
    def sent(self) -> int:
        """Requests attempted, those the kernel refused included."""
        return len(self.rtts_ms)

    @property
    def received(self) -> int:
        return sum(1 for rtt in self.rtts_ms if rtt is not None)


class _Lane:
    """The hosts of one socket: their addresses and, per round, send times and RTTs."""

    def __init__(self, channel: Channel, addresses: Sequence[str], settings: SweepSettings, nonce: bytes):
        self.channel = channel
        self.addresses = list(addresses)
        self.index = {address: i for i, address in enumerate(self.addresses)}
        self.payload = payload_of(settings.size, nonce)
        self.packets = [
            echo_request(channel.request_type, channel.identifier, round_, self.payload)
            for round_ in range(settings.count)
        ]
        hosts = len(self.addresses)
        self.sent_at = [[0.0] * hosts for _ in range(settings.count)]
        """perf_counter() at each send, 0.0 when not sent."""
        self.sent_wall = [[0] * hosts for _ in range(settings.count)]
        """time_ns() at each send, to compare with the kernel's receive timestamp."""
        self.rtt_ms = [[-1.0] * hosts for _ in range(settings.count)]
        self.errors: list[OSError | None] = [None] * hosts
        self.buffer_size = _MAX_IP_HEADER + 8 + len(self.payload) + 1

    def stats(self) -> dict[str, EchoStats]:
        rounds = range(len(self.packets))
        return {
            address: EchoStats(
                tuple(self.rtt_ms[r][i] if self.rtt_ms[r][i] >= 0 else None for r in rounds),
                self.errors[i],
            )
            for i, address in enumerate(self.addresses)
        }


class _Sweep:
    def __init__(self, lanes: list[_Lane], settings: SweepSettings):
        self.lanes = lanes
        self.settings = settings
        self.pending = 0
        self.all_sent = False
        self.late = 0
        self.done = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for lane in self.lanes:
            loop.add_reader(lane.channel.sock.fileno(), self._on_readable, lane)
        try:
            await self._send_rounds()
            self.all_sent = True
            if self.pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.done.wait(), self.settings.timeout)
            self._on_readable_all()
        finally:
            for lane in self.lanes:
                loop.remove_reader(lane.channel.sock.fileno())

    async def _send_rounds(self) -> None:
        loop = asyncio.get_running_loop()
        settings = self.settings
        started = loop.time()
        sent = 0
        for round_ in range(settings.count):
            wait = started + round_ * settings.interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            for lane in self.lanes:
                hosts = len(lane.addresses)
                for begin in range(0, hosts, settings.burst):
                    end = min(hosts, begin + settings.burst)
                    await self._send_burst(lane, round_, begin, end)
                    sent += end - begin
                    ahead = 0.0 if settings.rate is None else started + sent / settings.rate - loop.time()
                    await asyncio.sleep(max(0.0, ahead))  # also lets the readers drain the sockets

    async def _send_burst(self, lane: _Lane, round_: int, begin: int, end: int) -> None:
        """Send round ``round_`` to hosts ``begin``..``end``, waiting out a full send buffer."""
        packet = lane.packets[round_]
        sent_at = lane.sent_at[round_]
        sent_wall = lane.sent_wall[round_]
        addresses = lane.addresses
        sendto = lane.channel.sock.sendto
        perf_counter = time.perf_counter
        time_ns = time.time_ns
        give_up = perf_counter() + self.settings.timeout
        i = begin
        while i < end:
            try:
                wall = time_ns()
                now = perf_counter()
                sendto(packet, (addresses[i], 0))
            except OSError as exc:
                if exc.errno in _SEND_BUFFER_FULL and perf_counter() < give_up:
                    await asyncio.sleep(_RETRY_PAUSE)
                    continue
                lane.errors[i] = exc
            else:
                sent_at[i] = now
                sent_wall[i] = wall
                self.pending += 1
            i += 1

    def _on_readable_all(self) -> None:
        for lane in self.lanes:
            self._on_readable(lane)

    def _on_readable(self, lane: _Lane) -> None:
        """Read every reply waiting on ``lane``'s socket and record those that answer this sweep."""
        channel = lane.channel
        recvmsg = channel.sock.recvmsg
        reply_type = channel.reply_type
        ip_header = channel.ip_header
        identifier = channel.identifier if channel.privileged else None
        index = lane.index
        payload = lane.payload
        payload_size = len(payload)
        rounds = len(lane.packets)
        timeout = self.settings.timeout
        perf_counter = time.perf_counter
        while True:
            try:
                data, ancillary, _flags, source = recvmsg(lane.buffer_size, _ANCILLARY_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error reported on the socket: the request is lost, the sweep goes on
            read_at = perf_counter()
            parsed = parse_echo_reply(data, reply_type, ip_header)
            if parsed is None:
                continue
            reply_id, sequence, offset = parsed
            if sequence >= rounds or (identifier is not None and reply_id != identifier):
                continue
            if len(data) - offset != payload_size or not data.endswith(payload):
                continue
            i = index.get(source[0])
            if i is None:
                continue
            rtts = lane.rtt_ms[sequence]
            sent_at = lane.sent_at[sequence][i]
            if sent_at == 0.0 or rtts[i] >= 0.0:
                continue  # never sent (a forged reply), or a duplicate
            elapsed = _elapsed(read_at - sent_at, ancillary, lane.sent_wall[sequence][i])
            if elapsed > timeout:
                self.late += 1
                continue
            rtts[i] = elapsed * 1000.0
            self.pending -= 1
            if self.all_sent and not self.pending:
                self.done.set()


def _elapsed(until_read: float, ancillary: list[tuple[int, int, bytes]], sent_wall_ns: int) -> float:
    """Seconds from the send to the kernel's receive timestamp.

    The timestamp is wall-clock time, compared with the wall-clock time of the send; when it is
    missing or the wall clock stepped in between, the time until the reply was read is used.
    """
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            elapsed: float = (seconds * 1_000_000_000 + nanoseconds - sent_wall_ns) / 1e9
            if 0.0 <= elapsed <= until_read:
                return elapsed
    return until_read


def sweep(
    channels: Mapping[socket.AddressFamily, Channel],
    targets: Mapping[socket.AddressFamily, Sequence[str]],
    settings: SweepSettings,
    nonce: bytes | None = None,
) -> dict[str, EchoStats]:
    """Ping every address of ``targets`` through the channel of its family; stats per address.

    ``nonce`` seeds the payload (8 random bytes when not given): a reply must echo it.
    """
    nonce = nonce or secrets.token_bytes(8)
    lanes = [
        _Lane(channels[family], addresses, settings, nonce)
        for family, addresses in targets.items()
        if addresses
    ]
    if lanes:
        run = _Sweep(lanes, settings)
        asyncio.run(run.run())
        if run.late:
            log.debug("icmp sweep: %d replies came after the %g s timeout", run.late, settings.timeout)
    stats: dict[str, EchoStats] = {}
    for lane in lanes:
        stats.update(lane.stats())
    return stats


def new_identifier() -> int:
    """A random echo identifier for one sweep (what a raw socket puts in every request)."""
    return secrets.randbelow(0x10000)
