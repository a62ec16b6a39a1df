"""Codec cost of one lab SNMP exchange: pysnmp's message codecs (pyasn1) against ward's BER codec.

The work measured is what an agent does per GETBULK: decode a v2c request for one ifXTable
column, then encode a response of 25 varbinds (Counter64 values under ifHCInOctets). Both codecs
produce byte-identical responses (checked before timing). Prints microseconds per exchange and the
ratio; run with ``.venv/bin/python bench/lab_snmp_codec.py``.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from ward_core.lab.snmp.ber import GET_BULK_REQUEST, NULL_VALUE, RESPONSE, counter64
from ward_core.lab.snmp.message import (
    decode_community_message,
    encode_community_message,
    encode_pdu,
    varbind,
)

COLUMN = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
ROWS = 25
ROUNDS = 1000


def request() -> bytes:
    pdu = encode_pdu(GET_BULK_REQUEST, 4242, 0, ROWS, [varbind(COLUMN, NULL_VALUE)])
    return encode_community_message(1, b"ward-lab", pdu)


def ward_exchange(data: bytes) -> bytes:
    message = decode_community_message(data)
    oid = message.pdu.varbinds[0][0]
    out = [varbind((*oid, row), counter64(10**12 + row)) for row in range(1, ROWS + 1)]
    return encode_community_message(
        1, message.community, encode_pdu(RESPONSE, message.pdu.request_id, 0, 0, out)
    )


P_MOD = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def pysnmp_exchange(data: bytes) -> bytes:
    message, _ = decoder.decode(data, asn1Spec=P_MOD.Message())
    pdu = P_MOD.apiMessage.get_pdu(message)
    oid = tuple(P_MOD.apiBulkPDU.get_varbinds(pdu)[0][0])
    response = P_MOD.apiMessage.get_response(message)
    out_pdu = P_MOD.apiMessage.get_pdu(response)
    P_MOD.apiPDU.set_varbinds(
        out_pdu,
        [(rfc1902.ObjectName((*oid, row)), rfc1902.Counter64(10**12 + row)) for row in range(1, ROWS + 1)],
    )
    return bytes(encoder.encode(response))


def per_call_us(fn: Callable[[bytes], bytes], data: bytes) -> float:
    """Best of five timings (the machine is shared: the minimum is the least disturbed)."""
    runs = timeit.repeat(lambda: fn(data), number=ROUNDS, repeat=5)
    return min(runs) / ROUNDS * 1e6


def main() -> None:
    data = request()
    ours, theirs = ward_exchange(data), pysnmp_exchange(data)
    if ours != theirs:
        raise SystemExit(f"codecs disagree:\n{ours.hex()}\n{theirs.hex()}")
    ward_us = per_call_us(ward_exchange, data)
    pysnmp_us = per_call_us(pysnmp_exchange, data)
    print(f"GETBULK decode + {ROWS}-varbind response encode, best of 5 x {ROUNDS} rounds")
    print(f"  ward BER codec   {ward_us:8.1f} us/exchange")
    print(f"  pysnmp (pyasn1)  {pysnmp_us:8.1f} us/exchange")
    print(f"  ratio pysnmp/ward: {pysnmp_us / ward_us:.1f}x")


if __name__ == "__main__":
    main()
