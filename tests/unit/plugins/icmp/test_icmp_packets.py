"""Echo requests and replies on the wire, checked against icmplib's own packet builder."""

from __future__ import annotations

import socket
import struct

import pytest
from icmplib import ICMPv4Socket
from ward_icmp.packets import (
    ECHO_REPLY_V4,
    ECHO_REPLY_V6,
    ECHO_REQUEST_V4,
    checksum,
    echo_request,
    parse_echo_reply,
    payload_of,
)


@pytest.mark.parametrize(
    ("identifier", "sequence", "payload"),
    [(0, 0, b""), (0x1234, 1, b"x"), (0xFFFF, 0xFFFF, bytes(range(56))), (7, 2, b"\xff" * 1001)],
)
def test_echo_request_matches_icmplib(identifier: int, sequence: int, payload: bytes) -> None:
    # icmplib builds its packets in a method that needs no open socket: call it on a bare instance.
    reference = ICMPv4Socket.__new__(ICMPv4Socket)
    reference._sock = None
    expected = reference._create_packet(id=identifier, sequence=sequence, payload=payload)
    assert echo_request(ECHO_REQUEST_V4, identifier, sequence, payload) == expected


def test_a_request_with_its_checksum_sums_to_zero() -> None:
    packet = echo_request(ECHO_REQUEST_V4, 0xBEEF, 3, b"odd length")
    assert checksum(packet) == 0


def _ipv4_reply(icmp: bytes, options: bytes = b"") -> bytes:
    words = 5 + len(options) // 4
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | words,
        0,
        4 * words + len(icmp),
        0,
        0,
        64,
        socket.IPPROTO_ICMP,
        0,
        socket.inet_aton("127.0.0.2"),
        socket.inet_aton("127.0.0.1"),
    )
    return header + options + icmp


def test_reply_after_an_ip_header_with_options() -> None:
    icmp = echo_request(ECHO_REPLY_V4, 0x4242, 2, b"payload")
    data = _ipv4_reply(icmp, options=b"\x01" * 8)
    identifier, sequence, offset = parse_echo_reply(data, ECHO_REPLY_V4, True) or (0, 0, 0)
    assert (identifier, sequence) == (0x4242, 2)
    assert data[offset:] == b"payload"


def test_datagram_and_icmpv6_replies_have_no_ip_header() -> None:
    data = echo_request(ECHO_REPLY_V6, 9, 4, b"abc")
    assert parse_echo_reply(data, ECHO_REPLY_V6, False) == (9, 4, 8)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        _ipv4_reply(b"\x00\x00\x00"),  # runt
        _ipv4_reply(echo_request(ECHO_REQUEST_V4, 1, 1, b"")),  # our own request, seen by a raw socket
        _ipv4_reply(bytes([3, 1]) + bytes(30)),  # destination unreachable
    ],
)
def test_anything_but_an_echo_reply_is_ignored(data: bytes) -> None:
    assert parse_echo_reply(data, ECHO_REPLY_V4, True) is None


def test_payload_repeats_the_nonce() -> None:
    assert payload_of(56, b"12345678") == b"12345678" * 7
    assert payload_of(3, b"12345678") == b"123"
    with pytest.raises(ValueError, match="nonce"):
        payload_of(4, b"")
