"""Opening a gufo-snmp session to a device from its inventory SNMP settings and credential.

The target (:class:`~ward_core.types.SnmpTarget`) gives the version, port, v3 user and protocols;
the credential it names holds the secrets: ``community`` for v2c, ``auth_key``/``priv_key``
(passwords, as net-snmp takes them) for v3. Turning a v3 password into a key hashes a megabyte,
so master keys are computed once per password and process (:class:`KeyCache`); gufo localises
them with each agent's engine ID.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
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

from ward_core.errors import ConfigError
from ward_core.inventory.credentials import CredentialResolver
from ward_core.types import DeviceTarget, SnmpAuthProtocol, SnmpPrivProtocol

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


class KeyCache:
    """RFC 3414 master keys by (hash, password), computed once; safe to share between threads."""

    def __init__(self) -> None:
        self._keys: dict[tuple[type[BaseAuthKey], str], bytes] = {}
        self._lock = Lock()

    def master_key(self, algorithm: type[BaseAuthKey], password: str) -> bytes:
        """The master key of ``password`` under ``algorithm``'s hash."""
        with self._lock:
            key = self._keys.get((algorithm, password))
            if key is None:
                key = algorithm.get_master_key(password.encode())
                self._keys[(algorithm, password)] = key
            return key


async def resolve_address(host: str, port: int) -> str:
    """``host`` as an IP address text (a name resolved by the running loop)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    if not infos:
        raise socket.gaierror(f"{host!r} has no address")
    return str(infos[0][4][0])


class Sessions:
    """Builds sessions for devices, resolving their credentials by name."""

    def __init__(self, resolver: CredentialResolver, keys: KeyCache | None = None) -> None:
        self._resolver = resolver
        self._keys = keys or KeyCache()

    def _user(self, device: DeviceTarget) -> User:
        snmp = device.snmp
        assert snmp is not None
        if snmp.user is None:
            raise ConfigError(f"device {device.name!r}: SNMPv3 needs a user (inventory field 'snmp.user')")
        required = ("auth_key", "priv_key")[
            : {"authPriv": 2, "authNoPriv": 1}.get(snmp.security_level or "", 0)
        ]
        credential = self._resolver.resolve(snmp.credentials, device=device.name, require=required)
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
        return User(snmp.user, auth_key=auth, priv_key=priv)

    def open(
        self, device: DeviceTarget, address: str, *, timeout: float, max_repetitions: int
    ) -> SnmpSession:
        """A new session to ``device`` at ``address``; enter it (``async with``) before use.

        Raises ConfigError when the device has no SNMP settings, CredentialError when its
        credential lacks a secret its version or security level needs.
        """
        snmp = device.snmp
        if snmp is None:
            raise ConfigError(f"device {device.name!r} has no SNMP settings (inventory field 'snmp')")
        if snmp.version == "3":
            return SnmpSession(
                address,
                port=snmp.port,
                user=self._user(device),
                version=SnmpVersion.v3,
                timeout=timeout,
                max_repetitions=max_repetitions,
            )
        credential = self._resolver.resolve(snmp.credentials, device=device.name, require=("community",))
        assert credential.community is not None
        return SnmpSession(
            address,
            port=snmp.port,
            community=credential.community.reveal(),
            version=SnmpVersion.v2c,
            timeout=timeout,
            max_repetitions=max_repetitions,
        )
