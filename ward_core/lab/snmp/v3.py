"""SNMPv3 message processing for an authoritative engine with the user-based security model.

The checks run in RFC 3414 section 3.2 order, each failure answered with the REPORT a real agent
sends (when the request is reportable)::

    engineID is not this engine's      -> usmStatsUnknownEngineIDs   (discovery; noAuthNoPriv)
    user unknown                       -> usmStatsUnknownUserNames   (noAuthNoPriv)
    digest wrong                       -> usmStatsWrongDigests       (noAuthNoPriv)
    boots differ or time off by >150 s -> usmStatsNotInTimeWindows   (authNoPriv, with this
                                                                      engine's boots and time)
    ciphertext undecryptable           -> usmStatsDecryptionErrors   (noAuthNoPriv)

A report carries the request-id of the request whenever it can be read (clients such as gufo-snmp
match on it), the msgID always. The lab's user is authPriv only: a request below that level gets
``authorizationError``, as a VACM view for ``rouser ... priv`` gives.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from ward_core.lab.snmp.ber import REPORT, Oid, counter32, octets
from ward_core.lab.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    Pdu,
    V3Message,
    decode_scoped_pdu,
    decode_v3_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3_message,
    v3_overhead,
    varbind,
)
from ward_core.lab.snmp.responder import AUTHORIZATION_ERROR, error_response
from ward_core.lab.snmp.usm import LocalizedKeys, UsmUser, decrypt, encrypt, sign, verify

USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
UNSUPPORTED_SEC_LEVELS = (*USM_STATS, 1, 0)
NOT_IN_TIME_WINDOWS = (*USM_STATS, 2, 0)
UNKNOWN_USER_NAMES = (*USM_STATS, 3, 0)
UNKNOWN_ENGINE_IDS = (*USM_STATS, 4, 0)
WRONG_DIGESTS = (*USM_STATS, 5, 0)
DECRYPTION_ERRORS = (*USM_STATS, 6, 0)

TIME_WINDOW = 150
MIN_MESSAGE_SIZE = 484

Answer = Callable[[Pdu, int], bytes | None]
"""Answers a decoded request PDU within a varbind budget (bytes); None means no answer."""


class V3Processor:
    """Receives v3 requests for any of the lab's engines and wraps the answers (one per lab)."""

    def __init__(self, user: UsmUser, max_size: int) -> None:
        self.user = user
        self.max_size = max_size
        self.stats: dict[Oid, int] = dict.fromkeys(
            (
                UNSUPPORTED_SEC_LEVELS,
                NOT_IN_TIME_WINDOWS,
                UNKNOWN_USER_NAMES,
                UNKNOWN_ENGINE_IDS,
                WRONG_DIGESTS,
                DECRYPTION_ERRORS,
            ),
            0,
        )
        self._salt = secrets.randbits(64)

    def handle(
        self,
        data: bytes,
        engine_id: bytes,
        boots: int,
        time: int,
        answer: Answer,
        *,
        refuse_auth: bool = False,
    ) -> bytes | None:
        """The datagram to send back for ``data`` (a report or a response), or None for silence.

        ``refuse_auth`` makes every digest wrong, the way a device with changed keys behaves.
        Raises BerError when the datagram is not a well-formed v3 message.
        """
        msg = decode_v3_message(data)
        level = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        if level == FLAG_PRIV:
            return None
        clock = (engine_id, boots, time)
        if msg.engine_id != engine_id:
            return self._report(msg, clock, UNKNOWN_ENGINE_IDS, self._plain_request_id(msg))
        if msg.user != self.user.name:
            return self._report(msg, clock, UNKNOWN_USER_NAMES, self._plain_request_id(msg))
        keys = self.user.keys(engine_id)
        if level & FLAG_AUTH:
            protocol = self.user.protocol
            if refuse_auth or not verify(protocol, keys.auth, data, msg.auth_offset, msg.auth_params):
                return self._report(msg, clock, WRONG_DIGESTS, self._plain_request_id(msg))
            if msg.boots != boots or abs(msg.time - time) > TIME_WINDOW:
                return self._report(msg, clock, NOT_IN_TIME_WINDOWS, self._request_id(msg, keys), keys)
        try:
            _, context_name, pdu = decode_scoped_pdu(_plaintext(msg, keys))
        except (ValueError, IndexError):
            if level & FLAG_PRIV:
                return self._report(msg, clock, DECRYPTION_ERRORS, 0)
            raise
        if level != FLAG_AUTH | FLAG_PRIV:
            response = error_response(pdu, AUTHORIZATION_ERROR) if pdu.tag != REPORT else None
        else:
            limit = min(self.max_size, max(msg.max_size, MIN_MESSAGE_SIZE))
            response = answer(pdu, limit - v3_overhead(engine_id, msg.user))
        if response is None:
            return None
        return self._wrap(msg, clock, level, keys, encode_scoped_pdu(engine_id, context_name, response))

    def _plain_request_id(self, msg: V3Message) -> int:
        return 0 if msg.flags & FLAG_PRIV else self._request_id(msg, None)

    def _request_id(self, msg: V3Message, keys: LocalizedKeys | None) -> int:
        try:
            return decode_scoped_pdu(_plaintext(msg, keys))[2].request_id
        except (ValueError, IndexError):
            return 0

    def _report(
        self,
        msg: V3Message,
        clock: tuple[bytes, int, int],
        counter: Oid,
        request_id: int,
        keys: LocalizedKeys | None = None,
    ) -> bytes | None:
        self.stats[counter] += 1
        if not msg.flags & FLAG_REPORTABLE:
            return None
        pdu = encode_pdu(REPORT, request_id, 0, 0, [varbind(counter, counter32(self.stats[counter]))])
        scoped = encode_scoped_pdu(clock[0], b"", pdu)
        return self._wrap(msg, clock, FLAG_AUTH if keys else 0, keys, scoped)

    def _wrap(
        self,
        msg: V3Message,
        clock: tuple[bytes, int, int],
        level: int,
        keys: LocalizedKeys | None,
        scoped: bytes,
    ) -> bytes:
        engine_id, boots, time = clock
        priv_params = b""
        if level & FLAG_PRIV and keys is not None:
            priv_params = self._next_salt()
            scoped = octets(encrypt(keys.priv, boots, time, priv_params, scoped))
        protocol = self.user.protocol
        message, offset = encode_v3_message(
            msg_id=msg.msg_id,
            max_size=self.max_size,
            flags=level,
            engine_id=engine_id,
            boots=boots,
            time=time,
            user=msg.user,
            auth_length=protocol.digest_length if level & FLAG_AUTH else 0,
            priv_params=priv_params,
            msg_data=scoped,
        )
        if level & FLAG_AUTH and keys is not None:
            message = sign(protocol, keys.auth, message, offset)
        return message

    def _next_salt(self) -> bytes:
        self._salt = (self._salt + 1) & ((1 << 64) - 1)
        return self._salt.to_bytes(8, "big")


def _plaintext(msg: V3Message, keys: LocalizedKeys | None) -> bytes:
    """The scopedPDU of ``msg``, decrypted when the privacy flag is set."""
    if not msg.flags & FLAG_PRIV:
        return msg.scoped
    if keys is None:
        raise ValueError("an encrypted scopedPDU needs keys")
    return decrypt(keys.priv, msg.boots, msg.time, msg.priv_params, msg.scoped)
