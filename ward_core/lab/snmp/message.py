"""SNMP messages on the wire: the PDU, the community wrapper (v1/v2c) and the v3 wrapper with USM.

Decoding keeps each request varbind's value as its raw TLV so a SET can be echoed back unchanged;
encoding takes varbinds already encoded (see ``varbind``) so a response's size is known while it
is being built.
"""

from __future__ import annotations

from dataclasses import dataclass

from ward_core.lab.snmp.ber import (
    INTEGER,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    Oid,
    decode_int,
    decode_oid,
    encode_integer,
    encode_oid,
    expect,
    octets,
    read_header,
    sequence,
    tlv,
)

VERSION_1 = 0
VERSION_2C = 1
VERSION_3 = 3

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04
USM_SECURITY_MODEL = 3


@dataclass(slots=True)
class Pdu:
    """A decoded PDU. For GETBULK, ``error_status`` is non-repeaters and ``error_index`` max-repetitions."""

    tag: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[tuple[Oid, bytes]]


def varbind(oid: Oid, value: bytes) -> bytes:
    """One encoded VarBind from an OID and an already encoded value."""
    return sequence(encode_oid(oid), value)


def decode_pdu(data: bytes, pos: int, end: int) -> Pdu:
    """The PDU whose TLV starts at ``pos``."""
    tag, start, stop = read_header(data, pos, end)
    if tag & 0xE0 != 0xA0:
        raise BerError(f"expected a PDU at offset {pos}, found tag 0x{tag:02x}")
    fields: list[int] = []
    cursor = start
    for _ in range(3):
        a, b = expect(data, cursor, stop, INTEGER)
        fields.append(decode_int(data, a, b))
        cursor = b
    list_start, list_stop = expect(data, cursor, stop, SEQUENCE)
    varbinds: list[tuple[Oid, bytes]] = []
    cursor = list_start
    while cursor < list_stop:
        vb_start, vb_stop = expect(data, cursor, list_stop, SEQUENCE)
        oid_start, oid_stop = expect(data, vb_start, vb_stop, OBJECT_IDENTIFIER)
        _, _, value_stop = read_header(data, oid_stop, vb_stop)
        if value_stop != vb_stop:
            raise BerError(f"trailing bytes in varbind at offset {cursor}")
        varbinds.append((decode_oid(data, oid_start, oid_stop), data[oid_stop:vb_stop]))
        cursor = vb_stop
    return Pdu(tag, fields[0], fields[1], fields[2], varbinds)


def encode_pdu(
    tag: int, request_id: int, error_status: int, error_index: int, varbinds: list[bytes]
) -> bytes:
    """A PDU from encoded varbinds."""
    return tlv(
        tag,
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(SEQUENCE, b"".join(varbinds)),
    )


def message_version(data: bytes) -> int:
    """The msgVersion of a datagram (0, 1 or 3)."""
    start, stop = expect(data, 0, len(data), SEQUENCE)
    a, b = expect(data, start, stop, INTEGER)
    return decode_int(data, a, b)


@dataclass(slots=True)
class CommunityMessage:
    """A v1/v2c message: version, community and the PDU."""

    version: int
    community: bytes
    pdu: Pdu


def decode_community_message(data: bytes) -> CommunityMessage:
    """Decode a v1/v2c datagram."""
    start, stop = expect(data, 0, len(data), SEQUENCE)
    a, b = expect(data, start, stop, INTEGER)
    version = decode_int(data, a, b)
    c, d = expect(data, b, stop, OCTET_STRING)
    return CommunityMessage(version, data[c:d], decode_pdu(data, d, stop))


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    """Encode a v1/v2c message around an encoded PDU."""
    return sequence(encode_integer(version), octets(community), pdu)


def community_overhead(community: bytes) -> int:
    """Upper bound of the bytes a v2c response adds around its varbinds."""
    return 32 + len(community)


@dataclass(slots=True)
class V3Message:
    """A decoded v3 message with its USM security parameters.

    ``auth_offset`` is where ``auth_params`` sits in the datagram, so the digest can be checked
    over the message with those bytes zeroed. ``scoped`` is the plaintext scopedPDU TLV, or the
    ciphertext when the privacy flag is set.
    """

    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    auth_params: bytes
    auth_offset: int
    priv_params: bytes
    scoped: bytes


