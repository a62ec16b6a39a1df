"""Opening gufo-snmp sessions to devices from their inventory SNMP settings and credentials.

Shared by every first-party SNMP client (the ``snmp`` probes, the ``lldp`` neighbour collector),
so that a device's SNMP settings mean the same everywhere and v3 keys are hashed once per process.

The target (:class:`~ward_core.types.SnmpTarget`) says the version, port, v3 user and protocols;
the credential it names holds the secrets (``community`` for v2c, ``auth_key``/``priv_key`` for
v3), resolved by ward's :class:`~ward_core.inventory.credentials.CredentialResolver`. The v3 keys
in a credential are passwords, as net-snmp's ``-A``/``-X`` take them.

Password to key: RFC 3414 turns a password into a master key by hashing a megabyte of it (about
2 ms per password here), then localises the master key with each agent's engine ID. gufo-snmp
takes a password, a master key or a localised key; :class:`KeyCache` hashes each password once
per process and hands gufo master keys, which it localises after discovering the engine ID, so a
batch of a thousand v3 devices sharing a credential costs two hashes, not two thousand.

A session is opened per attempt and never shared between coroutines (gufo-snmp matches answers
to the one request in flight).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from threading import Lock

from gufo.snmp import (
    Aes128Key,
    Aes192Key,
    Aes256Key,
    BaseAuthKey,
    BasePrivKey,
    DesKey,
    Md5Key,
    Sha1Key,
    Sha224Key,
    Sha256Key,
    Sha384Key,
    Sha512Key,
    SnmpVersion,
    User,
)
from gufo.snmp.aio import SnmpSession
from gufo.snmp.user import KeyType

from ward_core.errors import ConfigError, InventoryError
from ward_core.inventory.credentials import CredentialResolver
from ward_core.types import DeviceTarget, SnmpAuthProtocol, SnmpPrivProtocol, SnmpTarget

AUTH_KEYS: dict[SnmpAuthProtocol, type[BaseAuthKey]] = {
    "md5": Md5Key,
    "sha": Sha1Key,
    "sha224": Sha224Key,
    "sha256": Sha256Key,
    "sha384": Sha384Key,
    "sha512": Sha512Key,
}
PRIV_KEYS: dict[SnmpPrivProtocol, type[BasePrivKey]] = {
    "des": DesKey,
    "aes128": Aes128Key,
    "aes192": Aes192Key,
    "aes256": Aes256Key,
}


V3_SECRETS = {"noAuthNoPriv": (), "authNoPriv": ("auth_key",), "authPriv": ("auth_key", "priv_key")}


def snmp_settings(device: DeviceTarget) -> SnmpTarget:
    """``device.snmp``, checked: ConfigError when absent, InventoryError when inconsistent."""
    snmp = device.snmp
    if snmp is None:
        raise ConfigError(f"device {device.name!r} has no SNMP settings (inventory field 'snmp')")
    if snmp.version == "3" and not snmp.user:
        raise InventoryError("SNMPv3 needs a user", location=f"device {device.name!r}", field="snmp.user")
    if snmp.version == "3" and snmp.priv_protocol is not None and snmp.auth_protocol is None:
        raise InventoryError(
            f"SNMPv3 privacy ({snmp.priv_protocol}) needs an auth_protocol too",
            location=f"device {device.name!r}",
            field="snmp.auth_protocol",
        )
    return snmp


def required_secrets(snmp: SnmpTarget) -> tuple[str, ...]:
    """The credential fields ``snmp``'s version and security level need.

    >>> required_secrets(SnmpTarget(version="3", credentials="c", user="u", auth_protocol="sha"))
    ('auth_key',)
    """
    if snmp.version == "2c":
        return ("community",)
    return V3_SECRETS[snmp.security_level or "noAuthNoPriv"]


class KeyCache:
    """Master keys by (hash algorithm, password), computed once; safe to share between threads."""

    def __init__(self) -> None:
        self._keys: dict[tuple[type[BaseAuthKey], str], bytes] = {}
        self._lock = Lock()

    def master_key(self, algorithm: type[BaseAuthKey], password: str) -> bytes:
        """The RFC 3414 master key of ``password`` under ``algorithm``'s hash."""
        with self._lock:
            key = self._keys.get((algorithm, password))
            if key is None:
                key = algorithm.get_master_key(password.encode())
                self._keys[(algorithm, password)] = key
            return key


@dataclass(frozen=True, slots=True)
class SessionTarget:
    """Everything needed to open sessions to one device: address, port and credentials.

    ``community`` is set for v2c, ``user`` for v3; ``version`` is what the inventory says.
    """

    device: str
    host: str
    port: int
    version: str
    community: str | None = None
    user: User | None = None

    def open(self, address: str, *, timeout: float, max_repetitions: int) -> SnmpSession:
        """A new session to ``address`` (the resolved ``host``); enter it to run v3 discovery."""
        if self.user is not None:
            return SnmpSession(
                address,
                port=self.port,
                user=self.user,
                version=SnmpVersion.v3,
                timeout=timeout,
                max_repetitions=max_repetitions,
            )
        return SnmpSession(
            address,
            port=self.port,
            community=self.community or "",
            version=SnmpVersion.v2c,
            timeout=timeout,
            max_repetitions=max_repetitions,
        )


class SessionFactory:
    """Builds :class:`SessionTarget` values from devices, resolving their credentials."""

    def __init__(self, resolver: CredentialResolver, keys: KeyCache | None = None) -> None:
        self._resolver = resolver
        self._keys = keys or KeyCache()

    def target(self, device: DeviceTarget) -> SessionTarget:
        """The session target of ``device``.

        Raises ConfigError when the device has no SNMP settings, InventoryError when they are
        inconsistent, CredentialError when its credential lacks a secret its security level needs.
        """
        snmp = snmp_settings(device)
        credential = self._resolver.resolve(
            snmp.credentials, device=device.name, require=required_secrets(snmp)
        )
        if snmp.version == "2c":
            assert credential.community is not None
            return SessionTarget(
                device.name, device.host, snmp.port, "2c", community=credential.community.reveal()
            )
        assert snmp.user is not None
        auth: BaseAuthKey | None = None
        priv: BasePrivKey | None = None
        if snmp.auth_protocol is not None and credential.auth_key is not None:
            algorithm = AUTH_KEYS[snmp.auth_protocol]
            auth = algorithm(
                self._keys.master_key(algorithm, credential.auth_key.reveal()), key_type=KeyType.Master
            )
            if snmp.priv_protocol is not None and credential.priv_key is not None:
                priv = PRIV_KEYS[snmp.priv_protocol](
                    self._keys.master_key(algorithm, credential.priv_key.reveal()), key_type=KeyType.Master
                )
        return SessionTarget(
            device.name, device.host, snmp.port, "3", user=User(snmp.user, auth_key=auth, priv_key=priv)
        )


async def resolve_address(host: str, port: int) -> str:
    """``host`` as an IP address text, resolving a name with the running loop's resolver.

    Raises OSError (``socket.gaierror``) when the name does not resolve.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    if not infos:
        raise socket.gaierror(f"{host!r} has no address")
    return str(infos[0][4][0])
