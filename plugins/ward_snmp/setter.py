"""SNMP SET on pysnmp (gufo-snmp cannot write): for remediation, e.g. shutting an interface down.

::

    async with SnmpSetter(resolver, timeout=2.0, retries=1) as setter:
        await setter.set(device, [(oids.IF_ADMIN_STATUS.instance(7), 2)], credential="core-snmp-rw")

    set_if_admin_status(device, 7, up=False, resolver=resolver, credential="core-snmp-rw")  # blocking

The device's :class:`~ward_core.types.SnmpTarget` gives the version, port, v3 user and protocols;
``credential`` names the credential holding the write community or v3 keys (the target's own
credential when omitted: read-only communities are usually separate from write ones).

Values: ``int`` is sent as INTEGER, ``str`` and ``bytes`` as OCTET STRING; :class:`Typed` sends
another SMI type (``Typed("unsigned", 10)``, ``Typed("ip", "10.0.0.1")``, ``Typed("oid", "1.3.6")``...).

pysnmp casts a value to the type its own MIBs give the object (SNMPv2-MIB's system group, the
SNMP framework MIBs) and, when the types differ, sends garbage (an INTEGER 42 for sysLocation went
out as 42 zero bytes): such a value is refused here with a ConfigError before anything is sent.

Errors, as the rest of ward's: no answer is :class:`~ward_core.errors.DeviceUnreachable`
("timeout (no answer or wrong community)" on v2c), a refused v3 user or key
:class:`~ward_core.errors.AuthenticationFailed`, an error status from the agent (notWritable,
noAccess, wrongType...) :class:`~ward_core.errors.CommandRejected` naming the status and the OID.
pysnmp loads only when this module is imported; one engine serves every SET of a setter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeAlias

from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_AUTH_NONE,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES_BLUMENTHAL,
    USM_PRIV_CFB256_AES_BLUMENTHAL,
    USM_PRIV_NONE,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    set_cmd,
)
from pysnmp.hlapi.varbinds import MibViewControllerManager
from pysnmp.proto import errind, rfc1902

from ward_core.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConfigError,
    DeviceError,
    DeviceUnreachable,
)
from ward_core.inventory.credentials import CredentialResolver
from ward_core.snmp_sessions import required_secrets, snmp_settings
from ward_core.types import DeviceTarget
from ward_snmp import PLUGIN
from ward_snmp.failures import V2C_TIMEOUT, V3_TIMEOUT
from ward_snmp.loop import run_sync
from ward_snmp.oids import IF_ADMIN_STATUS
from ward_snmp.trap_decode import TrapValue, plain

AUTH_PROTOCOLS = {
    "md5": USM_AUTH_HMAC96_MD5,
    "sha": USM_AUTH_HMAC96_SHA,
    "sha224": USM_AUTH_HMAC128_SHA224,
    "sha256": USM_AUTH_HMAC192_SHA256,
    "sha384": USM_AUTH_HMAC256_SHA384,
    "sha512": USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "des": USM_PRIV_CBC56_DES,
    "aes128": USM_PRIV_CFB128_AES,
    "aes192": USM_PRIV_CFB192_AES_BLUMENTHAL,
    "aes256": USM_PRIV_CFB256_AES_BLUMENTHAL,
}
AUTH_INDICATIONS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.UnsupportedSecurityLevel,
    errind.DecryptionError,
)
ADMIN_UP, ADMIN_DOWN = 1, 2

TypeName: TypeAlias = Literal["integer", "unsigned", "gauge", "counter", "timeticks", "ip", "oid", "octets"]
_TYPES: dict[str, type[Any]] = {
    "integer": rfc1902.Integer32,
    "unsigned": rfc1902.Unsigned32,
    "gauge": rfc1902.Gauge32,
    "counter": rfc1902.Counter32,
    "timeticks": rfc1902.TimeTicks,
    "ip": rfc1902.IpAddress,
    "oid": rfc1902.ObjectIdentifier,
    "octets": rfc1902.OctetString,
}


@dataclass(frozen=True, slots=True)
class Typed:
    """A value sent as SMI type ``type`` (see the module docstring)."""

    type: TypeName
    value: int | str | bytes


SetValue: TypeAlias = int | str | bytes | Typed


def encode_value(value: SetValue) -> Any:
    """The pysnmp object sent for ``value``.

    >>> [encode_value(v).prettyPrint() for v in (2, "rack 9", Typed("ip", "10.0.0.1"))]
    ['2', 'rack 9', '10.0.0.1']
    """
    if isinstance(value, Typed):
        if value.type not in _TYPES:
            raise ConfigError(f"unknown SNMP SET type {value.type!r} (known: {', '.join(_TYPES)})")
        return _TYPES[value.type](value.value)
    if isinstance(value, bool):
        raise ConfigError("SNMP SET of a bool: send 1/2 (TruthValue) or a Typed value")
    if isinstance(value, int):
        return rfc1902.Integer32(value)
    return rfc1902.OctetString(value)


class SnmpSetter:
    """SETs through one pysnmp engine; use ``async with`` so the engine's sockets close."""

    def __init__(self, resolver: CredentialResolver, *, timeout: float = 2.0, retries: int = 1) -> None:
        self._resolver = resolver
        self._timeout = timeout
        self._retries = retries
        self._engine: SnmpEngine | None = None

    async def __aenter__(self) -> SnmpSetter:
        self._engine = SnmpEngine()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None

    def _auth(self, device: DeviceTarget, credential_name: str | None) -> CommunityData | UsmUserData:
        snmp = snmp_settings(device)
        name = credential_name or snmp.credentials
        credential = self._resolver.resolve(name, device=device.name, require=required_secrets(snmp))
        if snmp.version == "2c":
            assert credential.community is not None
            return CommunityData(credential.community.reveal(), mpModel=1)
        auth_key = credential.auth_key.reveal() if credential.auth_key and snmp.auth_protocol else None
        priv_key = credential.priv_key.reveal() if credential.priv_key and snmp.priv_protocol else None
        return UsmUserData(
            snmp.user,
            authKey=auth_key,
            privKey=priv_key,
            authProtocol=AUTH_PROTOCOLS[snmp.auth_protocol]
            if auth_key and snmp.auth_protocol
            else USM_AUTH_NONE,
            privProtocol=PRIV_PROTOCOLS[snmp.priv_protocol]
            if priv_key and snmp.priv_protocol
            else USM_PRIV_NONE,
        )

    def _binding(self, oid: str, value: SetValue) -> ObjectType:
        """``(oid, value)`` as pysnmp sends it; ConfigError when pysnmp's MIBs type ``oid`` otherwise."""
        assert self._engine is not None
        encoded = encode_value(value)
        controller = MibViewControllerManager.get_mib_view_controller(self._engine.cache)
        binding = ObjectType(ObjectIdentity(oid), encoded).resolve_with_mib(controller)
        declared = type(binding[1])
        if declared.tagSet != encoded.tagSet:
            name = binding[0].prettyPrint()
            raise ConfigError(
                f"SNMP SET of {oid} ({name}): its MIB type is {declared.__name__}, "
                f"not {type(encoded).__name__} (value {value!r})"
            )
        return binding

    async def set(
        self,
        device: DeviceTarget,
        values: Sequence[tuple[str, SetValue]],
        *,
        credential: str | None = None,
    ) -> tuple[tuple[str, TrapValue], ...]:
        """SET every ``(oid, value)`` of ``values`` in one request; the agent's answer, as plain values.

        Raises the ward errors listed in the module docstring, each naming the device.
        """
        if self._engine is None:
            raise RuntimeError("use the setter as 'async with SnmpSetter(...) as setter'")
        if not values:
            raise ConfigError("an SNMP SET needs at least one (oid, value)")
        auth = self._auth(device, credential)
        assert device.snmp is not None
        try:
            target = await UdpTransportTarget.create(
                (device.host, device.snmp.port), timeout=self._timeout, retries=self._retries
            )
        except Exception as exc:
            raise DeviceUnreachable(
                f"cannot reach {device.host}: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
        bindings = [self._binding(oid, value) for oid, value in values]
        indication, status, index, answer = await set_cmd(
            self._engine, auth, target, ContextData(), *bindings, lookupMib=False
        )
        if indication:
            text = str(indication)
            if isinstance(indication, errind.RequestTimedOut):
                what = V3_TIMEOUT if device.snmp.version == "3" else V2C_TIMEOUT
                raise DeviceUnreachable(f"SNMP SET: {what}", device=device.name, plugin=PLUGIN)
            if isinstance(indication, AUTH_INDICATIONS):
                raise AuthenticationFailed(f"SNMP SET refused: {text}", device=device.name, plugin=PLUGIN)
            raise DeviceError(f"SNMP SET failed: {text}", device=device.name, plugin=PLUGIN)
        if int(status):
            position = int(index)
            oid = values[position - 1][0] if 0 < position <= len(values) else "?"
            raise CommandRejected(
                f"SNMP SET of {oid} refused: {status.prettyPrint()}", device=device.name, plugin=PLUGIN
            )
        return tuple((str(oid), plain(value)) for oid, value in answer)


def set_values(
    device: DeviceTarget,
    values: Sequence[tuple[str, SetValue]],
    *,
    resolver: CredentialResolver,
    credential: str | None = None,
    timeout: float = 2.0,
    retries: int = 1,
) -> tuple[tuple[str, TrapValue], ...]:
    """Blocking :meth:`SnmpSetter.set` of one request (its own engine, closed afterwards)."""

    async def run() -> tuple[tuple[str, TrapValue], ...]:
        async with SnmpSetter(resolver, timeout=timeout, retries=retries) as setter:
            return await setter.set(device, values, credential=credential)

    return run_sync(run())


def set_if_admin_status(
    device: DeviceTarget,
    if_index: int,
    *,
    up: bool,
    resolver: CredentialResolver,
    credential: str | None = None,
    timeout: float = 2.0,
) -> None:
    """Set ifAdminStatus of interface ``if_index`` to up(1) or down(2); blocking."""
    value = ADMIN_UP if up else ADMIN_DOWN
    set_values(
        device,
        [(IF_ADMIN_STATUS.instance(if_index), value)],
        resolver=resolver,
        credential=credential,
        timeout=timeout,
    )
