"""Session targets: credentials by security level, master keys computed once, clear errors."""

from __future__ import annotations

import asyncio

import pytest
from gufo.snmp import Aes256Key, DesKey, Md5Key, Sha1Key, Sha256Key
from gufo.snmp.user import KeyType

from ward_core.errors import ConfigError, CredentialError, InventoryError
from ward_core.inventory.credentials import CredentialResolver
from ward_core.snmp_sessions import KeyCache, SessionFactory, resolve_address
from ward_core.types import DeviceTarget, SnmpTarget

SECRETS = {
    "WARD_CRED_RO_COMMUNITY": "s3cret",
    "WARD_CRED_V3_AUTH_KEY": "auth-password",
    "WARD_CRED_V3_PRIV_KEY": "priv-password",
    "WARD_CRED_V3AUTH_AUTH_KEY": "only-auth-pw",
}


def factory(keys: KeyCache | None = None) -> SessionFactory:
    return SessionFactory(CredentialResolver(environ=SECRETS), keys)


def device(snmp: SnmpTarget | None) -> DeviceTarget:
    return DeviceTarget(name="edge1", host="192.0.2.1", platform="cisco_ios", snmp=snmp)


def test_v2c_takes_the_community() -> None:
    target = factory().target(device(SnmpTarget(version="2c", credentials="ro", port=1161)))
    assert (target.version, target.community, target.port, target.user) == ("2c", "s3cret", 1161, None)


def test_v2c_without_a_community_names_the_credential_and_the_device() -> None:
    with pytest.raises(CredentialError, match=r"credential 'v3' \(device 'edge1'\) has no community"):
        factory().target(device(SnmpTarget(version="2c", credentials="v3")))


@pytest.mark.parametrize(
    ("auth", "priv", "auth_class", "priv_class"),
    [
        ("sha", "aes128", Sha1Key, None),
        ("md5", "des", Md5Key, DesKey),
        ("sha256", "aes256", Sha256Key, Aes256Key),
    ],
)
def test_v3_auth_priv_gets_master_keys(
    auth: str, priv: str, auth_class: type, priv_class: type | None
) -> None:
    snmp = SnmpTarget(version="3", credentials="v3", user="ward", auth_protocol=auth, priv_protocol=priv)  # type: ignore[arg-type]
    user = factory().target(device(snmp)).user
    assert user is not None and user.name == "ward"
    assert isinstance(user.auth_key, auth_class)
    assert user.auth_key.key_type == KeyType.Master
    assert user.auth_key.key == auth_class.get_master_key(b"auth-password")
    assert user.priv_key is not None and user.priv_key.key_type == KeyType.Master
    if priv_class is not None:
        assert isinstance(user.priv_key, priv_class)
    assert user.priv_key.key.startswith(auth_class.get_master_key(b"priv-password")[: len(user.priv_key.key)])


def test_v3_auth_no_priv_needs_no_priv_key() -> None:
    snmp = SnmpTarget(version="3", credentials="v3auth", user="ward", auth_protocol="sha")
    user = factory().target(device(snmp)).user
    assert user is not None and user.auth_key is not None and user.priv_key is None


def test_v3_auth_priv_without_a_priv_key_names_the_field() -> None:
    snmp = SnmpTarget(
        version="3", credentials="v3auth", user="ward", auth_protocol="sha", priv_protocol="aes128"
    )
    with pytest.raises(CredentialError, match="has no priv_key"):
        factory().target(device(snmp))


def test_privacy_without_authentication_is_an_inventory_error() -> None:
    snmp = SnmpTarget(version="3", credentials="v3", user="ward", priv_protocol="aes128")
    with pytest.raises(InventoryError, match=r"device 'edge1', field 'snmp.auth_protocol'"):
        factory().target(device(snmp))


def test_a_device_without_snmp_settings() -> None:
    with pytest.raises(ConfigError, match="device 'edge1' has no SNMP settings"):
        factory().target(device(None))


def test_master_keys_are_computed_once_per_password() -> None:
    class CountingCache(KeyCache):
        computed = 0

        def master_key(self, algorithm: type, password: str) -> bytes:  # type: ignore[override]
            before = len(self._keys)
            key = super().master_key(algorithm, password)
            CountingCache.computed += len(self._keys) - before
            return key

    cache = CountingCache()
    made = factory(cache)
    snmp = SnmpTarget(version="3", credentials="v3", user="ward", auth_protocol="sha", priv_protocol="aes128")
    for n in range(50):
        made.target(DeviceTarget(name=f"d{n}", host="192.0.2.1", platform="x", snmp=snmp))
    assert CountingCache.computed == 2


def test_addresses_and_names_resolve() -> None:
    assert asyncio.run(resolve_address("192.0.2.7", 161)) == "192.0.2.7"
    assert asyncio.run(resolve_address("localhost", 161)) in {"127.0.0.1", "::1"}
