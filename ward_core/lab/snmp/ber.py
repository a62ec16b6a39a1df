"""The BER subset SNMP uses: definite lengths, one-byte tags, and the SMI application types.

Encoders return complete TLVs as ``bytes`` so a response is built by joining pre-encoded pieces;
decoders work on ``(data, start, end)`` positions to avoid copying the datagram.

>>> encode_integer(-129).hex(), encode_unsigned(COUNTER32, 0xFFFFFFFF).hex()
('0202ff7f', '410500ffffffff')
>>> encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0)).hex()
'06082b06010201010300'
>>> decode_oid(bytes.fromhex('2b0601040109'), 0, 6)
(1, 3, 6, 1, 4, 1, 9)
"""

from __future__ import annotations

Oid = tuple[int, ...]

INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

GET_REQUEST = 0xA0
GET_NEXT_REQUEST = 0xA1
RESPONSE = 0xA2
SET_REQUEST = 0xA3
GET_BULK_REQUEST = 0xA5
REPORT = 0xA8

_MAX32 = (1 << 32) - 1


class BerError(ValueError):
    """The bytes are not valid BER for the SNMP subset handled here."""


_LENGTHS = [bytes((n,)) for n in range(0x80)]


def encode_length(length: int) -> bytes:
    """Definite-form length octets."""
    if length < 0x80:
        return _LENGTHS[length]
    if length < 0x100:
        return bytes((0x81, length))
    if length < 0x10000:
        return bytes((0x82, length >> 8, length & 0xFF))
    return bytes((0x83, length >> 16, (length >> 8) & 0xFF, length & 0xFF))


def tlv(tag: int, content: bytes) -> bytes:
    """One tag-length-value."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    return bytes((tag,)) + encode_length(length) + content


def sequence(*parts: bytes) -> bytes:
    """A SEQUENCE of already encoded parts."""
    return tlv(SEQUENCE, b"".join(parts))


def _int_content(value: int) -> bytes:
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return value.to_bytes(size, "big", signed=True)


_SMALL_INTEGERS = [tlv(INTEGER, _int_content(n)) for n in range(256)]


def encode_integer(value: int) -> bytes:
    """INTEGER, minimal two's complement."""
    if 0 <= value < 256:
        return _SMALL_INTEGERS[value]
    return tlv(INTEGER, _int_content(value))


def encode_unsigned(tag: int, value: int) -> bytes:
    """Counter32, Gauge32, TimeTicks or Counter64: non-negative, with a leading 0 when needed."""
    if value < 0:
        raise BerError(f"unsigned value {value} is negative")
    size = value.bit_length() // 8 + 1
    return bytes((tag, size)) + value.to_bytes(size, "big")


def counter32(value: int) -> bytes:
    """Counter32 of a wider counter: the low 32 bits, so it wraps like the real thing."""
    return encode_unsigned(COUNTER32, value & _MAX32)


def gauge32(value: int) -> bytes:
    """Gauge32, latched at 2^32-1 as RFC 2578 says."""
    return encode_unsigned(GAUGE32, min(max(value, 0), _MAX32))


def timeticks(value: int) -> bytes:
    """TimeTicks (hundredths of a second), modulo 2^32."""
    return encode_unsigned(TIMETICKS, value & _MAX32)


def counter64(value: int) -> bytes:
    """Counter64, modulo 2^64."""
    return encode_unsigned(COUNTER64, value & ((1 << 64) - 1))


def octets(value: bytes | str) -> bytes:
    """OCTET STRING (text is UTF-8)."""
    return tlv(OCTET_STRING, value.encode() if isinstance(value, str) else value)


def ip_address(dotted: str) -> bytes:
    """IpAddress from dotted-quad text."""
    parts = bytes(int(p) for p in dotted.split("."))
    if len(parts) != 4:
        raise BerError(f"{dotted!r} is not an IPv4 address")
    return tlv(IP_ADDRESS, parts)


