"""What discovery concludes: links with their evidence, and a verdict with a reason for every record.

A :class:`Snapshot` is one discovery's picture of the network: the inventory devices (nodes),
the links between them (:class:`LinkInfo`) and one :class:`Explanation` per neighbour record,
saying whether it became a link and, when not, why. Snapshots are stored (history) and converted
to and from JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeAlias

from ward_core.types import Link

LinkKind: TypeAlias = Literal["two_sided", "one_sided", "override"]
"""``two_sided``: both ends report each other on these ports; ``one_sided``: one end does;
``override``: nobody does, a person declared it."""

Verdict: TypeAlias = Literal["link", "one_sided", "unmatched", "ignored"]


class Reason(StrEnum):
    """Why a neighbour record did (or did not) become a link."""

    TWO_SIDED = "two_sided"
    FAR_END_NOT_COLLECTED = "far_end_not_collected"
    FAR_END_SILENT = "far_end_silent"
    ENDS_DISAGREE = "ends_disagree"
    UNKNOWN_DEVICE = "unknown_device"
    NAME_MISMATCH = "name_mismatch"
    AMBIGUOUS_DEVICE = "ambiguous_device"
    PORT_NOT_FOUND = "port_not_found"
    SELF_NEIGHBOUR = "self_neighbour"
    DUPLICATE_CHASSIS_ID = "duplicate_chassis_id"
    UNUSABLE_RECORD = "unusable_record"
    REMOVED_BY_OVERRIDE = "removed_by_override"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceInfo:
    """An inventory device as discovery sees it: a node of the graph."""

    name: str
    host: str
    site: str | None = None
    role: str | None = None
    platform: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "name": self.name,
            "host": self.host,
            "site": self.site,
            "role": self.role,
            "platform": self.platform,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceInfo:
        """Read back :meth:`to_dict`."""
        return cls(
            name=str(data["name"]),
            host=str(data.get("host") or ""),
            site=data.get("site"),
            role=data.get("role"),
            platform=str(data.get("platform") or ""),
        )


def link_key(link: Link) -> str:
    """One text per link, for JSON keys and messages.

    >>> link_key(Link.between("sw1", "Gi0/2", "rtr1", "Gi0/0"))
    'rtr1 Gi0/0 -- sw1 Gi0/2'
    """
    return f"{link.a_device} {link.a_interface} -- {link.b_device} {link.b_interface}"


def link_to_dict(link: Link) -> dict[str, str]:
    """A JSON-ready view of a :class:`~ward_core.types.Link`."""
    return {
        "a_device": link.a_device,
        "a_interface": link.a_interface,
        "b_device": link.b_device,
        "b_interface": link.b_interface,
    }


def link_from_dict(data: Mapping[str, Any]) -> Link:
    """Read back :func:`link_to_dict`."""
    return Link.between(
        str(data["a_device"]), str(data["a_interface"]), str(data["b_device"]), str(data["b_interface"])
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkInfo:
    """A link and its evidence: who reported it, over which protocols, how the far end was known."""

    link: Link
    kind: LinkKind
    reported_by: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    identified_by: tuple[str, ...] = ()
    note: str = ""

    @property
    def key(self) -> str:
        """The link as one text."""
        return link_key(self.link)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            **link_to_dict(self.link),
            "kind": self.kind,
            "reported_by": list(self.reported_by),
            "protocols": list(self.protocols),
            "identified_by": list(self.identified_by),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkInfo:
        """Read back :meth:`to_dict`."""
        return cls(
            link=link_from_dict(data),
            kind=data["kind"],
            reported_by=tuple(data.get("reported_by") or ()),
            protocols=tuple(data.get("protocols") or ()),
            identified_by=tuple(data.get("identified_by") or ()),
            note=str(data.get("note") or ""),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """The verdict on one neighbour record: which link it became part of, or why none.

    ``far_device``/``far_interface`` are what the neighbour was resolved to (None when it could
    not be); ``identified_by`` lists how the far device was recognised (``name``, ``chassis_id``,
    ``address``, ``alias``).
    """

    device: str
    local_interface: str
    neighbour: str
    protocol: str
    verdict: Verdict
    reason: Reason
    detail: str
    far_device: str | None = None
    far_interface: str | None = None
    identified_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "device": self.device,
            "local_interface": self.local_interface,
            "neighbour": self.neighbour,
            "protocol": self.protocol,
            "verdict": self.verdict,
            "reason": self.reason.value,
            "detail": self.detail,
            "far_device": self.far_device,
            "far_interface": self.far_interface,
            "identified_by": list(self.identified_by),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Explanation:
        """Read back :meth:`to_dict`."""
        return cls(
            device=str(data["device"]),
            local_interface=str(data["local_interface"]),
            neighbour=str(data["neighbour"]),
            protocol=str(data["protocol"]),
            verdict=data["verdict"],
            reason=Reason(data["reason"]),
            detail=str(data["detail"]),
            far_device=data.get("far_device"),
            far_interface=data.get("far_interface"),
            identified_by=tuple(data.get("identified_by") or ()),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionState:
    """How a device's neighbours were last collected (the observation the snapshot used)."""

    device: str
    transport: str
    collected_at: datetime
    ok: bool
    records: int
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "device": self.device,
            "transport": self.transport,
            "collected_at": self.collected_at.isoformat(),
            "ok": self.ok,
            "records": self.records,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CollectionState:
        """Read back :meth:`to_dict`."""
        return cls(
            device=str(data["device"]),
            transport=str(data["transport"]),
            collected_at=datetime.fromisoformat(str(data["collected_at"])),
            ok=bool(data["ok"]),
            records=int(data.get("records") or 0),
            error=data.get("error"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One discovery's picture: nodes, links, a verdict per record, and how each device was read."""

    discovered_at: datetime
    devices: tuple[DeviceInfo, ...]
    links: tuple[LinkInfo, ...]
    explanations: tuple[Explanation, ...]
    collections: tuple[CollectionState, ...] = ()
    id: int | None = None
    transport: str | None = None
    run_id: int | None = None
    note: str = field(default="", compare=False)

    def link_set(self) -> frozenset[Link]:
        """The links, without their evidence."""
        return frozenset(info.link for info in self.links)

    def device(self, name: str) -> DeviceInfo | None:
        """The node called ``name``, if any."""
        return next((d for d in self.devices if d.name == name), None)

    def explanations_of(self, device: str) -> tuple[Explanation, ...]:
        """Verdicts on ``device``'s own records and on the records of others that name it."""
        return tuple(e for e in self.explanations if device in (e.device, e.far_device))

    def unmatched(self) -> tuple[Explanation, ...]:
        """Records that became no link."""
        return tuple(e for e in self.explanations if e.verdict in ("unmatched", "ignored"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``ward topology show --json``)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "transport": self.transport,
            "discovered_at": self.discovered_at.isoformat(),
            "devices": [d.to_dict() for d in self.devices],
            "links": [link.to_dict() for link in self.links],
            "explanations": [e.to_dict() for e in self.explanations],
            "collections": [c.to_dict() for c in self.collections],
        }
