"""The inventory as the rest of ward sees it: plain, typed, read-only records.

:class:`DeviceRecord` is what probes, pollers, backups and the Nornir plugin receive; it carries
credential *names* only. :class:`SnmpSettings` is shared with the inventory file schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

NAME_MAX = 255
_WHITESPACE = re.compile(r"\s")


def check_name(value: str) -> str:
    """Names (devices, sites, groups, credentials) are 1-255 characters without whitespace.

    >>> check_name("br001-rtr1")
    'br001-rtr1'
    >>> check_name("br 001")
    Traceback (most recent call last):
    ...
    ValueError: a name cannot contain whitespace
    """
    if not value:
        raise ValueError("a name cannot be empty")
    if len(value) > NAME_MAX:
        raise ValueError(f"a name has at most {NAME_MAX} characters")
    if _WHITESPACE.search(value):
        raise ValueError("a name cannot contain whitespace")
    return value


def number_as_text(value: Any) -> Any:
    """YAML reads ``name: 1001`` as a number; names are text.

    >>> number_as_text(1001), number_as_text(True), number_as_text("r1")
    ('1001', True, 'r1')
    """
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Name = Annotated[str, BeforeValidator(number_as_text), AfterValidator(check_name)]
"""A device, site, group or credential name (numbers in YAML are taken as text)."""
SnmpVersion = Literal["2c", "3"]
AuthProtocol = Literal["sha", "sha256", "md5"]
PrivProtocol = Literal["aes128", "aes256", "des"]


class SnmpSettings(BaseModel):
    """How to reach a device over SNMP. ``credentials`` names the credential holding the secrets:
    ``community`` for v2c, ``auth_key``/``priv_key`` for v3."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: SnmpVersion
    credentials: Name
    port: int = Field(default=161, ge=1, le=65535)
    user: str | None = Field(default=None, validate_default=True)
    auth_protocol: AuthProtocol | None = Field(default=None, validate_default=True)
    priv_protocol: PrivProtocol | None = Field(default=None, validate_default=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        """YAML reads ``version: 3`` as a number; accept it as ``"3"``."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("user")
    @classmethod
    def _user_for_v3(cls, value: str | None, info: ValidationInfo) -> str | None:
        version = info.data.get("version")
        if version == "3" and not value:
            raise ValueError("SNMP v3 needs a user")
        if version == "2c" and value is not None:
            raise ValueError("only SNMP v3 has a user")
        return value

    @field_validator("auth_protocol")
    @classmethod
    def _auth_for_v3(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("version") == "2c" and value is not None:
            raise ValueError("only SNMP v3 has an auth protocol")
        return value

    @field_validator("priv_protocol")
    @classmethod
    def _priv_needs_auth(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("version") == "2c":
            raise ValueError("only SNMP v3 has a privacy protocol")
        if info.data.get("auth_protocol") is None:
            raise ValueError("privacy needs an auth_protocol too")
        return value

    @property
    def security_level(self) -> str | None:
        """The v3 security level (``noAuthNoPriv``, ``authNoPriv``, ``authPriv``); None for v2c."""
        if self.version != "3":
            return None
        if self.priv_protocol:
            return "authPriv"
        return "authNoPriv" if self.auth_protocol else "noAuthNoPriv"


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """One device as stored. ``groups`` are the static groups it belongs to."""

    name: str
    host: str
    platform: str
    port: int = 22
    site: str | None = None
    region: str | None = None
    role: str | None = None
    tags: tuple[str, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    snmp: SnmpSettings | None = None
    credentials: str | None = None
    groups: tuple[str, ...] = ()

    def filter_subject(self) -> dict[str, Any]:
        """The attributes a dynamic-group filter sees (see :mod:`ward_core.inventory.filters`)."""
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "platform": self.platform,
            "role": self.role,
            "site": self.site,
            "site.region": self.region,
            "tags": list(self.tags),
            "groups": list(self.groups),
            "vars": self.vars,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (credential and SNMP credential *names* only, never secrets)."""
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "platform": self.platform,
            "site": self.site,
            "region": self.region,
            "role": self.role,
            "tags": list(self.tags),
            "vars": self.vars,
            "snmp": self.snmp.model_dump() if self.snmp else None,
            "credentials": self.credentials,
            "groups": list(self.groups),
        }


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group as stored: static groups list ``members``, dynamic ones have a ``filter``."""

    name: str
    kind: Literal["static", "dynamic"]
    filter: str | None = None
    description: str | None = None
    members: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "name": self.name,
            "kind": self.kind,
            "filter": self.filter,
            "description": self.description,
            "members": list(self.members),
        }


@dataclass
class Counts:
    """How many records of one kind an import created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        """Records that needed a write."""
        return self.created + self.updated


@dataclass
class ImportReport:
    """What ``import_inventory`` did, per kind of record."""

    source: str
    regions: Counts = field(default_factory=Counts)
    sites: Counts = field(default_factory=Counts)
    credentials: Counts = field(default_factory=Counts)
    devices: Counts = field(default_factory=Counts)
    groups: Counts = field(default_factory=Counts)

    def kinds(self) -> dict[str, Counts]:
        """Counts by kind, in import order."""
        return {
            "regions": self.regions,
            "sites": self.sites,
            "credentials": self.credentials,
            "devices": self.devices,
            "groups": self.groups,
        }

    @property
    def written(self) -> int:
        """Records created or updated, over all kinds."""
        return sum(c.written for c in self.kinds().values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "source": self.source,
            **{
                kind: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for kind, c in self.kinds().items()
            },
        }
