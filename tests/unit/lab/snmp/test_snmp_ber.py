"""The BER codec: round trips at the edges, rejection of malformed input, and the modules' doctests."""

from __future__ import annotations

import doctest

import pytest

from ward_core.lab.snmp import ber, identity, usm
from ward_core.lab.snmp.ber import (
    COUNTER32,
    COUNTER64,
    INTEGER,
    BerError,
    counter32,
    decode_value,
    encode_integer,
    encode_length,
    encode_oid,
    gauge32,
    octets,
    read_header,
    tlv,
)


@pytest.mark.parametrize("module", [ber, identity, usm])
def test_doctests(module: object) -> None:
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0
    assert failures == 0


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**31 - 1, -(2**31), 2**40 + 3])
def test_integer_round_trip_is_minimal(value: int) -> None:
    encoded = encode_integer(value)
    tag, decoded, end = decode_value(encoded, 0, len(encoded))
    assert (tag, decoded, end) == (INTEGER, value, len(encoded))
    content = encoded[2:]
    if len(content) > 1:
        assert not (content[0] == 0 and content[1] < 0x80), "redundant leading zero"
        assert not (content[0] == 0xFF and content[1] >= 0x80), "redundant leading ones"


@pytest.mark.parametrize("value", [0, 0x7F, 0x80, 0xFFFF_FFFF])
def test_unsigned_types_keep_high_bit_values_positive(value: int) -> None:
    encoded = gauge32(value)
    assert decode_value(encoded, 0, len(encoded))[1] == value


def test_counter32_wraps_and_counter64_holds_wide_values() -> None:
    wrapped = counter32(2**32 + 5)
    assert decode_value(wrapped, 0, len(wrapped))[:2] == (COUNTER32, 5)
    wide = ber.counter64(2**64 - 1)
    assert decode_value(wide, 0, len(wide))[:2] == (COUNTER64, 2**64 - 1)
    assert gauge32(2**40) == gauge32(2**32 - 1)


@pytest.mark.parametrize(
    "oid",
    [(1, 3, 6, 1), (1, 0, 8802, 1, 1, 2), (1, 3, 6, 1, 4, 1, 9, 2**32 - 1), (2, 999, 3), (0, 0)],
)
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    encoded = encode_oid(oid)
    assert decode_value(encoded, 0, len(encoded))[1] == oid


def test_long_lengths() -> None:
    for size in (0, 127, 128, 255, 256, 70_000):
        encoded = octets(b"x" * size)
        tag, start, stop = read_header(encoded, 0, len(encoded))
        assert (tag, stop - start, stop) == (0x04, size, len(encoded))
    assert encode_length(300) == b"\x82\x01\x2c"


@pytest.mark.parametrize(
    "data",
    [
        b"\x04",  # no length
        b"\x04\x05abc",  # runs past the end
        b"\x04\x85\x00\x00\x00\x00\x01a",  # five length octets
        b"\x1f\x01\x00",  # multi-byte tag
        b"\x06\x02\x2b\x86",  # OID ends inside a sub-identifier
        b"\x02\x00",  # empty integer
    ],
)
def test_malformed_input_is_rejected(data: bytes) -> None:
    with pytest.raises(BerError):
        decode_value(data, 0, len(data))


def test_unencodable_oid_is_rejected() -> None:
    with pytest.raises(BerError):
        encode_oid((1, 40))
    with pytest.raises(BerError):
        encode_oid((3, 1))


def test_tlv_matches_length_encoding() -> None:
    assert tlv(0x30, b"") == b"\x30\x00"
    assert tlv(0x30, b"a" * 200)[:3] == b"\x30\x81\xc8"
