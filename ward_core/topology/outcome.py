"""What one discovery batch did, as plain data a queue can carry (:meth:`DiscoveryOutcome.to_dict`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionFailure:
    """A device whose neighbours could not be collected, and why."""

    device: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready view."""
        return {"device": self.device, "reason": self.reason}


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryOutcome:
    """The result of :func:`~ward_core.topology.service.discover_batch`.

    ``devices``/``collected`` count the batch's devices and those collected; ``records`` the
    neighbour records they gave. The link counts describe the snapshot built afterwards from the
    newest observation of every inventory device (``snapshot_id``). ``added``/``removed`` are the
    links that changed since the previous snapshot (as ``"a IF -- b IF"`` texts) and
    ``event_failures`` the plugins whose ``ward_topology_changed`` raised.
    """

    transport: str
    run_id: int
    snapshot_id: int
    previous_snapshot_id: int | None
    devices: int
    collected: int
    records: int
    links: int
    two_sided: int
    one_sided: int
    unmatched: int
    failures: tuple[CollectionFailure, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    event_failures: tuple[str, ...] = ()
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every device of the batch was collected."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view; :meth:`from_dict` reads it back."""
        return {
            "transport": self.transport,
            "run_id": self.run_id,
            "snapshot_id": self.snapshot_id,
            "previous_snapshot_id": self.previous_snapshot_id,
            "devices": self.devices,
            "collected": self.collected,
            "records": self.records,
            "links": self.links,
            "two_sided": self.two_sided,
            "one_sided": self.one_sided,
            "unmatched": self.unmatched,
            "failures": [f.to_dict() for f in self.failures],
            "added": list(self.added),
            "removed": list(self.removed),
            "event_failures": list(self.event_failures),
            "duration_s": round(self.duration_s, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiscoveryOutcome:
        """Read back :meth:`to_dict`."""
        return cls(
            transport=str(data["transport"]),
            run_id=int(data["run_id"]),
            snapshot_id=int(data["snapshot_id"]),
            previous_snapshot_id=data.get("previous_snapshot_id"),
            devices=int(data["devices"]),
            collected=int(data["collected"]),
            records=int(data["records"]),
            links=int(data["links"]),
            two_sided=int(data["two_sided"]),
            one_sided=int(data["one_sided"]),
            unmatched=int(data["unmatched"]),
            failures=tuple(
                CollectionFailure(device=str(f["device"]), reason=str(f["reason"]))
                for f in data.get("failures", ())
            ),
            added=tuple(data.get("added", ())),
            removed=tuple(data.get("removed", ())),
            event_failures=tuple(data.get("event_failures", ())),
            duration_s=float(data.get("duration_s", 0.0)),
        )