def decode_v3_message(data: bytes) -> V3Message:
    """Decode a v3 datagram (USM security model only)."""
    start, stop = expect(data, 0, len(data), SEQUENCE)
    _, cursor = expect(data, start, stop, INTEGER)
    h_start, h_stop = expect(data, cursor, stop, SEQUENCE)
    header: list[int] = []
    pos = h_start
    for _ in range(2):
        a, b = expect(data, pos, h_stop, INTEGER)
        header.append(decode_int(data, a, b))
        pos = b
    f_start, f_stop = expect(data, pos, h_stop, OCTET_STRING)
    if f_stop - f_start != 1:
        raise BerError("msgFlags must be one octet")
    flags = data[f_start]
    a, b = expect(data, f_stop, h_stop, INTEGER)
    if decode_int(data, a, b) != USM_SECURITY_MODEL:
        raise BerError("only the user-based security model is supported")
    s_start, s_stop = expect(data, h_stop, stop, OCTET_STRING)
    u_start, u_stop = expect(data, s_start, s_stop, SEQUENCE)
    strings: list[tuple[int, int]] = []
    numbers: list[int] = []
    pos = u_start
    for tag in (OCTET_STRING, INTEGER, INTEGER, OCTET_STRING, OCTET_STRING, OCTET_STRING):
        a, b = expect(data, pos, u_stop, tag)
        if tag == INTEGER:
            numbers.append(decode_int(data, a, b))
        else:
            strings.append((a, b))
        pos = b
    (e0, e1), (n0, n1), (a0, a1), (p0, p1) = strings
    d_tag, d_start, d_stop = read_header(data, s_stop, stop)
    if d_tag not in (SEQUENCE, OCTET_STRING):
        raise BerError("msgData is neither a scopedPDU nor encrypted octets")
    return V3Message(
        msg_id=header[0],
        max_size=header[1],
        flags=flags,
        engine_id=data[e0:e1],
        boots=numbers[0],
        time=numbers[1],
        user=data[n0:n1],
        auth_params=data[a0:a1],
        auth_offset=a0,
        priv_params=data[p0:p1],
        scoped=data[s_stop:d_stop] if d_tag == SEQUENCE else data[d_start:d_stop],
    )


def decode_scoped_pdu(data: bytes) -> tuple[bytes, bytes, Pdu]:
    """contextEngineID, contextName and the PDU of a plaintext scopedPDU.

    Decrypted scopedPDUs carry padding after the SEQUENCE (for block ciphers); it is ignored.
    """
    start, stop = expect(data, 0, len(data), SEQUENCE)
    a, b = expect(data, start, stop, OCTET_STRING)
    c, d = expect(data, b, stop, OCTET_STRING)
    return data[a:b], data[c:d], decode_pdu(data, d, stop)


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    """A plaintext scopedPDU."""
    return sequence(octets(context_engine_id), octets(context_name), pdu)


def encode_v3_message(
    *,
    msg_id: int,
    max_size: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    time: int,
    user: bytes,
    auth_length: int,
    priv_params: bytes,
    msg_data: bytes,
) -> tuple[bytes, int]:
    """A v3 message with ``auth_length`` zero bytes as authentication parameters.

    Returns the message and the offset of those bytes, where the digest is written afterwards.
    ``msg_data`` is the scopedPDU TLV, or the OCTET STRING TLV of the ciphertext.
    """
    head = encode_integer(VERSION_3) + sequence(
        encode_integer(msg_id),
        encode_integer(max_size),
        tlv(OCTET_STRING, bytes((flags,))),
        encode_integer(USM_SECURITY_MODEL),
    )
    before_auth = octets(engine_id) + encode_integer(boots) + encode_integer(time) + octets(user)
    auth = tlv(OCTET_STRING, bytes(auth_length))
    priv = octets(priv_params)
    usm = sequence(before_auth, auth, priv)
    security = tlv(OCTET_STRING, usm)
    body = head + security + msg_data
    message = tlv(SEQUENCE, body)
    outer = len(message) - len(body)
    security_header = len(security) - len(usm)
    usm_header = len(usm) - len(before_auth) - len(auth) - len(priv)
    offset = outer + len(head) + security_header + usm_header + len(before_auth) + len(auth) - auth_length
    return message, offset


def v3_overhead(engine_id: bytes, user: bytes) -> int:
    """Upper bound of the bytes a v3 response adds around its varbinds (authPriv, 24-byte digest)."""
    return 110 + 2 * len(engine_id) + len(user)
