"""Answering one PDU against a MIB view: GET, GETNEXT, GETBULK and SET (RFC 3416 section 4.2).

Responses are sized as they are built. ``budget`` is what the varbinds may take (the maximum
message size minus the wrapper): GET and GETNEXT answer ``tooBig`` when their varbinds exceed it,
GETBULK returns as many varbinds as fit, as real agents do, and ``tooBig`` only when not even one
fits. The lab is changed over SSH, so SET is refused: ``notWritable`` for an existing instance,
``noCreation`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from ward_core.lab.snmp.ber import (
    END_OF_MIB_VIEW_VALUE,
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    NO_SUCH_INSTANCE_VALUE,
    NO_SUCH_OBJECT_VALUE,
    RESPONSE,
    SEQUENCE,
    SET_REQUEST,
    Oid,
    encode_oid,
    sequence,
    tlv,
)
from ward_core.lab.snmp.message import Pdu, encode_pdu, varbind
from ward_core.lab.snmp.mib import Instance, MibView, RequestContext

TOO_BIG = 1
NO_ACCESS = 6
NO_CREATION = 11
AUTHORIZATION_ERROR = 16
NOT_WRITABLE = 17

MAX_REPETITIONS = 1000
"""Upper bound on max-repetitions honoured, whatever the request says (net-snmp caps it too)."""

C = TypeVar("C", bound=RequestContext)


def respond(view: MibView[C], ctx: C, pdu: Pdu, budget: int) -> bytes | None:
    """The encoded RESPONSE PDU, or None for PDU types an agent does not answer."""
    if pdu.tag == GET_REQUEST:
        return _sized(pdu, [varbind(oid, view.get(ctx, oid)) for oid, _ in pdu.varbinds], budget)
    if pdu.tag == GET_NEXT_REQUEST:
        return _sized(pdu, [_next(view, ctx, oid) for oid, _ in pdu.varbinds], budget)
    if pdu.tag == GET_BULK_REQUEST:
        return _bulk(view, ctx, pdu, budget)
    if pdu.tag == SET_REQUEST:
        return _refuse_set(view, ctx, pdu)
    return None


def _next(view: MibView[C], ctx: C, oid: Oid) -> bytes:
    for _, name, value in view.walk(ctx, oid):
        return sequence(name, value)
    return varbind(oid, END_OF_MIB_VIEW_VALUE)


def error_response(pdu: Pdu, status: int, index: int = 0) -> bytes:
    """A RESPONSE that echoes the request's varbinds with an error."""
    return encode_pdu(RESPONSE, pdu.request_id, status, index, [varbind(o, v) for o, v in pdu.varbinds])


def _sized(pdu: Pdu, varbinds: list[bytes], budget: int) -> bytes:
    if sum(len(v) for v in varbinds) > budget:
        return encode_pdu(RESPONSE, pdu.request_id, TOO_BIG, 0, [])
    return encode_pdu(RESPONSE, pdu.request_id, 0, 0, varbinds)


def _bulk(view: MibView[C], ctx: C, pdu: Pdu, budget: int) -> bytes:
    requested = [oid for oid, _ in pdu.varbinds]
    non_repeaters = min(max(pdu.error_status, 0), len(requested))
    repetitions = min(max(pdu.error_index, 0), MAX_REPETITIONS)
    out: list[bytes] = []
    used = 0
    for oid in requested[:non_repeaters]:
        encoded = _next(view, ctx, oid)
        used += len(encoded)
        if used > budget:
            return _truncated(pdu, out)
        out.append(encoded)
    repeaters = requested[non_repeaters:]
    walkers: list[Iterator[Instance] | None] = [view.walk(ctx, oid) for oid in repeaters]
    names = [encode_oid(oid) for oid in repeaters]
    for _ in range(repetitions if repeaters else 0):
        for k, walker in enumerate(walkers):
            found = None if walker is None else next(walker, None)
            if found is None:
                walkers[k] = None
                encoded = sequence(names[k], END_OF_MIB_VIEW_VALUE)
            else:
                names[k] = found[1]
                body = found[1] + found[2]
                size = len(body)
                encoded = bytes((SEQUENCE, size)) + body if size < 0x80 else tlv(SEQUENCE, body)
            used += len(encoded)
            if used > budget:
                return _truncated(pdu, out)
            out.append(encoded)
        if not any(walkers):
            break
    return encode_pdu(RESPONSE, pdu.request_id, 0, 0, out)


def _truncated(pdu: Pdu, out: list[bytes]) -> bytes:
    if not out:
        return encode_pdu(RESPONSE, pdu.request_id, TOO_BIG, 0, [])
    return encode_pdu(RESPONSE, pdu.request_id, 0, 0, out)


def _refuse_set(view: MibView[C], ctx: C, pdu: Pdu) -> bytes:
    if not pdu.varbinds:
        return error_response(pdu, 0)
    current = view.get(ctx, pdu.varbinds[0][0])
    exists = current not in (NO_SUCH_OBJECT_VALUE, NO_SUCH_INSTANCE_VALUE)
    return error_response(pdu, NOT_WRITABLE if exists else NO_CREATION, 1)
