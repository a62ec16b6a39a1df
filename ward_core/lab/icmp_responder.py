"""Answers ICMP echo for every lab device from inside the lab namespace, honouring its faults.

One raw socket receives the echo requests for all addresses; replies are built with their IP
header (``IP_HDRINCL``) so they leave from the device's own address. A device that is down stays
silent, ``packet_loss_pct`` drops that share of requests at random, ``reply_delay_ms`` delays the
answer without holding the others.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct

from ward_core.lab.model import LabNetwork

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071).

    >>> hex(checksum(bytes.fromhex("0800000012340001")))
    '0xe5ca'
    """
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply(request: bytes) -> tuple[str, str, bytes] | None:
    """(device address, requester, reply datagram) for an IPv4 echo request; None for anything else."""
    if len(request) < 28 or request[0] >> 4 != 4:
        return None
    header_length = (request[0] & 0x0F) * 4
    icmp = request[header_length:]
    if len(icmp) < 8 or icmp[0] != ICMP_ECHO_REQUEST:
        return None
    source = socket.inet_ntoa(request[12:16])
    destination = socket.inet_ntoa(request[16:20])
    body = bytes([ICMP_ECHO_REPLY, 0, 0, 0]) + icmp[4:]
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    ip_header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(body),
        0,
        0,
        64,
        socket.IPPROTO_ICMP,
        0,
        request[16:20],
        request[12:16],
    )
    ip_header = ip_header[:10] + struct.pack("!H", checksum(ip_header)) + ip_header[12:]
    return destination, source, ip_header + body


class IcmpResponder:
    """The lab's echo responder; ``start`` inside the namespace, ``close`` on shutdown."""

    def __init__(self, network: LabNetwork, rng: random.Random | None = None) -> None:
        self.network = network
        self.rng = rng or random.Random()
        self._by_address = {device.address: device for device in network}
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.answered = 0
        self.dropped = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._receiver = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self._receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self._receiver.setblocking(False)
        self._sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self._sender.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        self._sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        self._sender.setblocking(False)
        self._loop.add_reader(self._receiver.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        assert self._receiver is not None and self._loop is not None
        while True:
            try:
                packet = self._receiver.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            parsed = echo_reply(packet)
            if parsed is None:
                continue
            address, requester, reply = parsed
            device = self._by_address.get(address)
            if device is None or not device.reachable or self.rng.randrange(100) < device.packet_loss_pct:
                self.dropped += 1
                continue
            if device.reply_delay_ms > 0:
                self._loop.call_later(device.reply_delay_ms / 1000, self._send, reply, requester)
            else:
                self._send(reply, requester)

    def _send(self, reply: bytes, requester: str) -> None:
        assert self._sender is not None
        try:
            self._sender.sendto(reply, (requester, 0))
            self.answered += 1
        except (BlockingIOError, InterruptedError):
            self.dropped += 1

    def close(self) -> None:
        if self._loop is not None and self._receiver is not None:
            self._loop.remove_reader(self._receiver.fileno())
        for sock in (self._receiver, self._sender):
            if sock is not None:
                sock.close()
        self._receiver = self._sender = None
