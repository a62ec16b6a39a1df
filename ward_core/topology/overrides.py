"""Manual overrides, for the devices that lie or stay silent.

Three kinds, stored in ``topology_overrides`` and applied by every discovery:

- ``link``: a cable between two interfaces that no protocol reports (a device without LLDP/CDP);
  it becomes a link of kind ``override``;
- ``ignore``: a link discovery must not draw (a neighbour seen through an unmanaged hub, say);
  the records behind it are explained as ``removed_by_override``;
- ``alias``: a name or chassis ID a neighbour announces that stands for an inventory device
  (a device whose hostname differs from its inventory name).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ward_core.errors import ConfigError
from ward_core.topology.names import interface_name
from ward_core.types import Link

OverrideKind: TypeAlias = Literal["link", "ignore", "alias"]
KINDS: tuple[OverrideKind, ...] = ("link", "ignore", "alias")


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """One override. ``link``/``ignore`` use the four endpoint fields, ``alias`` uses ``alias``
    (the announced name or chassis ID) and ``a_device`` (the inventory device it stands for)."""

    kind: OverrideKind
    a_device: str
    a_interface: str | None = None
    b_device: str | None = None
    b_interface: str | None = None
    alias: str | None = None
    reason: str = ""
    id: int | None = None

    @property
    def link(self) -> Link | None:
        """The link a ``link``/``ignore`` override is about (interface names normalised)."""
        if self.kind == "alias" or not (self.a_interface and self.b_device and self.b_interface):
            return None
        return Link.between(
            self.a_device, interface_name(self.a_interface), self.b_device, interface_name(self.b_interface)
        )

    def describe(self) -> str:
        """One line for listings and explanations.

        >>> Override(kind="alias", a_device="core1", alias="SW-CORE-01", id=3).describe()
        "#3 alias: 'SW-CORE-01' is core1"
        """
        number = f"#{self.id} " if self.id is not None else ""
        if self.kind == "alias":
            return f"{number}alias: {self.alias!r} is {self.a_device}"
        return (
            f"{number}{self.kind}: {self.a_device} {self.a_interface} -- {self.b_device} {self.b_interface}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "kind": self.kind,
            "a_device": self.a_device,
            "a_interface": self.a_interface,
            "b_device": self.b_device,
            "b_interface": self.b_interface,
            "alias": self.alias,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Override:
        """Read back :meth:`to_dict`."""
        return cls(
            id=data.get("id"),
            kind=data["kind"],
            a_device=str(data["a_device"]),
            a_interface=data.get("a_interface"),
            b_device=data.get("b_device"),
            b_interface=data.get("b_interface"),
            alias=data.get("alias"),
            reason=str(data.get("reason") or ""),
        )


def check_override(override: Override, inventory: Collection[str]) -> Override:
    """``override`` if it is complete and names inventory devices, else ConfigError saying which field.

    >>> check_override(Override(kind="link", a_device="r1", a_interface="Gi0/1", b_device="r1",
    ...                         b_interface="Gi0/2"), {"r1"})
    Traceback (most recent call last):
    ...
    ward_core.errors.ConfigError: override link: a link joins two different devices (r1 twice)
    """
    where = f"override {override.kind}"
    if override.kind not in KINDS:
        raise ConfigError(f"override kind must be one of {', '.join(KINDS)}, got {override.kind!r}")
    names = [override.a_device] + ([override.b_device] if override.kind != "alias" else [])
    for name in names:
        if not name:
            raise ConfigError(f"{where}: a device name is missing")
        if name not in inventory:
            raise ConfigError(f"{where}: device {name!r} is not in the inventory")
    if override.kind == "alias":
        if not (override.alias or "").strip():
            raise ConfigError(f"{where}: the announced name or chassis ID is missing")
        return override
    for label, value in (("a_interface", override.a_interface), ("b_interface", override.b_interface)):
        if not (value or "").strip():
            raise ConfigError(f"{where}: field {label!r} is missing")
    if override.a_device == override.b_device:
        raise ConfigError(f"{where}: a link joins two different devices ({override.a_device} twice)")
    return override
