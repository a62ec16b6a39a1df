"""SNMPv3 processing: discovery, every USM report, and authPriv round trips, message by message."""

from __future__ import annotations

from ward_core.lab.snmp.ber import GET_REQUEST, NULL_VALUE, REPORT, RESPONSE, decode_value, octets
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
    varbind,
)
from ward_core.lab.snmp.responder import AUTHORIZATION_ERROR
from ward_core.lab.snmp.usm import SHA1, LocalizedKeys, UsmUser, decrypt, encrypt, sign, verify
from ward_core.lab.snmp.v3 import (
    DECRYPTION_ERRORS,
    NOT_IN_TIME_WINDOWS,
    UNKNOWN_ENGINE_IDS,
    UNKNOWN_USER_NAMES,
    WRONG_DIGESTS,
    V3Processor,
)

ENGINE = b"\x80\x00\x00\x09\x03\x00\x1e\xbd\x00\x10\x00"
BOOTS, TIME = 3, 5000
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
USER = UsmUser.from_passwords("ward", SHA1, "ward-lab-auth", "ward-lab-priv")


def answer(pdu: Pdu, budget: int) -> bytes:
    assert budget > 1000
    return encode_pdu(RESPONSE, pdu.request_id, 0, 0, [varbind(SYS_NAME, octets("sw1"))])


def request(
    *,
    flags: int = FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE,
    engine: bytes = ENGINE,
    user: bytes = b"ward",
    keys: LocalizedKeys | None = None,
    boots: int = BOOTS,
    time: int = TIME,
    request_id: int = 9001,
) -> bytes:
    keys = keys or USER.keys(ENGINE)
    scoped = encode_scoped_pdu(
        engine, b"", encode_pdu(GET_REQUEST, request_id, 0, 0, [varbind(SYS_NAME, NULL_VALUE)])
    )
    priv = b""
    if flags & FLAG_PRIV:
        priv = b"\x00\x00\x00\x00\x00\x00\x00\x07"
        scoped = octets(encrypt(keys.priv, boots, time, priv, scoped))
    message, offset = encode_v3_message(
        msg_id=4242,
        max_size=65507,
        flags=flags,
        engine_id=engine,
        boots=boots,
        time=time,
        user=user,
        auth_length=12 if flags & FLAG_AUTH else 0,
        priv_params=priv,
        msg_data=scoped,
    )
    return sign(SHA1, keys.auth, message, offset) if flags & FLAG_AUTH else message


def handle(data: bytes, *, refuse_auth: bool = False) -> tuple[V3Message, Pdu]:
    processor = V3Processor(USER, 1472)
    reply = processor.handle(data, ENGINE, BOOTS, TIME, answer, refuse_auth=refuse_auth)
    assert reply is not None
    message = decode_v3_message(reply)
    assert message.msg_id == 4242
    assert (message.engine_id, message.boots, message.time) == (ENGINE, BOOTS, TIME)
    keys = USER.keys(ENGINE)
    if message.flags & FLAG_AUTH:
        assert verify(SHA1, keys.auth, reply, message.auth_offset, message.auth_params)
    scoped = message.scoped
    if message.flags & FLAG_PRIV:
        scoped = decrypt(keys.priv, message.boots, message.time, message.priv_params, scoped)
    context_engine, _, pdu = decode_scoped_pdu(scoped)
    assert context_engine == ENGINE
    return message, pdu


def report_of(pdu: Pdu) -> tuple[tuple[int, ...], int]:
    assert pdu.tag == REPORT
    ((oid, value),) = pdu.varbinds
    count = decode_value(value, 0, len(value))[1]
    assert isinstance(count, int)
    return oid, count


def test_discovery_reports_unknown_engine_with_this_engines_clock() -> None:
    message, pdu = handle(request(flags=FLAG_REPORTABLE, engine=b"", user=b""))
    assert message.flags & (FLAG_AUTH | FLAG_PRIV) == 0
    assert message.user == b""
    assert report_of(pdu) == (UNKNOWN_ENGINE_IDS, 1)
    assert pdu.request_id == 9001


def test_non_reportable_requests_get_no_report() -> None:
    processor = V3Processor(USER, 1472)
    assert processor.handle(request(flags=0, engine=b"", user=b""), ENGINE, BOOTS, TIME, answer) is None
    assert processor.stats[UNKNOWN_ENGINE_IDS] == 1


def test_authpriv_request_gets_an_encrypted_signed_response() -> None:
    message, pdu = handle(request())
    assert message.flags == FLAG_AUTH | FLAG_PRIV
    assert (pdu.tag, pdu.request_id) == (RESPONSE, 9001)
    assert pdu.varbinds == [(SYS_NAME, octets("sw1"))]


def test_unknown_user() -> None:
    message, pdu = handle(request(user=b"mallory"))
    assert message.user == b"mallory"
    assert report_of(pdu)[0] == UNKNOWN_USER_NAMES


def test_wrong_digest_and_refused_auth() -> None:
    wrong = UsmUser.from_passwords("ward", SHA1, "another-password", "ward-lab-priv").keys(ENGINE)
    assert report_of(handle(request(keys=wrong))[1])[0] == WRONG_DIGESTS
    message, pdu = handle(request(), refuse_auth=True)
    assert message.flags & FLAG_AUTH == 0
    assert report_of(pdu)[0] == WRONG_DIGESTS


def test_outside_time_window_reports_authenticated_with_the_request_id() -> None:
    for boots, time in ((0, 0), (BOOTS, TIME + 151), (BOOTS + 1, TIME)):
        message, pdu = handle(request(boots=boots, time=time))
        assert message.flags & (FLAG_AUTH | FLAG_PRIV) == FLAG_AUTH
        assert report_of(pdu)[0] == NOT_IN_TIME_WINDOWS
        assert pdu.request_id == 9001
    assert handle(request(time=TIME - 150))[1].tag == RESPONSE


def test_undecryptable_scoped_pdu() -> None:
    keys = USER.keys(ENGINE)
    bad_priv = LocalizedKeys(keys.auth, bytes(16))
    assert report_of(handle(request(keys=bad_priv))[1])[0] == DECRYPTION_ERRORS


def test_below_auth_priv_is_not_authorized() -> None:
    message, pdu = handle(request(flags=FLAG_AUTH | FLAG_REPORTABLE))
    assert message.flags == FLAG_AUTH
    assert (pdu.tag, pdu.error_status) == (RESPONSE, AUTHORIZATION_ERROR)
    _, plain = handle(request(flags=FLAG_REPORTABLE))
    assert plain.error_status == AUTHORIZATION_ERROR