NULL_VALUE = b"\x05\x00"
NO_SUCH_OBJECT_VALUE = b"\x80\x00"
NO_SUCH_INSTANCE_VALUE = b"\x81\x00"
END_OF_MIB_VIEW_VALUE = b"\x82\x00"


def _subid(value: int) -> bytes:
    if value < 0x80:
        return _LENGTHS[value]
    out = bytearray((value & 0x7F,))
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.reverse()
    return bytes(out)


def oid_content(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (first two arcs packed as 40·a + b)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"cannot encode OID {oid!r}")
    first = oid[0] * 40 + oid[1]
    rest = oid[2:]
    if first < 0x80 and (not rest or max(rest) < 0x80):
        return bytes((first, *rest))
    return _subid(first) + b"".join(_subid(x) for x in rest)


def subids(values: Oid) -> bytes:
    """Content octets of sub-identifiers after the first two arcs (for appending an index)."""
    if len(values) == 1 and values[0] < 0x80:
        return _LENGTHS[values[0]]
    return b"".join(_subid(x) for x in values)


def encode_oid(oid: Oid) -> bytes:
    """OBJECT IDENTIFIER TLV."""
    return tlv(OBJECT_IDENTIFIER, oid_content(oid))


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The tag, content start and content end of the TLV at ``pos`` (which must fit before ``end``)."""
    if pos + 2 > end:
        raise BerError(f"truncated TLV at offset {pos}")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError(f"multi-byte tag at offset {pos}")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise BerError(f"bad length octets at offset {pos - 1}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError(f"TLV at offset {pos} runs past its container")
    return tag, pos, stop


def expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Content bounds of the TLV at ``pos``, which must carry ``tag``."""
    found, start, stop = read_header(data, pos, end)
    if found != tag:
        raise BerError(f"expected tag 0x{tag:02x} at offset {pos}, found 0x{found:02x}")
    return start, stop


def decode_int(data: bytes, start: int, end: int) -> int:
    """Content of an INTEGER (signed) or of an unsigned application type read as signed bytes."""
    if start >= end:
        raise BerError(f"empty integer at offset {start}")
    return int.from_bytes(data[start:end], "big", signed=True)


def decode_oid(data: bytes, start: int, end: int) -> Oid:
    """Content of an OBJECT IDENTIFIER as a tuple of integers."""
    if start >= end:
        raise BerError(f"empty OID at offset {start}")
    raw = data[start:end]
    if max(raw) < 0x80:
        first = raw[0]
        head = (first // 40, first % 40) if first < 80 else (2, first - 80)
        return head + tuple(raw[1:])
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if raw[-1] & 0x80:
        raise BerError(f"OID at offset {start} ends inside a sub-identifier")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


Value = int | bytes | Oid | None


def decode_value(data: bytes, pos: int, end: int) -> tuple[int, Value, int]:
    """One value TLV: ``(tag, python value, next position)``.

    Integers and the unsigned application types give ``int``; OCTET STRING, IpAddress and Opaque
    give ``bytes``; OID gives a tuple; NULL and the three exceptions give ``None``.
    """
    tag, start, stop = read_header(data, pos, end)
    value: Value
    if tag == INTEGER:
        value = decode_int(data, start, stop)
    elif tag in (COUNTER32, GAUGE32, TIMETICKS, COUNTER64):
        value = int.from_bytes(data[start:stop], "big")
    elif tag in (OCTET_STRING, IP_ADDRESS, OPAQUE):
        value = data[start:stop]
    elif tag == OBJECT_IDENTIFIER:
        value = decode_oid(data, start, stop)
    elif tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW):
        value = None
    else:
        raise BerError(f"unsupported value tag 0x{tag:02x} at offset {pos}")
    return tag, value, stop


def parse_oid_text(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` as a tuple.

    >>> parse_oid_text(".1.3.6.1.2.1")
    (1, 3, 6, 1, 2, 1)
    """
    try:
        return tuple(int(part) for part in text.strip(".").split("."))
    except ValueError:
        raise BerError(f"{text!r} is not a numeric OID") from None
