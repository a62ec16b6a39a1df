"""USM keys and cryptography against RFC 3414's vectors and gufo-snmp's independent implementation."""

from __future__ import annotations

import pytest
from gufo.snmp import Md5Key, Sha1Key, Sha256Key

from ward_core.errors import LabError
from ward_core.lab.snmp.credentials import SnmpCredentials
from ward_core.lab.snmp.usm import (
    MD5,
    SHA1,
    SHA256,
    AuthProtocol,
    UsmUser,
    decrypt,
    encrypt,
    localize_key,
    password_to_key,
    sign,
    verify,
)

RFC_ENGINE = bytes.fromhex("000000000000000000000002")


@pytest.mark.parametrize(
    ("protocol", "master", "localized"),
    [
        (MD5, "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
        (SHA1, "9fb5cc0381497b3793528939ff788d5d79145211", "6695febc9288e36282235fc7151f128497b38f3f"),
    ],
)
def test_rfc3414_appendix_a3_vectors(protocol: AuthProtocol, master: str, localized: str) -> None:
    key = password_to_key(b"maplesyrup", protocol)
    assert key.hex() == master
    assert localize_key(key, RFC_ENGINE, protocol).hex() == localized


@pytest.mark.parametrize(("protocol", "gufo_key"), [(MD5, Md5Key), (SHA1, Sha1Key), (SHA256, Sha256Key)])
def test_keys_agree_with_gufo_snmp(protocol: AuthProtocol, gufo_key: type[Sha1Key]) -> None:
    engine = b"\x80\x00\x00\x09\x03\x00\x1e\xbd\x00\x10\x00"
    master = password_to_key(b"ward-lab-auth", protocol)
    assert master == gufo_key.get_master_key(b"ward-lab-auth")
    assert localize_key(master, engine, protocol) == gufo_key.get_localized_key(master, engine)


def test_localized_keys_are_cached_per_engine() -> None:
    user = UsmUser.from_passwords("ward", SHA256, "auth-password", "priv-password")
    first = user.keys(b"engine-1")
    assert user.keys(b"engine-1") is first
    assert user.keys(b"engine-2") != first
    assert len(first.auth) == 32
    assert len(first.priv) == 16


@pytest.mark.parametrize("protocol", [MD5, SHA1, SHA256])
def test_digest_detects_any_change(protocol: AuthProtocol) -> None:
    key = localize_key(password_to_key(b"secret-pass", protocol), b"engine", protocol)
    offset = 10
    message = bytes(range(10)) + bytes(protocol.digest_length) + b"payload"
    signed = sign(protocol, key, message, offset)
    mac = signed[offset : offset + protocol.digest_length]
    assert mac != bytes(protocol.digest_length)
    assert verify(protocol, key, signed, offset, mac)
    tampered = signed[:-1] + b"X"
    assert not verify(protocol, key, tampered, offset, mac)
    assert not verify(protocol, key, signed, offset, mac[:-1])


def test_aes_round_trip_depends_on_boots_time_and_salt() -> None:
    key = bytes(range(16))
    plaintext = b"scoped pdu bytes of odd length!"
    ciphertext = encrypt(key, 3, 1000, b"saltsalt", plaintext)
    assert len(ciphertext) == len(plaintext)
    assert decrypt(key, 3, 1000, b"saltsalt", ciphertext) == plaintext
    assert decrypt(key, 3, 1001, b"saltsalt", ciphertext) != plaintext
    with pytest.raises(ValueError):
        decrypt(key, 3, 1000, b"short", ciphertext)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"community": ""}, "community"),
        ({"auth_password": "short"}, "auth_password"),
        ({"priv_password": "1234567"}, "priv_password"),
        ({"auth_protocol": "SHA-1024"}, "auth_protocol"),
        ({"v3_user": ""}, "v3_user"),
    ],
)
def test_bad_credentials_name_the_field(fields: dict[str, str], named: str) -> None:
    with pytest.raises(LabError, match=named):
        SnmpCredentials(**fields)
