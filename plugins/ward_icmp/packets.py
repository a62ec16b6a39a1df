"""ICMP echo messages on the wire: building requests, reading replies (RFC 792, RFC 4443).

The same bytes as icmplib's ``ICMPSocket._create_packet`` (the unit tests compare them), built once
per round instead of once per packet: within a sweep every host of a round receives the same
request, since the identifier is the sweep's and the sequence number is the round's.
"""

from __future__ import annotations

import struct

ECHO_REQUEST_V4 = 8
ECHO_REPLY_V4 = 0
ECHO_REQUEST_V6 = 128
ECHO_REPLY_V6 = 129
HEADER_SIZE = 8
"""Type, code, checksum, identifier, sequence number."""

_HEADER = struct.Struct("!BBHHH")
_ID_SEQUENCE = struct.Struct("!HH")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words.

    >>> hex(checksum(bytes.fromhex("0800000012340001")))
    '0xe5ca'
    >>> checksum(bytes.fromhex("0800e5ca12340001"))  # a packet carrying its checksum sums to zero
    0
    """
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(request_type: int, identifier: int, sequence: int, payload: bytes) -> bytes:
    """An echo request with its checksum.

    For ICMPv6 the kernel overwrites the checksum (it covers a pseudo-header with the source
    address, which only the kernel knows); datagram sockets also overwrite the identifier.

    >>> echo_request(ECHO_REQUEST_V4, 0x1234, 1, b"").hex()
    '0800e5ca12340001'
    """
    header = _HEADER.pack(request_type, 0, 0, identifier, sequence)
    return _HEADER.pack(request_type, 0, checksum(header + payload), identifier, sequence) + payload


def payload_of(size: int, nonce: bytes) -> bytes:
    """``size`` bytes of payload: the sweep's nonce repeated, so a reply proves it answers this sweep.

    >>> payload_of(10, b"abcd")
    b'abcdabcdab'
    >>> payload_of(0, b"abcd")
    b''
    """
    if not nonce:
        raise ValueError("the nonce must not be empty")
    return (nonce * (size // len(nonce) + 1))[:size]


def parse_echo_reply(data: bytes, reply_type: int, ip_header: bool) -> tuple[int, int, int] | None:
    """(identifier, sequence number, payload offset) of the echo reply in ``data``; None for
    anything else (another ICMP type, a runt).

    ``ip_header`` says whether ``data`` starts with an IPv4 header (raw ICMPv4 sockets deliver
    it; ICMPv6 and datagram sockets do not). The header's length is read from the packet, since
    IP options make it longer than 20 bytes.

    >>> ip = bytes.fromhex("4500001c000000004001000c7f0000017f000001")
    >>> parse_echo_reply(ip + bytes.fromhex("0000edca12340001") + b"hi", ECHO_REPLY_V4, True)
    (4660, 1, 28)
    >>> parse_echo_reply(bytes.fromhex("0800e5ca12340001"), ECHO_REPLY_V4, False) is None
    True
    """
    offset = (data[0] & 0x0F) * 4 if ip_header and data else 0
    if len(data) < offset + HEADER_SIZE or data[offset] != reply_type:
        return None
    identifier, sequence = _ID_SEQUENCE.unpack_from(data, offset + 4)
    return identifier, sequence, offset + HEADER_SIZE
